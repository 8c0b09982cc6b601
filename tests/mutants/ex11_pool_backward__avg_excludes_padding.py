"""Average-pool gradient divided by the number of real pixels in each window (padding not counted)."""


def avg_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0):
    kernel = _pair(kernel_size)
    steps = _pair(kernel_size if stride is None else stride)
    pads = _pair(padding)
    ones = F.pad(torch.ones_like(x), (pads[1], pads[1], pads[0], pads[0]))
    counts = ones.unfold(2, kernel[0], steps[0]).unfold(3, kernel[1], steps[1]).sum(dim=(-2, -1))
    shares = (grad_out / counts)[..., None, None].expand(*grad_out.shape, *kernel)
    return _fold_windows(shares, x.shape, kernel, steps, pads)
