"""grad_x as a full convolution of the dilated grad_out, but with the kernel not flipped."""


def conv2d_backward(grad_out, x, weight, stride=1, padding=0):
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    ho, wo = grad_out.shape[2:]
    dilated = torch.zeros(n, o, (ho - 1) * sh + 1, (wo - 1) * sw + 1, dtype=grad_out.dtype)
    dilated[:, :, ::sh, ::sw] = grad_out
    extra_h = h + 2 * ph - ((ho - 1) * sh + kh)
    extra_w = w + 2 * pw - ((wo - 1) * sw + kw)
    full = F.pad(dilated, (kw - 1, kw - 1 + extra_w, kh - 1, kh - 1 + extra_h))
    kernel = weight.transpose(0, 1)  # should be weight.flip(-1, -2).transpose(0, 1)
    grad_padded = full.unfold(2, kh, 1).unfold(3, kw, 1)
    grad_padded = torch.einsum("nohwuv,couv->nchw", grad_padded, kernel)
    windows = F.pad(x, (pw, pw, ph, ph)).unfold(2, kh, sh).unfold(3, kw, sw)
    grad_weight = torch.einsum("nohw,nchwuv->ocuv", grad_out, windows)
    return grad_padded[:, :, ph:ph + h, pw:pw + w], grad_weight, grad_out.sum(dim=(0, 2, 3))
