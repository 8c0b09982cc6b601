"""Exercise 11: the pooling layers' backward passes, written by hand.

Pooling has no weights, so its backward pass only routes ``grad_out`` (the loss's gradient with
respect to the pooled output) back to the input positions each output came from. Windows,
stride (``None`` = kernel size) and padding are those of the forward pass (exercise 3); where
windows overlap (stride < kernel size) an input position receives the **sum** of the shares of
every window that covers it, and positions no window covers receive 0.

**Max pooling.** ``out[n, c, i, j]`` is one element of its window, the maximum; the others did
not affect it. So the whole of ``grad_out[n, c, i, j]`` goes to that one position and nothing
to the rest of the window. The tie rule (graded, and PyTorch's): when several positions of a
window hold the maximum, the gradient goes to the **first** of them in row-major order within
the window (smallest row, then smallest column), as ``torch.argmax`` over the flattened window
picks it. (Exercise 3 accepted any split among tied positions, since every such split is a
valid subgradient; ``amax`` splits evenly. Here the rule is fixed: ``F.max_pool2d``'s.) Padding is ``-inf`` and never receives gradient; you may assume ``x`` is
finite and ``padding <= kernel_size / 2``, so every window holds at least one real element.

**Average pooling.** ``out[n, c, i, j]`` is the sum of its window divided by ``kH * kW``
(padded zeros included in the count, exercise 3's rule, ``count_include_pad=True``): every
position of the window receives ``grad_out[n, c, i, j] / (kH * kW)``; shares that land on the
padding are dropped with it.

Worked example, max pooling 2x2 with stride 1 and ``grad_out`` all ones::

    x = [[1, 5, 5],       windows' maxima at          grad_x = [[0, 2, 0],
         [5, 2, 5],   ->  (0,1) (0,1)            ->            [1, 0, 1],
         [0, 5, 1]]       (1,0) (1,2)                          [0, 0, 0]]

Shapes: grad_out (N, C, H_out, W_out), x (N, C, H, W) -> grad_x (N, C, H, W), x's dtype.

Autograd and torch's pooling functions are forbidden here.

What is checked: equality with autograd's gradients of ``F.max_pool2d`` / ``F.avg_pool2d``
(float64 to 1e-6 relative, float32 to 1e-4, dtype kept), on random inputs and on inputs full of
ties (integers), up to 12x12, overlapping and gapped windows, ``stride=None``, int and pair
arguments, padding, all-negative inputs, any contiguity.
"""

# Exercise 11: The pooling layers' backward passes. Worth 13 points: the public checks in
# graders/ give part of them; hidden checks of the same contract on more inputs, run when you
# submit, give the rest.
# Fill in every `raise NotImplementedError(...)`. Check your work with
#     pytest graders -m ex11_pool_backward
# Submit this file as ex11_pool_backward.py (see README.md, "Submitting").
# Rules every exercise shares:
#   - Never modify an argument in place (no `x += ...`, `x[...] = ...` or `x.mul_(...)` on an
#     input): the checks compare every input before and after each call.
#   - Return exactly the type and shape the contract names (a Python int where it says int, a tensor
#     of the input's dtype and device where it says tensor).
# Imports allowed: torch, torch.nn, torch.nn.functional, numpy, math, itertools, functools,
#     collections, collections.abc, dataclasses, typing, time, __future__, and your own earlier
#     exercises (ex1_output_size to ex10_conv_backward). Anything else (sys, os, ctypes, importlib,
#     torch's private or internal modules, exec/eval, ...) is flagged for review and scores 0; the
#     check reads your source before it runs.
# Forbidden here (detected while your code runs; using one scores 0 on this exercise):
#     torch functions and modules whose name contains *pool*, *backward*:
#     the exercise is to route the gradients yourself; torch.autograd (backward(), torch.autograd.grad, torch.func) and torch's pooling are forbidden; F.pad, unfold, F.fold, argmax, scatter_add and loops are allowed.
# (Generated from solutions/ex11_pool_backward.py by `cnnkit stubs`.)

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


def _fold_windows(shares: torch.Tensor, x_shape: torch.Size, kernel: tuple[int, int], stride: tuple[int, int],
                  padding: tuple[int, int]) -> torch.Tensor:
    """Add every window's shares back into the input's shape.

    ``shares`` (N, C, H_out, W_out, kH, kW) holds, for each window, what each of its positions
    receives. Returns (N, C, H, W): the padded sum, with the padding cropped off.
    """
    raise NotImplementedError("ex11_pool_backward: write _fold_windows")


def max_pool2d_backward(
    grad_out: torch.Tensor, x: torch.Tensor, kernel_size: IntOrPair, stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
) -> torch.Tensor:
    """Gradient of a loss with respect to ``x`` through ``F.max_pool2d(x, kernel_size, stride, padding)``.

    Args:
        grad_out: gradient with respect to the pooled output, (N, C, H_out, W_out).
        x: the forward pass's input, (N, C, H, W).
        kernel_size, stride, padding: as in the forward pass (stride None = kernel_size).

    Returns:
        grad_x (N, C, H, W): each window's gradient at the first position (row-major) of its
        maximum, summed over overlapping windows.
    """
    raise NotImplementedError("ex11_pool_backward: write max_pool2d_backward")


def avg_pool2d_backward(
    grad_out: torch.Tensor, x: torch.Tensor, kernel_size: IntOrPair, stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
) -> torch.Tensor:
    """Gradient of a loss with respect to ``x`` through ``F.avg_pool2d(x, kernel_size, stride, padding)``.

    Args:
        grad_out: gradient with respect to the pooled output, (N, C, H_out, W_out).
        x: the forward pass's input, (N, C, H, W) (only its shape and dtype matter).
        kernel_size, stride, padding: as in the forward pass (stride None = kernel_size).

    Returns:
        grad_x (N, C, H, W): ``grad_out / (kH * kW)`` spread over each window, summed over
        overlapping windows, the padding's shares dropped.
    """
    raise NotImplementedError("ex11_pool_backward: write avg_pool2d_backward")
