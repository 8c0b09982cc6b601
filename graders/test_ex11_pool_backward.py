"""Public checks for exercise 11, ``max_pool2d_backward`` and ``avg_pool2d_backward``: autograd of torch's pooling."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given

from cnnkit import tolerances
from cnnkit.grading.checks import Mistake, check_tensor
from cnnkit.grading.strategies import WindowCase, pair, tensor, window_cases


def pool_cases(max_side: int = 7):
    """Pooling settings as in exercise 3: padding <= kernel / 2, stride None sometimes."""
    return window_cases(conv=False, max_side=max_side, max_padding_ratio=0.5, allow_none_stride=True)


def with_ties(case: WindowCase, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Inputs rounded to a few integers: most windows hold their maximum more than once."""
    return case.x(dtype).mul(1.5).round()


def torch_grad_x(pool: Any, grad_out: torch.Tensor, x: torch.Tensor, kernel: Any, stride: Any, padding: Any,
                 **options: Any) -> torch.Tensor:
    leaf = x.detach().clone().requires_grad_()
    return torch.autograd.grad(pool(leaf, kernel, stride, padding, **options), leaf, grad_out)[0]


def grad_out_for(pool: Any, case: WindowCase, x: torch.Tensor) -> torch.Tensor:
    shape = tuple(pool(x, case.kernel, case.stride, case.padding).shape)
    return tensor(shape, case.seed + 3, x.dtype)


def _max_shares(grad_out, x, kernel, stride, padding, rule: str) -> torch.Tensor:
    """Known wrong routings of max-pool gradients: to every tied position, or ties split evenly."""
    kh, kw = pair(kernel)
    sh, sw = pair(kernel if stride is None else stride)
    ph, pw = pair(padding)
    padded = F.pad(x, (pw, pw, ph, ph), value=float("-inf"))
    windows = padded.unfold(2, kh, sh).unfold(3, kw, sw)
    mask = (windows == windows.amax(dim=(-2, -1), keepdim=True)).to(x.dtype)
    if rule == "split":
        mask = mask / mask.sum(dim=(-2, -1), keepdim=True)
    shares = mask * grad_out[..., None, None]
    columns = shares.permute(0, 1, 4, 5, 2, 3).reshape(x.shape[0], x.shape[1] * kh * kw, -1)
    full = F.fold(columns, padded.shape[2:], (kh, kw), stride=(sh, sw))
    return full[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]


def max_hints(grad_out, x, kernel, stride, padding) -> list[Mistake]:
    """Known wrong max-pool gradients (hints: ``cnnkit/curriculum/ex11_pool_backward.py``)."""
    return [
        Mistake("max_to_every_tie", lambda: _max_shares(grad_out, x, kernel, stride, padding, "all")),
        Mistake("max_ties_split", lambda: _max_shares(grad_out, x, kernel, stride, padding, "split")),
        Mistake("stride_none_is_one", lambda: torch_grad_x(F.max_pool2d, grad_out, x, kernel, 1, padding)),
        Mistake("max_pads_with_zeros", lambda: _zero_padded_max(grad_out, x, kernel, stride, padding)),
    ]


def _zero_padded_max(grad_out, x, kernel, stride, padding) -> torch.Tensor:
    ph, pw = pair(padding)
    padded = F.pad(x, (pw, pw, ph, ph)).requires_grad_()
    grad = torch.autograd.grad(F.max_pool2d(padded, kernel, stride), padded, grad_out)[0]
    return grad[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]


def avg_hints(grad_out, x, kernel, stride, padding) -> list[Mistake]:
    """Known wrong average-pool gradients."""
    kh, kw = pair(kernel)
    exact = torch_grad_x(F.avg_pool2d, grad_out, x, kernel, stride, padding)
    return [
        Mistake("avg_excludes_padding",
                lambda: torch_grad_x(F.avg_pool2d, grad_out, x, kernel, stride, padding, count_include_pad=False)),
        Mistake("avg_not_divided", lambda: exact * (kh * kw)),
        Mistake("avg_divided_by_height", lambda: exact * kw),
        Mistake("avg_divided_by_width", lambda: exact * kh),
        Mistake("stride_none_is_one", lambda: torch_grad_x(F.avg_pool2d, grad_out, x, kernel, 1, padding)),
    ]


def check_max(sub, grad_out, x, kernel, stride, padding, case) -> None:
    got = sub.max_pool2d_backward(grad_out, x, kernel, stride, padding)
    check_tensor(got, torch_grad_x(F.max_pool2d, grad_out, x, kernel, stride, padding), what="max_pool2d_backward",
                 case=case, tol=tolerances.GRADIENT64 if x.dtype == torch.float64 else tolerances.FLOAT32,
                 hints=max_hints(grad_out, x, kernel, stride, padding))


def check_avg(sub, grad_out, x, kernel, stride, padding, case) -> None:
    got = sub.avg_pool2d_backward(grad_out, x, kernel, stride, padding)
    check_tensor(got, torch_grad_x(F.avg_pool2d, grad_out, x, kernel, stride, padding), what="avg_pool2d_backward",
                 case=case, tol=tolerances.GRADIENT64 if x.dtype == torch.float64 else tolerances.FLOAT32,
                 hints=avg_hints(grad_out, x, kernel, stride, padding))


@pytest.mark.points(1.5)
def test_max_worked_example_with_ties(sub):
    """The lesson's example: 2x2 windows, stride 1, ties; grad_x = [[0, 2, 0], [1, 0, 1], [0, 0, 0]]."""
    x = torch.tensor([[[[1.0, 5.0, 5.0], [5.0, 2.0, 5.0], [0.0, 5.0, 1.0]]]], dtype=torch.float64)
    check_max(sub, torch.ones(1, 1, 2, 2, dtype=torch.float64), x, 2, 1, 0,
              "x [[1, 5, 5], [5, 2, 5], [0, 5, 1]], kernel_size=2, stride=1, grad_out ones")


@pytest.mark.points(3)
@given(case=pool_cases())
def test_max_matches_autograd(sub, case):
    """Random values (no ties): overlapping and gapped windows, padding, int/pair arguments, stride None."""
    x = case.x()
    check_max(sub, grad_out_for(F.max_pool2d, case, x), x, case.kernel, case.stride, case.padding, case)


@pytest.mark.points(2)
@given(case=pool_cases())
def test_max_ties_go_to_the_first_maximum(sub, case):
    """Inputs of a few integer values, full of ties: each window's gradient goes to its first maximum."""
    x = with_ties(case)
    check_max(sub, grad_out_for(F.max_pool2d, case, x), x, case.kernel, case.stride, case.padding,
              f"{case}, values rounded to integers (ties)")


@pytest.mark.points(1)
def test_avg_worked_example(sub):
    """2x2 windows, stride 2, no padding, grad_out [[4, 8]]: every input pixel gets its window's grad / 4."""
    x = tensor((1, 1, 2, 4), 0)
    grad_out = torch.tensor([[[[4.0, 8.0]]]], dtype=torch.float64)
    check_avg(sub, grad_out, x, 2, None, 0, "x (1, 1, 2, 4), kernel_size=2, stride=None, grad_out [[4, 8]]")


@pytest.mark.points(2)
@given(case=pool_cases())
def test_avg_matches_autograd(sub, case):
    """Overlapping and gapped windows, padding counted in the average, int/pair arguments, stride None."""
    x = case.x()
    check_avg(sub, grad_out_for(F.avg_pool2d, case, x), x, case.kernel, case.stride, case.padding, case)
