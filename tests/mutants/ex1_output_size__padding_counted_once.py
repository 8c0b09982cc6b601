"""Padding counted once: in_size + padding instead of in_size + 2 * padding."""


def conv_output_size(in_size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    if min(in_size, kernel_size, stride) < 1 or padding < 0 or kernel_size > in_size + 2 * padding:
        raise ValueError("invalid convolution setting")
    return (in_size + padding - kernel_size) // stride + 1
