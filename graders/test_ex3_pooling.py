"""Public checks for exercise 3, ``max_pool2d`` and ``avg_pool2d``: the article's example, then PyTorch."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given

from cnnkit import tolerances
from cnnkit.grading.checks import Mistake, check_tensor, fail
from cnnkit.grading.strategies import WindowCase, pair, window_cases

# PyTorch's rule for pooling: padding <= kernel / 2 on each axis.
pooling_cases = window_cases(conv=False, max_padding_ratio=0.5, allow_none_stride=True)


def _stride(case: WindowCase) -> tuple[int, int]:
    """The stride PyTorch uses: ``stride=None`` means the kernel size."""
    return pair(case.kernel if case.stride is None else case.stride)


def max_pool_hints(case: WindowCase, x: torch.Tensor) -> list[Mistake]:
    """Known wrong answers for max pooling of ``x`` under ``case``, computed lazily with torch
    (hints: ``cnnkit/curriculum/ex3_pooling.py``)."""
    kernel, stride, padding = pair(case.kernel), _stride(case), pair(case.padding)
    ph, pw = padding
    return [
        Mistake("max_pads_with_zeros", lambda: F.max_pool2d(F.pad(x, (pw, pw, ph, ph)), kernel, stride, 0)),
        Mistake("stride_none_is_one" if case.stride is None else "stride_ignored",
                lambda: F.max_pool2d(x, kernel, 1, padding)),
        Mistake("stride_is_kernel", lambda: F.max_pool2d(x, kernel, kernel, padding)),
        Mistake("height_width_swapped", lambda: F.max_pool2d(x, kernel[::-1], stride[::-1], padding[::-1])),
    ]


def avg_pool_hints(case: WindowCase, x: torch.Tensor) -> list[Mistake]:
    """Known wrong answers for average pooling of ``x`` under ``case``."""
    kernel, stride, padding = pair(case.kernel), _stride(case), pair(case.padding)
    return [
        Mistake("avg_excludes_padding", lambda: F.avg_pool2d(x, kernel, stride, padding, count_include_pad=False)),
        Mistake("stride_none_is_one" if case.stride is None else "stride_ignored",
                lambda: F.avg_pool2d(x, kernel, 1, padding)),
        Mistake("stride_is_kernel", lambda: F.avg_pool2d(x, kernel, kernel, padding)),
        Mistake("avg_is_sum", lambda: F.avg_pool2d(x, kernel, stride, padding) * kernel[0] * kernel[1]),
        Mistake("height_width_swapped", lambda: F.avg_pool2d(x, kernel[::-1], stride[::-1], padding[::-1])),
    ]


ARTICLE_X = [[1.0, 3.0, 2.0, 1.0], [4.0, 6.0, 5.0, 2.0], [3.0, 1.0, 0.0, 7.0], [2.0, 3.0, 8.0, 4.0]]


@pytest.mark.points(1)
def test_worked_example_max(sub):
    """The article's 4x4 example: 2x2 max pooling with stride 2 gives [[6, 5], [3, 8]]."""
    x = torch.tensor(ARTICLE_X, dtype=torch.float64).reshape(1, 1, 4, 4)
    expected = torch.tensor([[6.0, 5.0], [3.0, 8.0]], dtype=torch.float64).reshape(1, 1, 2, 2)
    case = "x = the article's 4x4 example as (1, 1, 4, 4), kernel_size=2, stride=2"
    check_tensor(sub.max_pool2d(x, 2, 2), expected, what="max_pool2d", case=case,
                 hints=[Mistake("stride_ignored", lambda: F.max_pool2d(x, 2, 1))])


@pytest.mark.points(1)
def test_worked_example_avg(sub):
    """The same 4x4 input under 2x2 average pooling with stride 2: [[3.5, 2.5], [2.25, 4.75]]."""
    x = torch.tensor(ARTICLE_X, dtype=torch.float64).reshape(1, 1, 4, 4)
    expected = torch.tensor([[3.5, 2.5], [2.25, 4.75]], dtype=torch.float64).reshape(1, 1, 2, 2)
    case = "x = the article's 4x4 example as (1, 1, 4, 4), kernel_size=2, stride=2"
    check_tensor(sub.avg_pool2d(x, 2, 2), expected, what="avg_pool2d", case=case,
                 hints=[Mistake("avg_is_sum", lambda: expected * 4)])


