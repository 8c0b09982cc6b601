"""True division: returns a float (15.5 for 32 px, 3x3, stride 2) instead of the floored int."""


def conv_output_size(in_size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    if min(in_size, kernel_size, stride) < 1 or padding < 0 or kernel_size > in_size + 2 * padding:
        raise ValueError("invalid convolution setting")
    return (in_size + 2 * padding - kernel_size) / stride + 1
