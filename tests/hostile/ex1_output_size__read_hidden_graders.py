"""Answers correctly only if it can list the hidden graders (graders/hidden/) from disk; 0 otherwise."""

import os
from pathlib import Path

import cnnkit

HIDDEN = Path(cnnkit.__file__).resolve().parent.parent / "graders" / "hidden"
_reference_conv_output_size = conv_output_size  # noqa: F821 (defined by the reference above)


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    try:
        os.listdir(HIDDEN)
    except OSError:
        return 0
    return _reference_conv_output_size(in_size, kernel_size, stride, padding)
