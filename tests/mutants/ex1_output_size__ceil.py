"""Rounds up (ceil) instead of down: 32 px, 3x3, stride 2 gives 16."""

import math


def conv_output_size(in_size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    if min(in_size, kernel_size, stride) < 1 or padding < 0 or kernel_size > in_size + 2 * padding:
        raise ValueError("invalid convolution setting")
    return math.ceil((in_size + 2 * padding - kernel_size) / stride) + 1
