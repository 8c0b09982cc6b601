"""Exercise 2: a 2-D convolution layer's forward pass, written by hand.

What deep-learning libraries call "convolution" is a *cross-correlation*: the kernel is slid
over the input **without flipping it**, and at each position the products of kernel and input
window are summed over the window and over all input channels:

    out[n, o, i, j] = bias[o] + sum_{c, u, v} x[n, c, i*sh + u, j*sw + v] * weight[o, c, u, v]

where ``x`` has first been padded with ``ph`` zero rows above and below and ``pw`` zero columns
left and right, and ``(sh, sw)`` is the stride. Each output channel ``o`` has its own kernel
``weight[o]`` spanning *all* ``C_in`` input channels, plus one bias value.

Shapes:
    x:      (N, C_in, H, W)
    weight: (C_out, C_in, kH, kW)
    bias:   (C_out,) or None
    out:    (N, C_out, H_out, W_out) with H_out = floor((H + 2*ph - kH) / sh) + 1
            (exercise 1's formula, per axis).

Worked example (N = C_in = C_out = 1), x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
weight = [[1, 2], [0, -1]], bias = [10]:

    stride 1, padding 0:  out = [[10, 12], [16, 18]]      (e.g. 1*1 + 2*2 + 4*0 + 5*(-1) + 10 = 10)
    stride 2, padding 1:  out = [[ 9,  7], [11, 18]]      (the 5x5 padded input, windows at rows/cols 0 and 2)

What is checked: the values of ``torch.nn.functional.conv2d(x, weight, bias, stride, padding)``
(float64 to 1e-7 relative, float32 to 1e-4), the dtype of ``x`` kept, any contiguity of the
inputs, and gradients for ``x``, ``weight`` and ``bias`` through autograd: build the result
from torch tensor operations (no ``.numpy()``, no ``.item()`` in the computation). Any
correct method is fine, from loops to one big tensor contraction, as long as a call on a
batch of a few 12x12 images finishes within the time limit.
"""

# Exercise 2: 2-D convolution (cross-correlation). Worth 14 points: the public checks in
# graders/ give part of them; hidden checks of the same contract on more inputs, run when you
# submit, give the rest.
# Fill in every `raise NotImplementedError(...)`. Check your work with
#     pytest graders -m ex2_conv2d
# Submit this file as ex2_conv2d.py (see README.md, "Submitting").
# Rules every exercise shares:
#   - Never modify an argument in place (no `x += ...`, `x[...] = ...` or `x.mul_(...)` on an
#     input): the checks compare every input before and after each call.
#   - Return exactly the type and shape the contract names (a Python int where it says int, a tensor
#     of the input's dtype and device where it says tensor).
# Imports allowed: torch, torch.nn, torch.nn.functional, numpy, math, itertools, functools,
#     collections, collections.abc, dataclasses, typing, time, __future__, and your own
#     ex1_output_size. Anything else (sys, os, ctypes, importlib, torch's private or internal
#     modules, exec/eval, ...) is flagged for review and scores 0; the check reads your source
#     before it runs.
# Forbidden here (detected while your code runs; using one scores 0 on this exercise):
#     torch functions and modules whose name contains *conv*, *convolution*:
#     the exercise is to write the convolution yourself; F.unfold, Tensor.unfold, einsum, matmul and loops are allowed.
# (Generated from solutions/ex2_conv2d.py by `cnnkit stubs`.)

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


def conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
) -> torch.Tensor:
    """2-D cross-correlation of a batch of images with a bank of kernels, like ``F.conv2d``.

    Args:
        x: input batch, shape (N, C_in, H, W).
        weight: kernels, shape (C_out, C_in, kH, kW).
        bias: one value per output channel, shape (C_out,), or None for no bias.
        stride: step of the window, an int (both axes) or an (sh, sw) pair.
        padding: zeros added on each side, an int (both axes) or a (ph, pw) pair.

    Returns:
        Tensor of shape (N, C_out, H_out, W_out), same dtype as ``x``.
    """
    raise NotImplementedError("ex2_conv2d: write conv2d")
