"""Average pooling divides by kH instead of kH * kW."""


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    kh, kw = _pair(kernel_size)
    return _windows(x, kernel_size, stride, padding, 0.0).sum(dim=(-1, -2)) / kh
