"""grad_x from torch's conv_transpose2d (forbidden: scores 0)."""

_reference_conv2d_backward = conv2d_backward


def conv2d_backward(grad_out, x, weight, stride=1, padding=0):
    _, grad_weight, grad_bias = _reference_conv2d_backward(grad_out, x, weight, stride, padding)
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    ho, wo = grad_out.shape[2:]
    extra = (x.shape[2] + 2 * ph - ((ho - 1) * sh + weight.shape[2]),
             x.shape[3] + 2 * pw - ((wo - 1) * sw + weight.shape[3]))
    grad_x = F.conv_transpose2d(grad_out, weight, stride=(sh, sw), padding=(ph, pw), output_padding=extra)
    return grad_x, grad_weight, grad_bias
