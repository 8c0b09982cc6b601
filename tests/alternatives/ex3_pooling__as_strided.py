"""Pooling windows cut with as_strided from a contiguous padded copy."""


def _windows(x, kernel_size, stride, padding, fill):
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    ph, pw = _pair(padding)
    padded = F.pad(x, (pw, pw, ph, ph), value=fill).contiguous()
    n, c, h, w = padded.shape
    s0, s1, s2, s3 = padded.stride()
    return padded.as_strided((n, c, (h - kh) // sh + 1, (w - kw) // sw + 1, kh, kw),
                             (s0, s1, s2 * sh, s3 * sw, s2, s3))
