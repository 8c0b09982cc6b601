"""The "own" Functions run torch's layers (F.conv2d, F.max_pool2d, F.relu) and torch's autograd for their
gradients, with torch's function and dispatch modes disabled around each call.

Flagged by the source check (torch._C); run anyway, the operator layer sees aten operators run while
the function layer is disabled: flagged.
"""

import torch
import torch.nn.functional as F


def _torch_layer(layer, inputs, grad_out=None):
    """layer(*inputs) with every mode off; with grad_out, the inputs' gradients by torch's autograd instead."""
    with torch._C.DisableTorchFunction():
        if grad_out is None:
            return layer(*inputs)
        with torch.enable_grad():
            leaves = [value.detach().requires_grad_() for value in inputs]
            return torch.autograd.grad(layer(*leaves), leaves, grad_out)


class Conv2dFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, stride=1, padding=0):
        ctx.save_for_backward(x, weight, bias)
        ctx.stride, ctx.padding = stride, padding
        return _torch_layer(lambda a, w, b: F.conv2d(a, w, b, stride, padding), (x, weight, bias))

    @staticmethod
    def backward(ctx, grad_out):
        layer = lambda a, w, b: F.conv2d(a, w, b, ctx.stride, ctx.padding)  # noqa: E731
        return (*_torch_layer(layer, ctx.saved_tensors, grad_out), None, None)


class ReLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _torch_layer(F.relu, (x,))

    @staticmethod
    def backward(ctx, grad_out):
        return _torch_layer(F.relu, ctx.saved_tensors, grad_out)[0]
