"""Builds the forward pass from unfold + einsum and asks autograd for the gradients (forbidden)."""


def conv2d_backward(grad_out, x, weight, stride=1, padding=0):
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    xx = x.detach().clone().requires_grad_()
    ww = weight.detach().clone().requires_grad_()
    windows = F.pad(xx, (pw, pw, ph, ph)).unfold(2, ww.shape[2], sh).unfold(3, ww.shape[3], sw)
    out = torch.einsum("nchwuv,ocuv->nohw", windows, ww)
    out.backward(grad_out)
    return xx.grad, ww.grad, grad_out.sum(dim=(0, 2, 3))
