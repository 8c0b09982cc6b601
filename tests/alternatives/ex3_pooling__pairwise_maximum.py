"""Max pooling as a running torch.maximum over the kH*kW shifted strided slices; avg as their running sum."""


def _slices(x, kernel_size, stride, padding, fill):
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    ph, pw = _pair(padding)
    xp = F.pad(x, (pw, pw, ph, ph), value=fill)
    h_out = (xp.shape[2] - kh) // sh + 1
    w_out = (xp.shape[3] - kw) // sw + 1
    for u in range(kh):
        for v in range(kw):
            yield xp[:, :, u:u + (h_out - 1) * sh + 1:sh, v:v + (w_out - 1) * sw + 1:sw]


def max_pool2d(x, kernel_size, stride=None, padding=0):
    best = None
    for piece in _slices(x, kernel_size, stride, padding, float("-inf")):
        best = piece if best is None else torch.maximum(best, piece)
    return best


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    kh, kw = _pair(kernel_size)
    total = 0
    for piece in _slices(x, kernel_size, stride, padding, 0.0):
        total = total + piece
    return total / (kh * kw)
