"""Loops over output positions but adds each window's gradient at (i, j) instead of (i * sh, j * sw)."""


def conv2d_backward(grad_out, x, weight, stride=1, padding=0):
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    n, c, h, w = x.shape
    kh, kw = weight.shape[2:]
    padded = F.pad(x, (pw, pw, ph, ph))
    grad_padded = torch.zeros_like(padded)
    grad_weight = torch.zeros_like(weight)
    for i in range(grad_out.shape[2]):
        for j in range(grad_out.shape[3]):
            g = grad_out[:, :, i, j]  # (N, O)
            window = padded[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            grad_weight += torch.einsum("no,ncuv->ocuv", g, window)
            grad_padded[:, :, i:i + kh, j:j + kw] += torch.einsum("no,ocuv->ncuv", g, weight)
    return grad_padded[:, :, ph:ph + h, pw:pw + w], grad_weight, grad_out.sum(dim=(0, 2, 3))
