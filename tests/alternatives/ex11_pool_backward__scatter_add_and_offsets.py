"""Max: flat input indices of each window's first maximum, scatter_add; avg: one strided slice per kernel offset."""


def max_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0):
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    ph, pw = _pair(padding)
    n, c, h, w = x.shape
    hp, wp = h + 2 * ph, w + 2 * pw
    padded = F.pad(x, (pw, pw, ph, ph), value=-float("inf"))
    windows = padded.unfold(2, kh, sh).unfold(3, kw, sw)
    ho, wo = windows.shape[2], windows.shape[3]
    local = windows.reshape(n, c, ho, wo, kh * kw).argmax(dim=-1)
    rows = torch.arange(ho).view(ho, 1) * sh + local // kw
    cols = torch.arange(wo).view(1, wo) * sw + local % kw
    flat_index = (rows * wp + cols).reshape(n, c, -1)
    grad = torch.zeros(n, c, hp * wp, dtype=x.dtype).scatter_add(2, flat_index, grad_out.reshape(n, c, -1))
    return grad.view(n, c, hp, wp)[:, :, ph:ph + h, pw:pw + w]


def avg_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0):
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    ph, pw = _pair(padding)
    n, c, h, w = x.shape
    ho, wo = grad_out.shape[2], grad_out.shape[3]
    grad = x.new_zeros(n, c, h + 2 * ph, w + 2 * pw)
    share = grad_out / float(kh * kw)
    for u in range(kh):
        for v in range(kw):
            grad[:, :, u:u + (ho - 1) * sh + 1:sh, v:v + (wo - 1) * sw + 1:sw] += share
    return grad[:, :, ph:ph + h, pw:pw + w]
