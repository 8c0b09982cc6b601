"""Output size by counting the window's start positions with range()."""


def conv_output_size(in_size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    if in_size < 1 or kernel_size < 1 or stride < 1 or padding < 0:
        raise ValueError("in_size, kernel_size and stride must be positive and padding non-negative")
    last_start = in_size + 2 * padding - kernel_size
    if last_start < 0:
        raise ValueError(f"kernel_size {kernel_size} does not fit in the padded input")
    return len(range(0, last_start + 1, stride))
