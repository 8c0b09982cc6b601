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
    ### BEGIN SOLUTION
    stride_h, stride_w = _pair(stride)
    pad_h, pad_w = _pair(padding)
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"x has {x.shape[1]} channels but weight expects {weight.shape[1]} (weight shape {tuple(weight.shape)})"
        )
    kernel_h, kernel_w = weight.shape[2], weight.shape[3]
    padded = F.pad(x, (pad_w, pad_w, pad_h, pad_h))
    # (N, C_in, H_out, W_out, kH, kW): every window the kernel visits.
    windows = padded.unfold(2, kernel_h, stride_h).unfold(3, kernel_w, stride_w)
    out = torch.einsum("nchwuv,ocuv->nohw", windows, weight)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out
    ### END SOLUTION
