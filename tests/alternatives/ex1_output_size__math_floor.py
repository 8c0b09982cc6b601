"""Output size with true division and math.floor."""

import math


def conv_output_size(in_size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    if in_size < 1 or kernel_size < 1 or stride < 1 or padding < 0:
        raise ValueError(f"invalid setting: in_size={in_size}, kernel_size={kernel_size}, stride={stride}, padding={padding}")
    if kernel_size > in_size + 2 * padding:
        raise ValueError(f"kernel_size {kernel_size} is larger than the padded input")
    return math.floor((in_size + 2 * padding - kernel_size) / stride) + 1
