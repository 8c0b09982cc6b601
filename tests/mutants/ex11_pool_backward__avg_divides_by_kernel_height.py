"""Average-pool gradient divided by kH instead of kH * kW."""


def avg_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0):
    kernel = _pair(kernel_size)
    steps = _pair(kernel_size if stride is None else stride)
    pads = _pair(padding)
    shares = (grad_out / kernel[0])[..., None, None].expand(*grad_out.shape, *kernel)
    return _fold_windows(shares, x.shape, kernel, steps, pads)
