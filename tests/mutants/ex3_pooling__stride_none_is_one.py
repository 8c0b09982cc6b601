"""stride=None treated as stride 1 instead of stride = kernel_size."""


def _windows(x, kernel_size, stride, padding, fill):
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(1 if stride is None else stride)
    ph, pw = _pair(padding)
    padded = F.pad(x, (pw, pw, ph, ph), value=fill)
    return padded.unfold(2, kh, sh).unfold(3, kw, sw)
