"""A torch.library custom operator whose kernel runs autograd on F.conv2d: the detector, stepping aside while
it handles the outer call, would see one unknown operator.

Flagged by the source check (torch.library); run anyway, the detector refuses operators outside aten:
flagged.
"""

import torch
import torch.nn.functional as F


@torch.library.custom_op("cnnkit_hostile::conv_backward", mutates_args=())
def _conv_backward(grad_out: torch.Tensor, x: torch.Tensor, weight: torch.Tensor, stride: list[int],
                   padding: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    with torch.enable_grad():
        xx, ww = x.detach().requires_grad_(), weight.detach().requires_grad_()
        grad_x, grad_w = torch.autograd.grad(F.conv2d(xx, ww, None, stride, padding), (xx, ww), grad_out)
    return grad_x, grad_w


def conv2d_backward(grad_out, x, weight, stride=1, padding=0):
    stride, padding = list(_pair(stride)), list(_pair(padding))  # noqa: F821 (defined by the reference above)
    grad_x, grad_w = _conv_backward(grad_out, x, weight, stride, padding)
    return grad_x, grad_w, grad_out.sum(dim=(0, 2, 3))
