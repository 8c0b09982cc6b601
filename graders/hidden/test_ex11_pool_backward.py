"""Hidden checks for exercise 11: larger and odd pooling settings, the reference as a second oracle."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given

from cnnkit import tolerances
from cnnkit.grading.checks import check_tensor
from cnnkit.grading.strategies import WindowCase, tensor
from graders.test_ex11_pool_backward import check_avg, check_max, grad_out_for, pool_cases, with_ties


@pytest.mark.points(1.5)
@given(case=pool_cases(max_side=12))
def test_both_match_autograd_and_reference_larger(sub, ref, case):
    """Inputs up to 12x12 (ties in the max-pool input): autograd's gradients, and the reference's."""
    x = with_ties(case)
    for pool, name in ((F.max_pool2d, "max_pool2d_backward"), (F.avg_pool2d, "avg_pool2d_backward")):
        grad_out = grad_out_for(pool, case, x)
        (check_max if pool is F.max_pool2d else check_avg)(sub, grad_out, x, case.kernel, case.stride,
                                                           case.padding, case)
        args = (grad_out, x, case.kernel, case.stride, case.padding)
        check_tensor(sub.call(name, *args), getattr(ref, name)(*args), what=f"{name} vs reference", case=case,
                     tol=tolerances.GRADIENT64)


EDGE_CASES = [
    (WindowCase(1, 1, 6, 6, 3, 1, 1, 11), "3x3 windows, stride 1: every pixel in up to 9 windows"),
    (WindowCase(2, 2, 7, 7, 2, 3, 0, 12), "stride 3 > kernel 2: pixels no window reads get 0"),
    (WindowCase(1, 3, 5, 5, 2, None, 0, 13), "stride None, 5x5: the last row and column are never read"),
    (WindowCase(1, 1, 1, 9, (1, 3), (1, 2), (0, 1), 14), "a single row, padding on the sides"),
    (WindowCase(2, 1, 4, 4, 4, 1, 2, 15), "kernel 4, padding 2: windows mostly padding"),
    (WindowCase(1, 2, 6, 5, (3, 2), (2, 1), (1, 1), 16, contiguous=False), "non-square everything, non-contiguous x"),
]


@pytest.mark.points(1.5)
@pytest.mark.parametrize(("case", "why"), EDGE_CASES, ids=[why for _, why in EDGE_CASES])
def test_edge_cases(sub, case, why):
    """Many overlapping windows, unread pixels, windows mostly of padding, single rows (ties in max pooling)."""
    x = with_ties(case)
    check_max(sub, grad_out_for(F.max_pool2d, case, x), x, case.kernel, case.stride, case.padding, f"{case} ({why})")
    x = case.x()
    check_avg(sub, grad_out_for(F.avg_pool2d, case, x), x, case.kernel, case.stride, case.padding, f"{case} ({why})")


@pytest.mark.points(0.5)
def test_keeps_float32_and_negative_inputs(sub):
    """float32 in, float32 out; an all-negative input with padding (padding must never win the max)."""
    x = -tensor((2, 2, 5, 5), 21, torch.float32).abs() - 1
    grad_out = tensor((2, 2, 3, 3), 22, torch.float32)
    case = "x (2, 2, 5, 5) float32, all negative, kernel_size=3, stride=2, padding=1"
    check_max(sub, grad_out, x, 3, 2, 1, case)
    check_avg(sub, grad_out, x, 3, 2, 1, case)
