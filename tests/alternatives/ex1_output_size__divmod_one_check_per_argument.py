"""divmod for the quotient; one check per argument, in the student's own order and wording."""


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    for name, value, least in (("stride", stride, 1), ("kernel_size", kernel_size, 1),
                               ("padding", padding, 0), ("in_size", in_size, 1)):
        if value < least:
            raise ValueError(f"{name} must be at least {least} but is {value}")
    span = in_size + padding * 2
    if span < kernel_size:
        raise ValueError(f"kernel_size {kernel_size} does not fit in the padded input of size {span}")
    steps, _ = divmod(span - kernel_size, stride)
    return steps + 1
