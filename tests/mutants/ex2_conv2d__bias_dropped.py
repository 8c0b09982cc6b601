"""Bias dropped: the bias argument is accepted but never added."""


def conv2d(x, weight, bias=None, stride=1, padding=0):
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    windows = F.pad(x, (pw, pw, ph, ph)).unfold(2, weight.shape[2], sh).unfold(3, weight.shape[3], sw)
    return torch.einsum("nchwuv,ocuv->nohw", windows, weight)
