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

This must match ``torch.nn.functional.conv2d(x, weight, bias, stride, padding)`` and be
differentiable: build the result from torch tensor operations so autograd can run backwards
through it (no ``.numpy()``, no ``.item()`` in the computation, no in-place writes into
tensors that need gradients).
"""

# Exercise 2: 2-D convolution (cross-correlation).
# Fill in every `raise NotImplementedError(...)`. Check your work with
#     pytest graders -m ex2_conv2d
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

    Hint:
        ``F.pad(x, (pw, pw, ph, ph))`` pads the last two axes. ``x.unfold(dim, size, step)``
        cuts sliding windows along one axis without copying; doing it on axes 2 and 3 gives
        (N, C_in, H_out, W_out, kH, kW) windows, and ``torch.einsum`` can contract them with
        the weights. Plain loops over output positions are fine too, just slower.
    """
    raise NotImplementedError("ex2_conv2d: write conv2d")
