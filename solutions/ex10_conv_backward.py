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
    ### BEGIN SOLUTION
    stride_h, stride_w = _pair(stride)
    pad_h, pad_w = _pair(padding)
    batch, channels, height, width = x.shape
    out_channels, _, kernel_h, kernel_w = weight.shape
    out_h, out_w = grad_out.shape[2], grad_out.shape[3]

    grad_bias = grad_out.sum(dim=(0, 2, 3))

    # Channels last, one row per output position (n, i, j): for a kernel offset (u, v), output
    # (n, i, j) saw input row (n, i*sh + u, j*sw + v) of the padded x, so each offset is two matrix
    # products over those rows: one for grad_weight[:, :, u, v], one added into the padded grad_x.
    grad_rows = grad_out.permute(0, 2, 3, 1).reshape(-1, out_channels)  # (N*H_out*W_out, C_out)
    padded = F.pad(x, (pad_w, pad_w, pad_h, pad_h)).permute(0, 2, 3, 1)  # (N, H+2ph, W+2pw, C_in)
    grad_padded = x.new_zeros(batch, height + 2 * pad_h, width + 2 * pad_w, channels)
    grad_weight = x.new_empty(weight.shape)
    for u in range(kernel_h):
        for v in range(kernel_w):
            seen = (slice(None), slice(u, u + stride_h * (out_h - 1) + 1, stride_h),
                    slice(v, v + stride_w * (out_w - 1) + 1, stride_w))  # fmt: skip
            grad_weight[:, :, u, v] = grad_rows.T @ padded[seen].reshape(-1, channels)
            grad_padded[seen] += (grad_rows @ weight[:, :, u, v]).reshape(batch, out_h, out_w, channels)
    grad_x = grad_padded[:, pad_h : pad_h + height, pad_w : pad_w + width].permute(0, 3, 1, 2)
    return grad_x.contiguous(), grad_weight, grad_bias
    ### END SOLUTION
