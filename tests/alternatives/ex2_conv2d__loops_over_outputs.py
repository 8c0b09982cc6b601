"""Convolution with Python loops over output positions, summing each window times the kernels."""


def conv2d(x, weight, bias=None, stride=1, padding=0):
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    padded = F.pad(x, (pw, pw, ph, ph))
    kh, kw = weight.shape[2], weight.shape[3]
    out_h = (padded.shape[2] - kh) // sh + 1
    out_w = (padded.shape[3] - kw) // sw + 1
    rows = []
    for i in range(out_h):
        columns = []
        for j in range(out_w):
            window = padded[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw]  # (N, C, kh, kw)
            columns.append((window.unsqueeze(1) * weight.unsqueeze(0)).sum(dim=(2, 3, 4)))  # (N, O)
        rows.append(torch.stack(columns, dim=-1))
    out = torch.stack(rows, dim=-2)
    return out if bias is None else out + bias[None, :, None, None]
