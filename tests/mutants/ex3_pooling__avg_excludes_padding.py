"""Average pooling divides by the number of real (non-padded) pixels: count_include_pad=False."""


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    sums = _windows(x, kernel_size, stride, padding, 0.0).sum(dim=(-2, -1))
    counts = _windows(torch.ones_like(x), kernel_size, stride, padding, 0.0).sum(dim=(-2, -1))
    return sums / counts
