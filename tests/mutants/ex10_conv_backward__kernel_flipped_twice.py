"""Scatters windows back (which needs no flip) with a flipped kernel: the flip is applied once too often."""


def conv2d_backward(grad_out, x, weight, stride=1, padding=0):
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    n, c, h, w = x.shape
    kh, kw = weight.shape[2:]
    windows = F.pad(x, (pw, pw, ph, ph)).unfold(2, kh, sh).unfold(3, kw, sw)
    grad_weight = torch.einsum("nohw,nchwuv->ocuv", grad_out, windows)
    flipped = weight.flip(-1, -2)
    columns = torch.einsum("nohw,ocuv->ncuvhw", grad_out, flipped).reshape(n, c * kh * kw, -1)
    grad_padded = F.fold(columns, (h + 2 * ph, w + 2 * pw), (kh, kw), stride=(sh, sw))
    return grad_padded[:, :, ph:ph + h, pw:pw + w], grad_weight, grad_out.sum(dim=(0, 2, 3))
