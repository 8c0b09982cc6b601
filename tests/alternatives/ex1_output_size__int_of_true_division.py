"""The textbook formula with true division, then int() (the numerator is never negative once validated)."""


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    if in_size < 1 or kernel_size < 1 or stride < 1:
        raise ValueError(f"in_size, kernel_size and stride must be positive (in_size={in_size}, "
                         f"kernel_size={kernel_size}, stride={stride})")
    if padding < 0:
        raise ValueError(f"padding must be >= 0, got padding={padding}")
    if kernel_size > in_size + 2 * padding:
        raise ValueError(f"kernel_size={kernel_size} is larger than the padded input {in_size + 2 * padding}")
    return int((in_size - kernel_size + 2 * padding) / stride) + 1
