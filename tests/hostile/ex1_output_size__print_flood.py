"""Prints megabytes (at import and on every call) but answers correctly: full marks, grader unharmed."""

import sys

print("x" * (4 << 20))
_reference_conv_output_size = conv_output_size  # noqa: F821 (defined by the reference above)


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    print("y" * (256 << 10))
    sys.stderr.write("z" * (64 << 10))
    return _reference_conv_output_size(in_size, kernel_size, stride, padding)
