"""Pooling loops with range(0, H - k, s): drops the last row and column of windows."""


def _pool(x, kernel_size, stride, padding, fill, reduce):
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    ph, pw = _pair(padding)
    xp = F.pad(x, (pw, pw, ph, ph), value=fill)
    H, W = xp.shape[-2:]
    rows = []
    for i in range(0, H - kh, sh):
        rows.append(torch.stack([reduce(xp[:, :, i:i + kh, j:j + kw].flatten(2)) for j in range(0, W - kw, sw)], -1))
    return torch.stack(rows, -2)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    return _pool(x, kernel_size, stride, padding, float("-inf"), lambda w: w.amax(-1))


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    return _pool(x, kernel_size, stride, padding, 0.0, lambda w: w.mean(-1))
