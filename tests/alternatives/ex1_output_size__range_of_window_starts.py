"""Counts the window start positions with len(range(...)), the loop students draw on paper."""


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    if min(in_size, kernel_size, stride) <= 0:
        raise ValueError(f"in_size={in_size}, kernel_size={kernel_size}, stride={stride}: all must be positive")
    if padding < 0:
        raise ValueError(f"negative padding={padding}")
    padded = in_size + 2 * padding
    if kernel_size > padded:
        raise ValueError(f"kernel_size={kernel_size} exceeds the padded input size {padded}")
    return len(range(0, padded - kernel_size + 1, stride))
