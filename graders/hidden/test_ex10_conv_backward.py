"""Hidden checks for exercise 10, ``conv2d_backward``: larger and odd cases, the reference as a second oracle."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given

from cnnkit import tolerances
from cnnkit.grading.checks import check_tensor
from cnnkit.grading.strategies import WindowCase, tensor, window_cases
from graders.test_ex10_conv_backward import NAMES, check_gradients, grad_out_for


@pytest.mark.points(3)
@given(case=window_cases(conv=True, max_side=12))
def test_matches_autograd_and_reference_larger(sub, ref, case):
    """Inputs up to 12x12: autograd's gradients, and the reference's."""
    x, weight = case.x(), case.weight()
    grad_out = grad_out_for(case, x, weight)
    got = sub.conv2d_backward(grad_out, x, weight, case.stride, case.padding)
    check_gradients(got, grad_out, x, weight, case.stride, case.padding, case)
    for name, value, wanted in zip(NAMES, got, ref.conv2d_backward(grad_out, x, weight, case.stride, case.padding)):
        check_tensor(value, wanted, what=f"conv2d_backward {name} vs reference", case=case, tol=tolerances.GRADIENT64)


# Odd settings, each (case, why it matters).
EDGE_CASES = [
    (WindowCase(1, 1, 5, 5, 1, 1, 0, 11, out_channels=1), "1x1 kernel"),
    (WindowCase(2, 3, 4, 6, (4, 6), 1, 0, 12, out_channels=2), "kernel as large as the input"),
    (WindowCase(1, 2, 9, 7, 2, (4, 3), 1, 13, out_channels=3), "stride larger than the kernel: pixels no window reads"),
    (WindowCase(2, 2, 8, 8, 3, 2, 0, 14, out_channels=2), "last row and column never read (8 - 3 is odd)"),
    (WindowCase(1, 1, 1, 12, (1, 3), (1, 2), (0, 1), 15, out_channels=2), "a single row"),
    (WindowCase(3, 1, 3, 3, 3, 3, 2, 16, out_channels=1), "padding 2 around a 3x3 input, stride 3"),
    (WindowCase(1, 8, 5, 5, 3, 1, 1, 17, out_channels=6), "many channels"),
    (WindowCase(2, 2, 6, 6, (3, 1), (2, 1), (2, 0), 18, out_channels=2), "tall kernel, tall padding"),
]


@pytest.mark.points(3)
@pytest.mark.parametrize(("case", "why"), EDGE_CASES, ids=[why for _, why in EDGE_CASES])
def test_edge_cases(sub, case, why):
    """1x1 kernels, kernels as large as the input, unread pixels, single rows, large padding, many channels."""
    x, weight = case.x(), case.weight()
    grad_out = grad_out_for(case, x, weight)
    got = sub.conv2d_backward(grad_out, x, weight, case.stride, case.padding)
    check_gradients(got, grad_out, x, weight, case.stride, case.padding, f"{case} ({why})")


@pytest.mark.points(1)
@given(case=window_cases(conv=True, max_side=7))
def test_float32_matches_autograd(sub, case):
    """float32 inputs of every shape: float32 gradients within float32 tolerance."""
    x, weight = case.x(torch.float32), case.weight(torch.float32)
    grad_out = grad_out_for(case, x, weight, torch.float32)
    got = sub.conv2d_backward(grad_out, x, weight, case.stride, case.padding)
    check_gradients(got, grad_out, x, weight, case.stride, case.padding, f"{case}, float32")


@pytest.mark.points(1.5)
def test_non_contiguous_and_channels_last(sub):
    """A channels-last x, a transposed (non-contiguous) weight and grad_out: the same gradients."""
    x = tensor((2, 3, 7, 5), 21).to(memory_format=torch.channels_last)
    weight = tensor((4, 3, 3, 2), 22).transpose(-1, -2)  # (4, 3, 2, 3), non-contiguous
    grad_out = tensor((2, 4, 4, 3), 23, contiguous=False)  # stride (2, 1), padding (1, 0): 4 x 3
    got = sub.conv2d_backward(grad_out, x, weight, (2, 1), (1, 0))
    check_gradients(got, grad_out, x, weight, (2, 1), (1, 0),
                    "x (2, 3, 7, 5) channels-last, weight (4, 3, 2, 3) non-contiguous, grad_out non-contiguous, "
                    "stride=(2, 1), padding=(1, 0)")
