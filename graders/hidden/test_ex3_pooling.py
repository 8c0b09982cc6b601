"""Hidden checks for exercise 3, pooling: the reference as a second oracle, larger and odd cases."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given

from cnnkit import tolerances
from cnnkit.grading.checks import check_tensor
from cnnkit.grading.strategies import WindowCase, tensor, window_cases
from graders.test_ex3_pooling import avg_pool_hints, max_pool_hints

larger_cases = window_cases(conv=False, max_side=12, max_padding_ratio=0.5, allow_none_stride=True)


@pytest.mark.points(0.5)
@given(case=larger_cases)
def test_max_pool_matches_torch_and_reference_larger(sub, ref, case):
    """Inputs up to 12x12: agree with PyTorch and with the reference solution."""
    x = case.x()
    got = sub.max_pool2d(x, case.kernel, case.stride, case.padding)
    check_tensor(got, F.max_pool2d(x, case.kernel, case.stride, case.padding), what="max_pool2d", case=case,
                 hints=max_pool_hints(case, x))
    check_tensor(got, ref.max_pool2d(x, case.kernel, case.stride, case.padding), what="max_pool2d vs reference",
                 case=case)


@pytest.mark.points(0.5)
@given(case=larger_cases)
def test_avg_pool_matches_torch_and_reference_larger(sub, ref, case):
    """Inputs up to 12x12: agree with PyTorch and with the reference solution."""
    x = case.x()
    got = sub.avg_pool2d(x, case.kernel, case.stride, case.padding)
    check_tensor(got, F.avg_pool2d(x, case.kernel, case.stride, case.padding), what="avg_pool2d", case=case,
                 hints=avg_pool_hints(case, x))
    check_tensor(got, ref.avg_pool2d(x, case.kernel, case.stride, case.padding), what="avg_pool2d vs reference",
                 case=case)


EDGE_CASES = [
    (WindowCase(1, 1, 5, 5, 5, None, 0, 31), "kernel as large as the input: one window"),
    (WindowCase(2, 2, 4, 6, 1, 1, 0, 32), "1x1 kernel: the identity"),
    (WindowCase(1, 3, 9, 8, 2, 3, 1, 33), "stride larger than the kernel, with padding"),
    (WindowCase(1, 1, 1, 9, (1, 3), None, (0, 1), 34), "a single row, padding on the width only"),
    (WindowCase(2, 1, 7, 7, (3, 2), (1, 2), (1, 1), 35, contiguous=False), "overlapping tall windows"),
    (WindowCase(1, 2, 5, 3, (4, 2), (3, 1), (2, 1), 36), "padding = kernel / 2 on both axes"),
]


@pytest.mark.points(1)
@pytest.mark.parametrize(("case", "why"), EDGE_CASES, ids=[why for _, why in EDGE_CASES])
def test_edge_cases(sub, case, why):
    """One-window inputs, 1x1 kernels, strides above the kernel, single rows, maximal padding."""
    x = case.x()
    label = f"{case} ({why})"
    check_tensor(sub.max_pool2d(x, case.kernel, case.stride, case.padding),
                 F.max_pool2d(x, case.kernel, case.stride, case.padding), what="max_pool2d", case=label,
                 hints=max_pool_hints(case, x))
    check_tensor(sub.avg_pool2d(x, case.kernel, case.stride, case.padding),
                 F.avg_pool2d(x, case.kernel, case.stride, case.padding), what="avg_pool2d", case=label,
                 hints=avg_pool_hints(case, x))


@pytest.mark.points(0.5)
def test_max_pool_all_negative_with_padding(sub):
    """All-negative input with padding: the -inf padding never wins, the border keeps negative maxima."""
    case = WindowCase(1, 2, 6, 5, 3, 2, 1, 37)
    x = -case.x().abs() - 1
    check_tensor(sub.max_pool2d(x, 3, 2, 1), F.max_pool2d(x, 3, 2, 1), what="max_pool2d",
                 case="x (1, 2, 6, 5) all below -1, kernel_size=3, stride=2, padding=1", hints=max_pool_hints(case, x))


@pytest.mark.points(0.5)
def test_channels_last_input(sub):
    """A channels-last (non-contiguous) input holds the same values: same result."""
    x = tensor((2, 3, 8, 6), 38).to(memory_format=torch.channels_last)
    case = "x (2, 3, 8, 6) channels-last, kernel_size=(3, 2), stride=(2, 1), padding=(1, 0)"
    check_tensor(sub.max_pool2d(x, (3, 2), (2, 1), (1, 0)), F.max_pool2d(x, (3, 2), (2, 1), (1, 0)),
                 what="max_pool2d", case=case)
    check_tensor(sub.avg_pool2d(x, (3, 2), (2, 1), (1, 0)), F.avg_pool2d(x, (3, 2), (2, 1), (1, 0)),
                 what="avg_pool2d", case=case)


@pytest.mark.points(0.5)
@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
def test_gradients_with_overlap_and_padding(sub, name):
    """Stride 1 below a 3x3 kernel, with padding: each pixel collects gradient from several windows."""
    x = tensor((2, 2, 7, 6), 39).requires_grad_()
    expected = getattr(F, name)(x, 3, 1, 1)
    grad_out = tensor(tuple(expected.shape), 40)
    expected.backward(grad_out)
    got, grads = sub.call_with_grad(name, grad_out, x.detach().requires_grad_(), 3, 1, 1)
    case = "x (2, 2, 7, 6), kernel_size=3, stride=1, padding=1"
    check_tensor(got, expected.detach(), what=f"{name} forward", case=case)
    check_tensor(grads.get("x"), x.grad, what=f"{name} gradient for x", case=case, tol=tolerances.GRADIENT64)


@pytest.mark.points(0.5)
@given(case=window_cases(conv=False, max_side=8, max_padding_ratio=0.5, allow_none_stride=True))
def test_float32_matches_torch(sub, case):
    """float32 inputs of every shape: float32 outputs within float32 tolerance."""
    x = case.x(torch.float32)
    check_tensor(sub.max_pool2d(x, case.kernel, case.stride, case.padding),
                 F.max_pool2d(x, case.kernel, case.stride, case.padding), what="max_pool2d (float32)", case=case)
    check_tensor(sub.avg_pool2d(x, case.kernel, case.stride, case.padding),
                 F.avg_pool2d(x, case.kernel, case.stride, case.padding), what="avg_pool2d (float32)", case=case)
