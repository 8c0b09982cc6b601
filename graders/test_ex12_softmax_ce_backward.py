"""Public checks for exercise 12, ``cross_entropy_backward``: autograd of ``F.cross_entropy`` (float64) as the oracle."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given

from cnnkit import tolerances
from cnnkit.grading.checks import Mistake, check_tensor
from cnnkit.grading.strategies import LogitsCase, logits_cases


def torch_gradient(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    leaf = logits.detach().clone().requires_grad_()
    return torch.autograd.grad(F.cross_entropy(leaf, targets), leaf)[0]


def gradient_hints(logits: torch.Tensor, targets: torch.Tensor) -> list[Mistake]:
    """Known wrong gradients (hints: ``cnnkit/curriculum/ex12_softmax_ce_backward.py``)."""
    exact = torch_gradient(logits, targets)
    one_hot = F.one_hot(targets, logits.shape[1]).to(logits.dtype)
    return [
        Mistake("missing_one_over_n", lambda: exact * logits.shape[0]),
        Mistake("sign_flipped", lambda: -exact),
        Mistake("softmax_over_batch", lambda: (F.softmax(logits, 0) - one_hot) / logits.shape[0]),
        Mistake("one_hot_missing", lambda: F.softmax(logits, 1) / logits.shape[0]),
    ]


def check_gradient(sub, logits: torch.Tensor, targets: torch.Tensor, case: object) -> None:
    got = sub.cross_entropy_backward(logits, targets)
    tol = tolerances.GRADIENT64 if logits.dtype == torch.float64 else tolerances.FLOAT32
    check_tensor(got, torch_gradient(logits, targets), what="cross_entropy_backward", case=case, tol=tol,
                 hints=gradient_hints(logits, targets))


@pytest.mark.points(1)
def test_worked_example(sub):
    """Two rows of equal logits [0, 0] with targets [0, 1]: softmax = 1/2 each, gradient [[-1/4, 1/4], [1/4, -1/4]]."""
    logits = torch.zeros(2, 2, dtype=torch.float64)
    check_gradient(sub, logits, torch.tensor([0, 1]), "logits zeros (2, 2), targets [0, 1]")


@pytest.mark.points(3)
@given(case=logits_cases(scales=(1.0, 10.0)))
def test_matches_autograd(sub, case: LogitsCase):
    """Batches of 1 to 8 rows, 1 to 10 classes, logits of scale 1 and 10."""
    check_gradient(sub, case.logits(), case.targets(), case)


@pytest.mark.points(1.5)
@given(case=logits_cases(scales=(1e3, 1e4)))
def test_stable_for_large_logits(sub, case: LogitsCase):
    """Logits in the thousands: exp overflows unless each row's maximum is subtracted first."""
    check_gradient(sub, case.logits(), case.targets(), case)


@pytest.mark.points(0.5)
def test_keeps_float32(sub):
    """float32 logits give a float32 gradient."""
    logits = torch.randn(4, 5, generator=torch.Generator().manual_seed(0)) * 3
    check_gradient(sub, logits, torch.tensor([0, 4, 2, 2]), "logits (4, 5) float32, targets [0, 4, 2, 2]")
