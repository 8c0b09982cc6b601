"""Stride 1 everywhere, then keep every s-th output row/column (same numbers, more work)."""


def conv2d(x, weight, bias=None, stride=1, padding=0):
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    kh, kw = weight.shape[-2:]
    windows = F.pad(x, [pw, pw, ph, ph]).unfold(2, kh, 1).unfold(3, kw, 1)  # (N, C, H', W', kH, kW)
    full = torch.einsum("nchwij,ocij->nohw", windows, weight)
    out = full[:, :, ::sh, ::sw]
    return out if bias is None else out + bias.reshape(-1, 1, 1)
