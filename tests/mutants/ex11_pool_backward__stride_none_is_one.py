"""stride=None taken as 1 (overlapping windows) instead of the kernel size, in both backward passes."""

_reference_max_backward, _reference_avg_backward = max_pool2d_backward, avg_pool2d_backward


def max_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0):
    return _reference_max_backward(grad_out, x, kernel_size, 1 if stride is None else stride, padding)


def avg_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0):
    return _reference_avg_backward(grad_out, x, kernel_size, 1 if stride is None else stride, padding)
