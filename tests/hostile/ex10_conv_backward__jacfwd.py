"""The gradients from torch.func.jacfwd through its own forward convolution (unfold + einsum). Forward-mode
tensors have no grad_fn, and nothing is tampered with.

Flagged by the source check (torch.func); run anyway, the detector treats torch.func's transforms
and forward-mode AD as the autograd this exercise forbids: forbidden.
"""

import torch
import torch.nn.functional as F


def conv2d_backward(grad_out, x, weight, stride=1, padding=0):
    sh, sw = _pair(stride)  # noqa: F821 (defined by the reference above)
    ph, pw = _pair(padding)  # noqa: F821

    def forward(inputs, kernels):
        windows = F.pad(inputs, (pw, pw, ph, ph)).unfold(2, kernels.shape[2], sh).unfold(3, kernels.shape[3], sw)
        return torch.einsum("nchwuv,ocuv->nohw", windows, kernels)

    jacobian_x = torch.func.jacfwd(forward, argnums=0)(x, weight)
    jacobian_w = torch.func.jacfwd(forward, argnums=1)(x, weight)
    grad_x = torch.tensordot(grad_out, jacobian_x, dims=grad_out.dim())
    grad_w = torch.tensordot(grad_out, jacobian_w, dims=grad_out.dim())
    return grad_x, grad_w, grad_out.sum(dim=(0, 2, 3))
