"""First maximum as the equality mask whose running count is 1 (cumsum trick), added back with F.fold."""


def max_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0):
    kernel = _pair(kernel_size)
    steps = _pair(kernel_size if stride is None else stride)
    pads = _pair(padding)
    padded = F.pad(x, (pads[1], pads[1], pads[0], pads[0]), value=torch.finfo(x.dtype).min)
    windows = padded.unfold(2, kernel[0], steps[0]).unfold(3, kernel[1], steps[1])
    flat = windows.reshape(*windows.shape[:4], -1)
    is_max = flat == flat.max(dim=-1, keepdim=True).values
    first = is_max & (is_max.cumsum(dim=-1) == 1)
    shares = (first.to(x.dtype) * grad_out[..., None]).reshape(windows.shape)
    return _fold_windows(shares, x.shape, kernel, steps, pads)
