"""Loops over windows and *assigns* the gradient at the maximum: overlapping windows overwrite, not add."""


def max_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0):
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    ph, pw = _pair(padding)
    padded = F.pad(x, (pw, pw, ph, ph), value=float("-inf"))
    grad = torch.zeros_like(padded)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(grad_out.shape[2]):
                for j in range(grad_out.shape[3]):
                    window = padded[n, c, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    index = int(window.reshape(-1).argmax())
                    grad[n, c, i * sh + index // kw, j * sw + index % kw] = grad_out[n, c, i, j]
    return grad[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]]
