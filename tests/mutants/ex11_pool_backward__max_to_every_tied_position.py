"""Max-pool gradient sent to every position equal to the window's maximum (ties all get it)."""


def max_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0):
    kernel = _pair(kernel_size)
    steps = _pair(kernel_size if stride is None else stride)
    pads = _pair(padding)
    padded = F.pad(x, (pads[1], pads[1], pads[0], pads[0]), value=float("-inf"))
    windows = padded.unfold(2, kernel[0], steps[0]).unfold(3, kernel[1], steps[1])
    mask = (windows == windows.amax(dim=(-2, -1), keepdim=True)).to(grad_out.dtype)
    return _fold_windows(mask * grad_out[..., None, None], x.shape, kernel, steps, pads)
