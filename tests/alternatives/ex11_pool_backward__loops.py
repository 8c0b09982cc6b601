"""Plain loops over windows: argmax of the flattened window, += into place (both poolings)."""


def max_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0):
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    ph, pw = _pair(padding)
    padded = F.pad(x, (pw, pw, ph, ph), value=float("-inf"))
    grad = torch.zeros_like(padded)
    for i in range(grad_out.shape[2]):
        for j in range(grad_out.shape[3]):
            window = padded[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].reshape(x.shape[0], x.shape[1], -1)
            index = window.argmax(dim=-1)  # (N, C): first maximum
            for n in range(x.shape[0]):
                for c in range(x.shape[1]):
                    k = int(index[n, c])
                    grad[n, c, i * sh + k // kw, j * sw + k % kw] += grad_out[n, c, i, j]
    return grad[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]]


def avg_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0):
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    ph, pw = _pair(padding)
    grad = torch.zeros(x.shape[0], x.shape[1], x.shape[2] + 2 * ph, x.shape[3] + 2 * pw, dtype=x.dtype)
    for i in range(grad_out.shape[2]):
        for j in range(grad_out.shape[3]):
            grad[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += grad_out[:, :, i:i + 1, j:j + 1] / (kh * kw)
    return grad[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]]
