"""Pooling via F.unfold (im2col) per channel; max pooling pads with -inf first, avg with zeros."""


def _columns(x, kernel_size, stride, padding, fill):
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    ph, pw = _pair(padding)
    n, c, h, w = x.shape
    padded = F.pad(x, (pw, pw, ph, ph), value=fill)
    columns = F.unfold(padded.reshape(n * c, 1, h + 2 * ph, w + 2 * pw), (kh, kw), stride=(sh, sw))
    out_h, out_w = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    return columns, (n, c, out_h, out_w)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    columns, shape = _columns(x, kernel_size, stride, padding, float("-inf"))
    return columns.amax(dim=1).reshape(shape)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    columns, shape = _columns(x, kernel_size, stride, padding, 0.0)
    return columns.mean(dim=1).reshape(shape)
