"""Forgets the + 1 (counts the steps, not the positions)."""


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    if in_size < 1 or kernel_size < 1 or stride < 1 or padding < 0 or kernel_size > in_size + 2 * padding:
        raise ValueError(f"invalid arguments in_size={in_size}, kernel_size={kernel_size}, stride={stride}, padding={padding}")
    return (in_size + 2 * padding - kernel_size) // stride
