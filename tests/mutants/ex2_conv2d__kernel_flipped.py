"""Kernel flipped (true convolution) instead of PyTorch's cross-correlation."""


def conv2d(x, weight, bias=None, stride=1, padding=0):
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    windows = F.pad(x, (pw, pw, ph, ph)).unfold(2, weight.shape[2], sh).unfold(3, weight.shape[3], sw)
    out = torch.einsum("nchwuv,ocuv->nohw", windows, weight.flip(-1, -2))
    return out if bias is None else out + bias.view(1, -1, 1, 1)
