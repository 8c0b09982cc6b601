"""Both gradients as convolutions computed by the student's own conv2d (exercise 2).

grad_x: the dilated grad_out, padded by k - 1 (plus the rows no window reached), correlated with
the flipped kernel whose channel axes are swapped. grad_weight: the padded input correlated with
the dilated grad_out, batch and channel axes swapped, cropped to the kernel's size.
"""

from ex2_conv2d import conv2d as own_conv2d


def conv2d_backward(grad_out, x, weight, stride=1, padding=0):
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    ho, wo = grad_out.shape[2], grad_out.shape[3]
    dilated = torch.zeros(n, o, (ho - 1) * sh + 1, (wo - 1) * sw + 1, dtype=grad_out.dtype)
    dilated[:, :, ::sh, ::sw] = grad_out
    extra_h = h + 2 * ph - ((ho - 1) * sh + kh)
    extra_w = w + 2 * pw - ((wo - 1) * sw + kw)
    full = F.pad(dilated, (kw - 1, kw - 1 + extra_w, kh - 1, kh - 1 + extra_h))
    grad_padded = own_conv2d(full, weight.flip(-1, -2).transpose(0, 1))
    grad_x = grad_padded[:, :, ph:ph + h, pw:pw + w]
    padded = F.pad(x, (pw, pw, ph, ph))
    grad_weight = own_conv2d(padded.transpose(0, 1), dilated.transpose(0, 1))[:, :, :kh, :kw].transpose(0, 1)
    return grad_x, grad_weight, grad_out.sum(dim=(0, 2, 3))
