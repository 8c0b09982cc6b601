"""torch.autograd.functional.vjp through an unfold + einsum forward pass (forbidden: it calls torch.autograd.grad)."""


def conv2d_backward(grad_out, x, weight, stride=1, padding=0):
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)

    def forward(xx, ww):
        windows = F.pad(xx, (pw, pw, ph, ph)).unfold(2, ww.shape[2], sh).unfold(3, ww.shape[3], sw)
        return torch.einsum("nchwuv,ocuv->nohw", windows, ww)

    _, (grad_x, grad_weight) = torch.autograd.functional.vjp(forward, (x, weight), grad_out)
    return grad_x, grad_weight, grad_out.sum(dim=(0, 2, 3))
