"""Max pooling as sum(window * (window == max)): right without ties, but a tied window sums its maximum twice."""


def max_pool2d(x, kernel_size, stride=None, padding=0):
    windows = _windows(x, kernel_size, stride, padding, float("-inf"))
    top = windows.amax(dim=(-2, -1), keepdim=True)
    mask = (windows == top).to(x.dtype)
    return torch.nan_to_num(windows * mask, nan=0.0, neginf=0.0).sum(dim=(-2, -1))
