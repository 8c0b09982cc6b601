"""Exercise 10: the convolution's backward pass, written by hand.

Training needs, for a loss L, the gradient of L with respect to every input of the convolution
``out = conv2d(x, weight, bias, stride, padding)``, given ``grad_out = dL/dout`` (same shape as
``out``). Start from the forward formula (``xp`` is ``x`` padded with zeros):

    out[n, o, i, j] = bias[o] + sum_{c, u, v} xp[n, c, i*sh + u, j*sw + v] * weight[o, c, u, v]

Each output value touched every term of that sum once, so by the chain rule:

* **bias**: every position of output channel ``o`` used ``bias[o]``:
  ``grad_bias[o] = sum_{n, i, j} grad_out[n, o, i, j]`` (over the batch *and* all positions).
* **weight**: ``weight[o, c, u, v]`` multiplied ``xp[n, c, i*sh + u, j*sw + v]`` at every output
  position: ``grad_weight[o, c, u, v] = sum_{n, i, j} grad_out[n, o, i, j] * xp[n, c, i*sh + u, j*sw + v]``.
  The windows are those of the forward pass: of the **padded** input, with the stride.
* **input**: output position ``(i, j)`` read the window of ``xp`` starting at ``(i*sh, j*sw)``;
  send ``grad_out[n, o, i, j] * weight[o, c, :, :]`` back to that window and **add up** where
  windows overlap. That gives the gradient of ``xp``; ``grad_x`` is its middle part, with the
  padding rows and columns cropped off (they are not inputs). Rows or columns the windows never
  reached (when the stride skips past them) get gradient 0.

The same thing seen as a convolution: ``grad_x`` is a "full" cross-correlation of ``grad_out``
(with ``stride - 1`` zeros inserted between its entries) with the kernel **flipped** in both
spatial axes and its two channel axes swapped; that is what ``conv_transpose2d`` computes.
Scattering windows back as above needs no flip; the flip appears only in the convolution view.

Shapes (as in exercise 2's ``conv2d``):
    grad_out: (N, C_out, H_out, W_out)     x: (N, C_in, H, W)     weight: (C_out, C_in, kH, kW)
    returns   (grad_x (N, C_in, H, W), grad_weight (C_out, C_in, kH, kW), grad_bias (C_out,))

Autograd (``backward()``, ``torch.autograd.grad``, ``torch.func``) and torch's convolutions are
forbidden here. Check yourself with your gradient checker (``numerical_gradient`` and
``relative_error``).

What is checked: a tuple of three tensors equal to autograd's gradients of ``F.conv2d`` (float64
to 1e-6 relative, 1e-8 absolute; float32 to 1e-4, dtype kept), on inputs up to 12x12 with int
and pair stride and padding, non-square kernels, batch 1, strides larger than the kernel
(pixels no window reads), kernels as large as the input, any contiguity (channels-last too).
"""

# Exercise 10: The convolution's backward pass. Worth 16 points: the public checks in
# graders/ give part of them; hidden checks of the same contract on more inputs, run when you
# submit, give the rest.
# Fill in every `raise NotImplementedError(...)`. Check your work with
#     pytest graders -m ex10_conv_backward
# Submit this file as ex10_conv_backward.py (see README.md, "Submitting").
# Rules every exercise shares:
#   - Never modify an argument in place (no `x += ...`, `x[...] = ...` or `x.mul_(...)` on an
#     input): the checks compare every input before and after each call.
#   - Return exactly the type and shape the contract names (a Python int where it says int, a tensor
#     of the input's dtype and device where it says tensor).
# Imports allowed: torch, torch.nn, torch.nn.functional, numpy, math, itertools, functools,
#     collections, collections.abc, dataclasses, typing, time, __future__, and your own earlier
#     exercises (ex1_output_size to ex9_gradcheck). Anything else (sys, os, ctypes, importlib,
#     torch's private or internal modules, exec/eval, ...) is flagged for review and scores 0; the
#     check reads your source before it runs.
# Forbidden here (detected while your code runs; using one scores 0 on this exercise):
#     torch functions and modules whose name contains *conv*, *backward*:
#     the exercise is to write the gradients yourself; torch.autograd (backward(), torch.autograd.grad, torch.func) and torch's convolutions (conv_transpose2d, torch.nn.grad) are forbidden; F.pad, unfold, F.fold, einsum, matmul, loops and your own conv2d are allowed.
# (Generated from solutions/ex10_conv_backward.py by `cnnkit stubs`.)

from __future__ import annotations

import torch
import torch.nn.functional as F

IntOrPair = int | tuple[int, int]


def _pair(value: IntOrPair) -> tuple[int, int]:
    """``3 -> (3, 3)``; ``(2, 1) -> (2, 1)``."""
    if isinstance(value, int):
        return value, value
    first, second = value
    return int(first), int(second)


def conv2d_backward(
    grad_out: torch.Tensor,
    x: torch.Tensor,
    weight: torch.Tensor,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients of a loss with respect to ``x``, ``weight`` and the bias of ``conv2d(x, weight, bias, stride, padding)``.

    Args:
        grad_out: gradient of the loss with respect to the convolution's output, (N, C_out, H_out, W_out).
        x: the forward pass's input, (N, C_in, H, W).
        weight: the forward pass's kernels, (C_out, C_in, kH, kW).
        stride: int or (sh, sw), as in the forward pass.
        padding: int or (ph, pw), as in the forward pass.

    Returns:
        ``(grad_x, grad_weight, grad_bias)`` with the shapes of ``x``, ``weight`` and ``(C_out,)``,
        in ``x``'s dtype. Inputs are not modified.
    """
    raise NotImplementedError("ex10_conv_backward: write conv2d_backward")
