"""Public checks for exercise 10, ``conv2d_backward``: autograd of ``F.conv2d`` (float64) as the oracle."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given

from cnnkit import tolerances
from cnnkit.grading.checks import Mistake, check_tensor, fail
from cnnkit.grading.strategies import WindowCase, pair, tensor, window_cases

NAMES = ("grad_x", "grad_weight", "grad_bias")


def torch_gradients(grad_out: torch.Tensor, x: torch.Tensor, weight: torch.Tensor, stride: Any,
                    padding: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(grad_x, grad_weight, grad_bias) by autograd of F.conv2d with a bias (trusted oracle)."""
    leaves = (x.detach().clone().requires_grad_(), weight.detach().clone().requires_grad_(),
              torch.zeros(weight.shape[0], dtype=x.dtype, requires_grad=True))
    out = F.conv2d(*leaves, stride=stride, padding=padding)
    return torch.autograd.grad(out, leaves, grad_out)


def _grad_x_stride_one(grad_out: torch.Tensor, weight: torch.Tensor, x_shape: torch.Size, padding: Any) -> torch.Tensor:
    """grad_x if every window were sent back with step 1 instead of the stride (a known mistake)."""
    ph, pw = pair(padding)
    spread = F.conv_transpose2d(grad_out, weight)  # windows one pixel apart
    full = torch.zeros(x_shape[0], x_shape[1], x_shape[2] + 2 * ph, x_shape[3] + 2 * pw, dtype=grad_out.dtype)
    full[:, :, : spread.shape[2], : spread.shape[3]] = spread[:, :, : full.shape[2], : full.shape[3]]
    return full[:, :, ph : ph + x_shape[2], pw : pw + x_shape[3]]


def grad_x_hints(grad_out: torch.Tensor, x: torch.Tensor, weight: torch.Tensor, stride: Any,
                 padding: Any) -> list[Mistake]:
    """Known wrong grad_x (hints: ``cnnkit/curriculum/ex10_conv_backward.py``)."""
    ph, pw = pair(padding)

    def uncropped() -> torch.Tensor:
        padded = F.pad(x, (pw, pw, ph, ph)).requires_grad_()
        return torch.autograd.grad(F.conv2d(padded, weight, None, stride), padded, grad_out)[0]

    return [
        Mistake("padding_not_cropped", uncropped),
        Mistake("kernel_flipped_wrong", lambda: torch_gradients(grad_out, x, weight.flip(-1, -2), stride, padding)[0]),
        Mistake("stride_ignored_in_grad_x", lambda: _grad_x_stride_one(grad_out, weight, x.shape, padding)),
    ]


def grad_weight_hints(grad_out: torch.Tensor, x: torch.Tensor, weight: torch.Tensor, stride: Any,
                      padding: Any) -> list[Mistake]:
    """Known wrong grad_weight."""
    ph, pw = pair(padding)
    return [
        Mistake("grad_weight_unpadded",
                lambda: torch.nn.grad.conv2d_weight(F.pad(x, (0, 2 * pw, 0, 2 * ph)), weight.shape, grad_out, stride)),
        Mistake("grad_weight_channels_swapped",
                lambda: torch_gradients(grad_out, x, weight, stride, padding)[1].transpose(0, 1)),
    ]


def grad_bias_hints(grad_out: torch.Tensor) -> list[Mistake]:
    """Known wrong grad_bias."""
    return [
        Mistake("bias_averaged", lambda: grad_out.mean(dim=(0, 2, 3))),
        Mistake("bias_first_image_only", lambda: grad_out[0].sum(dim=(1, 2))),
        Mistake("bias_batch_not_summed", lambda: grad_out.sum(dim=(2, 3))),
        Mistake("bias_positions_not_summed", lambda: grad_out.sum(dim=0)),
    ]


def check_gradients(got: Any, grad_out: torch.Tensor, x: torch.Tensor, weight: torch.Tensor, stride: Any,
                    padding: Any, case: Any, expected: tuple[torch.Tensor, ...] | None = None) -> None:
    """``got`` is (grad_x, grad_weight, grad_bias) equal to autograd's, each explained on failure."""
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        fail("conv2d_backward", f"returned {type(got).__name__}"
             + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else "")
             + "; expected a tuple (grad_x, grad_weight, grad_bias)", case)
    expected = expected or torch_gradients(grad_out, x, weight, stride, padding)
    hints = (grad_x_hints(grad_out, x, weight, stride, padding),
             grad_weight_hints(grad_out, x, weight, stride, padding), grad_bias_hints(grad_out))
    tol = tolerances.GRADIENT64 if x.dtype == torch.float64 else tolerances.FLOAT32
    for name, value, wanted, known in zip(NAMES, got, expected, hints):
        check_tensor(value, wanted, what=f"conv2d_backward {name}", case=case, tol=tol, hints=known)


def grad_out_for(case: WindowCase, x: torch.Tensor, weight: torch.Tensor, dtype: torch.dtype = torch.float64,
                 contiguous: bool = True) -> torch.Tensor:
    shape = tuple(F.conv2d(x, weight, None, case.stride, case.padding).shape)
    return tensor(shape, case.seed + 3, dtype, contiguous)


@pytest.mark.points(1.5)
def test_worked_example(sub):
    """x = 1..9 (1, 1, 3, 3), weight [[1, 0], [0, -1]], grad_out all ones (1, 1, 2, 2).

    grad_weight = the sum of the 4 windows = [[12, 16], [24, 28]]; grad_bias = [4];
    grad_x[p] = the sum of the kernel entries that touched p = [[1, 1, 0], [1, 0, -1], [0, -1, -1]].
    """
    x = torch.arange(1.0, 10.0, dtype=torch.float64).reshape(1, 1, 3, 3)
    weight = torch.tensor([[[[1.0, 0.0], [0.0, -1.0]]]], dtype=torch.float64)
    grad_out = torch.ones(1, 1, 2, 2, dtype=torch.float64)
    expected = (torch.tensor([[[[1.0, 1.0, 0.0], [1.0, 0.0, -1.0], [0.0, -1.0, -1.0]]]], dtype=torch.float64),
                torch.tensor([[[[12.0, 16.0], [24.0, 28.0]]]], dtype=torch.float64),
                torch.tensor([4.0], dtype=torch.float64))
    got = sub.conv2d_backward(grad_out, x, weight)
    check_gradients(got, grad_out, x, weight, 1, 0, "x = 1..9 (1, 1, 3, 3), weight [[1, 0], [0, -1]], grad_out ones",
                    expected)


@pytest.mark.points(5)
@given(case=window_cases(conv=True, max_side=7))
def test_matches_autograd(sub, case):
    """Random shapes, int and pair stride/padding, non-square kernels, batch 1, gaps between windows."""
    x, weight = case.x(), case.weight()
    grad_out = grad_out_for(case, x, weight)
    got = sub.conv2d_backward(grad_out, x, weight, stride=case.stride, padding=case.padding)
    check_gradients(got, grad_out, x, weight, case.stride, case.padding, case)


@pytest.mark.points(1)
def test_keeps_float32(sub):
    """float32 in, float32 gradients out."""
    x, weight = tensor((2, 3, 6, 5), 1, torch.float32), tensor((4, 3, 3, 2), 2, torch.float32)
    grad_out = tensor((2, 4, 3, 3), 3, torch.float32)
    check_gradients(sub.conv2d_backward(grad_out, x, weight, 2, 1), grad_out, x, weight, 2, 1,
                    "x (2, 3, 6, 5) float32, weight (4, 3, 3, 2), stride=2, padding=1")
