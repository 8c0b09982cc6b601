"""Convolution as im2col: F.unfold into columns, then one matrix product."""


def conv2d(x, weight, bias=None, stride=1, padding=0):
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    n, _, h, w = x.shape
    out_channels, _, kh, kw = weight.shape
    columns = F.unfold(x, (kh, kw), padding=(ph, pw), stride=(sh, sw))  # (N, C*kh*kw, L)
    out = weight.reshape(out_channels, -1) @ columns  # (N, O, L)
    out = out.reshape(n, out_channels, (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1)
    return out if bias is None else out + bias.reshape(1, -1, 1, 1)
