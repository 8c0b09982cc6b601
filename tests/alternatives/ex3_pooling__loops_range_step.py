"""Loops with range(0, H - k + 1, s) over a padded copy; window.max() / window.mean(); torch.stack."""


def _pool_loops(x, kernel_size, stride, padding, fill, reduce):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    if stride is None:
        stride = (kh, kw)
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    xp = F.pad(x, (pw, pw, ph, ph), value=fill)
    H, W = xp.shape[-2:]
    rows = []
    for i in range(0, H - kh + 1, sh):
        row = []
        for j in range(0, W - kw + 1, sw):
            window = xp[:, :, i:i + kh, j:j + kw].reshape(x.shape[0], x.shape[1], -1)
            row.append(reduce(window))
        rows.append(torch.stack(row, dim=-1))
    return torch.stack(rows, dim=-2)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    return _pool_loops(x, kernel_size, stride, padding, float("-inf"), lambda w: w.max(dim=-1).values)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    return _pool_loops(x, kernel_size, stride, padding, 0.0, lambda w: w.mean(dim=-1))
