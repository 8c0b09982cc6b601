"""Pads with zeros instead of -inf: in all-negative windows the padding wins and the gradient is lost."""


def max_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0):
    kernel = _pair(kernel_size)
    steps = _pair(kernel_size if stride is None else stride)
    pads = _pair(padding)
    padded = F.pad(x, (pads[1], pads[1], pads[0], pads[0]))
    windows = padded.unfold(2, kernel[0], steps[0]).unfold(3, kernel[1], steps[1])
    flat = windows.reshape(*windows.shape[:4], kernel[0] * kernel[1])
    first_max = F.one_hot(flat.argmax(dim=-1), kernel[0] * kernel[1]).to(grad_out.dtype)
    shares = (first_max * grad_out.unsqueeze(-1)).reshape(windows.shape)
    return _fold_windows(shares, x.shape, kernel, steps, pads)