@pytest.mark.points(0.5)
def test_default_stride_is_kernel_size(sub):
    """Called without a stride, 2x2 pooling halves a 6x8 input (stride=None means stride = kernel)."""
    x = torch.randn(1, 2, 6, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    case = "x (1, 2, 6, 8), kernel_size=2, stride not given"
    check_tensor(sub.max_pool2d(x, 2), F.max_pool2d(x, 2), what="max_pool2d", case=case,
                 hints=[Mistake("stride_none_is_one", lambda: F.max_pool2d(x, 2, 1))])
    check_tensor(sub.avg_pool2d(x, 2), F.avg_pool2d(x, 2), what="avg_pool2d", case=case,
                 hints=[Mistake("stride_none_is_one", lambda: F.avg_pool2d(x, 2, 1))])


@pytest.mark.points(1.5)
@given(case=pooling_cases)
def test_max_pool_matches_torch(sub, case):
    """Random shapes, kernels, strides (None, below and above the kernel), padding, non-contiguous x."""
    x = case.x()
    expected = F.max_pool2d(x, case.kernel, case.stride, case.padding)
    got = sub.max_pool2d(x, case.kernel, case.stride, case.padding)
    check_tensor(got, expected, what="max_pool2d", case=case, hints=max_pool_hints(case, x))


@pytest.mark.points(1.5)
@given(case=pooling_cases)
def test_avg_pool_matches_torch(sub, case):
    """Same cases as max pooling; padded zeros count in every window's mean."""
    x = case.x()
    expected = F.avg_pool2d(x, case.kernel, case.stride, case.padding)
    got = sub.avg_pool2d(x, case.kernel, case.stride, case.padding)
    check_tensor(got, expected, what="avg_pool2d", case=case, hints=avg_pool_hints(case, x))


def check_pool_gradient(sub, name: str, case: WindowCase) -> None:
    """Forward and backward of ``sub.<name>`` against ``F.<name>`` on ``case`` (float64)."""
    torch_pool = getattr(F, name)
    x = case.x().requires_grad_()
    expected = torch_pool(x, case.kernel, case.stride, case.padding)
    grad_out = torch.randn(expected.shape, generator=torch.Generator().manual_seed(case.seed + 3), dtype=torch.float64)
    expected.backward(grad_out)
    got, grads = sub.call_with_grad(name, grad_out, x.detach().requires_grad_(), case.kernel, case.stride, case.padding)
    check_tensor(got, expected.detach(), what=f"{name} forward", case=case)
    check_tensor(grads.get("x"), x.grad, what=f"{name} gradient for x", case=case, tol=tolerances.GRADIENT64)


@pytest.mark.points(1)
@given(case=window_cases(conv=False, max_side=6, max_padding_ratio=0.5, allow_none_stride=True))
def test_max_pool_gradients_match_torch(sub, case):
    """The gradient reaches each window's maximum (and adds up where overlapping windows share it)."""
    check_pool_gradient(sub, "max_pool2d", case)


@pytest.mark.points(1)
@given(case=window_cases(conv=False, max_side=6, max_padding_ratio=0.5, allow_none_stride=True))
def test_avg_pool_gradients_match_torch(sub, case):
    """Every pixel of a window gets grad / (kH * kW)."""
    check_pool_gradient(sub, "avg_pool2d", case)


@pytest.mark.points(1)
def test_max_pool_gradient_with_ties(sub):
    """Tied maxima: each window's gradient reaches only positions holding its maximum and adds up to it.

    Windows tile the input (stride = kernel), so every pixel belongs to one window. Whether the
    gradient goes to one tied position (PyTorch) or is split among them (``amax``) is the
    student's choice, as the stub says.
    """
    x = torch.tensor([[[[1, 1, 0, 2, 5, 5], [1, 1, 2, 1, 5, 5], [3, 0, 4, 4, 0, 0], [0, 3, 4, 4, 0, 0]]]],
                     dtype=torch.float64)
    grad_out = torch.tensor([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]], dtype=torch.float64)
    case = f"x = {x[0, 0].int().tolist()} as (1, 1, 4, 6), kernel_size=2, stride=2, upstream gradient {grad_out[0, 0].tolist()}"
    got, grads = sub.call_with_grad("max_pool2d", grad_out, x.clone().requires_grad_(), 2, 2, 0)
    check_tensor(got, F.max_pool2d(x, 2, 2), what="max_pool2d forward", case=case)
    grad = grads.get("x")
    check_tensor(grad, x, what="max_pool2d gradient for x", case=case, tol=tolerances.FLOAT64,
                 check_values=False)

    def windows(t: torch.Tensor) -> torch.Tensor:  # (4, 6) -> (window row, window column, its 4 pixels)
        return t.reshape(2, 2, 3, 2).permute(0, 2, 1, 3).reshape(2, 3, 4)

    is_max = windows(x[0, 0]) == windows(x[0, 0]).amax(dim=-1, keepdim=True)
    per_window = windows(grad[0, 0])
    if bool((per_window[~is_max] != 0).any()):
        fail("max_pool2d gradient", "gradient reached a position that is not its window's maximum", case,
             mistake="gradient_to_non_max")
    check_tensor(per_window.sum(dim=-1), grad_out[0, 0], what="max_pool2d gradient summed over each window",
                 case=case, tol=tolerances.GRADIENT64,
                 hints=[Mistake("tied_positions_get_full_gradient",
                                lambda: (is_max * grad_out[0, 0, :, :, None]).sum(dim=-1))])


@pytest.mark.points(0.5)
def test_keeps_float32(sub):
    """float32 in, float32 out (no silent upcast to float64)."""
    x = torch.randn(2, 3, 7, 6, generator=torch.Generator().manual_seed(0))
    case = "x (2, 3, 7, 6) float32, kernel_size=3, stride=2, padding=1"
    check_tensor(sub.max_pool2d(x, 3, 2, 1), F.max_pool2d(x, 3, 2, 1), what="max_pool2d (float32)", case=case)
    check_tensor(sub.avg_pool2d(x, 3, 2, 1), F.avg_pool2d(x, 3, 2, 1), what="avg_pool2d (float32)", case=case)
