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
    ### BEGIN SOLUTION
    kernel_h, kernel_w = _pair(kernel_size)
    stride_h, stride_w = _pair(kernel_size if stride is None else stride)
    pad_h, pad_w = _pair(padding)
    padded = F.pad(x, (pad_w, pad_w, pad_h, pad_h), value=fill)
    return padded.unfold(2, kernel_h, stride_h).unfold(3, kernel_w, stride_w)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    return _windows(x, kernel_size, stride, padding, float("-inf")).amax(dim=(-2, -1))
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    return _windows(x, kernel_size, stride, padding, 0.0).mean(dim=(-2, -1))
    ### END SOLUTION
