"""grad_bias summed over the positions of the first image only, not over the whole batch."""

_reference_conv2d_backward = conv2d_backward


def conv2d_backward(grad_out, x, weight, stride=1, padding=0):
    grad_x, grad_weight, _ = _reference_conv2d_backward(grad_out, x, weight, stride, padding)
    return grad_x, grad_weight, grad_out[0].sum(dim=(1, 2))
