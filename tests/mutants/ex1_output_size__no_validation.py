"""No validation: invalid arguments give a number (or ZeroDivisionError) instead of a ValueError."""


def conv_output_size(in_size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    return (in_size + 2 * padding - kernel_size) // stride + 1
