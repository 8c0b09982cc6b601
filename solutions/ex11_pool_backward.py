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
    ### BEGIN SOLUTION
    batch, channels, height, width = x_shape
    (kernel_h, kernel_w), (pad_h, pad_w) = kernel, padding
    out_h, out_w = shares.shape[2], shares.shape[3]
    columns = shares.permute(0, 1, 4, 5, 2, 3).reshape(batch, channels * kernel_h * kernel_w, out_h * out_w)
    summed = F.fold(columns, (height + 2 * pad_h, width + 2 * pad_w), kernel, stride=stride)
    return summed[:, :, pad_h : pad_h + height, pad_w : pad_w + width]
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    kernel = _pair(kernel_size)
    steps = _pair(kernel_size if stride is None else stride)
    pads = _pair(padding)
    padded = F.pad(x, (pads[1], pads[1], pads[0], pads[0]), value=float("-inf"))
    windows = padded.unfold(2, kernel[0], steps[0]).unfold(3, kernel[1], steps[1])
    flat = windows.reshape(*windows.shape[:4], kernel[0] * kernel[1])
    first_max = F.one_hot(flat.argmax(dim=-1), kernel[0] * kernel[1]).to(grad_out.dtype)
    shares = (first_max * grad_out.unsqueeze(-1)).reshape(windows.shape)
    return _fold_windows(shares, x.shape, kernel, steps, pads)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    kernel = _pair(kernel_size)
    steps = _pair(kernel_size if stride is None else stride)
    pads = _pair(padding)
    share = grad_out / (kernel[0] * kernel[1])
    shares = share[..., None, None].expand(*grad_out.shape, kernel[0], kernel[1])
    return _fold_windows(shares, x.shape, kernel, steps, pads)
    ### END SOLUTION
