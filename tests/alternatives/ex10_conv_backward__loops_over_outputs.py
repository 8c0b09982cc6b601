"""Loops over output positions: each window's gradient added back where it was read."""


def conv2d_backward(grad_out, x, weight, stride=1, padding=0):
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    h, w = x.shape[2], x.shape[3]
    kh, kw = weight.shape[2], weight.shape[3]
    padded = F.pad(x, (pw, pw, ph, ph))
    grad_padded = torch.zeros_like(padded)
    grad_weight = torch.zeros_like(weight)
    for i in range(grad_out.shape[2]):
        for j in range(grad_out.shape[3]):
            g = grad_out[:, :, i, j]  # (N, O)
            rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
            grad_weight += (g[:, :, None, None, None] * padded[:, None, :, rows, cols]).sum(dim=0)
            grad_padded[:, :, rows, cols] += (g[:, :, None, None, None] * weight[None]).sum(dim=1)
    grad_bias = grad_out.sum(dim=0).sum(dim=-1).sum(dim=-1)
    return grad_padded[:, :, ph:ph + h, pw:pw + w], grad_weight, grad_bias
