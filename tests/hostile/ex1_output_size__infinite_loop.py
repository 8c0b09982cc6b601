"""An infinite loop, but only for stride 2: those tests time out, the others still pass."""


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    if stride == 2:
        while True:
            pass
    if min(in_size, kernel_size, stride) < 1 or padding < 0 or kernel_size > in_size + 2 * padding:
        raise ValueError("invalid arguments")
    return (in_size + 2 * padding - kernel_size) // stride + 1
