"""Pads max pooling with the dtype's most negative finite number instead of -inf (padding <= k/2: never wins)."""


def max_pool2d(x, kernel_size, stride=None, padding=0):
    windows = _windows(x, kernel_size, stride, padding, torch.finfo(x.dtype).min)
    return windows.flatten(-2).max(dim=-1)[0]


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    kh, kw = _pair(kernel_size)
    windows = _windows(x, kernel_size, stride, padding, 0.0)
    return windows.sum(dim=(-1, -2)) / (kh * kw)
