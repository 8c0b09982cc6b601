"""Exercise 3: max and average pooling.

Pooling slides a ``kH x kW`` window over each channel separately (no weights, no mixing of
channels) and keeps one number per window: the largest value (max pooling) or the mean
(average pooling). With the usual 2x2 window and stride 2, a 28x28 feature map becomes 14x14.

The window moves ``stride`` pixels at a time; ``stride=None`` means "stride = kernel size", so
windows tile the input without overlap. The output size is exercise 1's formula per axis
(with the floor: a 5x5 input under 2x2 pooling gives 2x2, the last row and column are dropped).

Padding follows PyTorch:
    * ``max_pool2d`` pads with **-inf**, so padding never wins the max;
    * ``avg_pool2d`` pads with **zeros** and still divides by ``kH * kW``
      (PyTorch's default ``count_include_pad=True``), so border averages shrink toward 0.
PyTorch also requires ``padding <= kernel_size / 2`` on each axis; you may assume it.

Worked example (the article's): max pooling 2x2, stride 2, on

    [[1, 3, 2, 1],
     [4, 6, 5, 2],          ->   [[6, 5],
     [3, 1, 0, 7],                [3, 8]]
     [2, 3, 8, 4]]

and average pooling of the same input gives [[3.5, 2.5], [2.25, 4.75]].

Shapes: x (N, C, H, W) -> (N, C, H_out, W_out).

What is checked: the values of ``F.max_pool2d`` / ``F.avg_pool2d`` (float64 to 1e-7 relative,
float32 to 1e-4, dtype kept, any contiguity), and gradients through autograd. Max pooling's
gradient goes to the position of each window's maximum. When several positions of a window tie
for the maximum, the gradient may go to any one of them or be split among them (PyTorch picks
one, ``amax`` splits it evenly): what is checked is that a window's gradient reaches only
positions holding its maximum and adds up to the gradient of that window's output.
"""

# Exercise 3: Max and average pooling. Worth 13 points: the public checks in
# graders/ give part of them; hidden checks of the same contract on more inputs, run when you
# submit, give the rest.
# Fill in every `raise NotImplementedError(...)`. Check your work with
#     pytest graders -m ex3_pooling
# Submit this file as ex3_pooling.py (see README.md, "Submitting").
# Rules every exercise shares:
#   - Never modify an argument in place (no `x += ...`, `x[...] = ...` or `x.mul_(...)` on an
#     input): the checks compare every input before and after each call.
#   - Return exactly the type and shape the contract names (a Python int where it says int, a tensor
#     of the input's dtype and device where it says tensor).
# Imports allowed: torch, torch.nn, torch.nn.functional, numpy, math, itertools, functools,
#     collections, collections.abc, dataclasses, typing, time, __future__, and your own earlier
#     exercises (ex1_output_size to ex2_conv2d). Anything else (sys, os, ctypes, importlib, torch's
#     private or internal modules, exec/eval, ...) is flagged for review and scores 0; the check
#     reads your source before it runs.
# Forbidden here (detected while your code runs; using one scores 0 on this exercise):
#     torch functions and modules whose name contains *pool*, *embedding_bag*:
#     the exercise is to write pooling yourself; F.pad, unfold, amax and mean are allowed.
# (Generated from solutions/ex3_pooling.py by `cnnkit stubs`.)

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


def _windows(
    x: torch.Tensor, kernel_size: IntOrPair, stride: IntOrPair | None, padding: IntOrPair, fill: float
) -> torch.Tensor:
    """All pooling windows of ``x`` padded with ``fill``: shape (N, C, H_out, W_out, kH, kW).

    An optional helper (not graded): use it, change it or delete it.
    """
    raise NotImplementedError("ex3_pooling: write _windows")


def max_pool2d(
    x: torch.Tensor, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0
) -> torch.Tensor:
    """Max pooling like ``F.max_pool2d(x, kernel_size, stride, padding)``.

    Args:
        x: input, shape (N, C, H, W).
        kernel_size: window size, int or (kH, kW).
        stride: step, int or pair; None means equal to ``kernel_size``.
        padding: -inf padding on each side, int or pair.

    Returns:
        Tensor (N, C, H_out, W_out): the maximum of each window. Differentiable: the gradient
        flows to the position of each window's maximum (with ties, to any of the tied positions
        or split among them).
    """
    raise NotImplementedError("ex3_pooling: write max_pool2d")


def avg_pool2d(
    x: torch.Tensor, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0
) -> torch.Tensor:
    """Average pooling like ``F.avg_pool2d(x, kernel_size, stride, padding)``.

    Args:
        x: input, shape (N, C, H, W).
        kernel_size: window size, int or (kH, kW).
        stride: step, int or pair; None means equal to ``kernel_size``.
        padding: zero padding on each side, int or pair; padded zeros count in the mean.

    Returns:
        Tensor (N, C, H_out, W_out): the mean of each ``kH x kW`` window, padding included.
    """
    raise NotImplementedError("ex3_pooling: write avg_pool2d")
