"""Pooling with Python loops over output positions, reducing each flattened window."""


def _pool(x, kernel_size, stride, padding, fill, reduce):
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    ph, pw = _pair(padding)
    n, c, h, w = x.shape
    padded = F.pad(x, (pw, pw, ph, ph), value=fill)
    out_h, out_w = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    rows = []
    for i in range(out_h):
        rows.append(torch.stack([reduce(padded[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].reshape(n, c, -1))
                                 for j in range(out_w)], dim=-1))
    return torch.stack(rows, dim=-2)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    return _pool(x, kernel_size, stride, padding, float("-inf"), lambda window: window.max(dim=-1).values)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    return _pool(x, kernel_size, stride, padding, 0.0, lambda window: window.mean(dim=-1))
