"""Calls os._exit(0) inside the graded function: the worker process dies."""

import os


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    os._exit(0)
