"""Hidden checks for exercise 6, softmax and cross-entropy: the reference as a second oracle, odd cases."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given

from cnnkit import tolerances
from cnnkit.grading.checks import Mistake, check_tensor
from cnnkit.grading.strategies import logits_cases, tensor
from graders.test_ex6_softmax import (
    cross_entropy_hints,
    log_of_softmax,
    softmax_cases,
    softmax_hints,
    unshifted_softmax,
)


@pytest.mark.points(0.5)
@given(case_and_dim=softmax_cases())
def test_softmax_matches_reference_at_large_scale(sub, ref, case_and_dim):
    """The same shapes with logits 1000 times larger: agree with PyTorch and with the reference."""
    case, dim = case_and_dim
    logits = case.x() * 1000
    got = sub.softmax(logits, dim)
    label = f"{case}, logits times 1000, dim={dim}"
    check_tensor(got, F.softmax(logits, dim), what=f"softmax(dim={dim})", case=label, tol=tolerances.for_logits(logits),
                 hints=[unshifted_softmax(logits, dim), *softmax_hints(logits, dim)])
    check_tensor(got, ref.softmax(logits, dim), what="softmax vs reference", case=label,
                 tol=tolerances.for_logits(logits))


@pytest.mark.points(0.25)
@pytest.mark.parametrize("dim", [0, 1, 2])
def test_softmax_gradient(sub, dim):
    """Autograd through softmax along each axis matches PyTorch."""
    logits = tensor((3, 4, 5), 71, scale=3.0).requires_grad_()
    expected = F.softmax(logits, dim)
    grad_out = tensor((3, 4, 5), 72)
    expected.backward(grad_out)
    got, grads = sub.call_with_grad("softmax", grad_out, logits.detach().requires_grad_(), dim)
    case = f"logits (3, 4, 5), dim={dim}"
    check_tensor(got, expected.detach(), what="softmax forward", case=case, tol=tolerances.for_logits(logits))
    grad = grads.get("logits", next(iter(grads.values()), None))
    check_tensor(grad, logits.grad, what="softmax gradient", case=case,
                 tol=tolerances.for_logits(logits, tolerances.GRADIENT64))


@pytest.mark.points(0.25)
def test_softmax_one_element_axis_and_float32_huge(sub):
    """A length-1 axis gives 1; float32 logits up to 1e30 give finite probabilities."""
    ones_axis = tensor((4, 1), 73)
    check_tensor(sub.softmax(ones_axis, 1), torch.ones(4, 1, dtype=torch.float64), what="softmax",
                 case="logits (4, 1), dim=1")
    huge = tensor((5, 6), 74, dtype=torch.float32, scale=1e30)
    check_tensor(sub.softmax(huge, 1), F.softmax(huge, 1), what="softmax (float32)", tol=tolerances.for_logits(huge),
                 case="logits (5, 6) float32 ~ N(0, 1e30^2), dim=1",
                 hints=[Mistake("softmax_overflow", lambda: huge * 0)])


@pytest.mark.points(0.25)
@given(case=logits_cases(max_batch=64, max_classes=100, scales=(1.0, 30.0, 1e3)))
def test_cross_entropy_matches_reference_larger(sub, ref, case):
    """Batches up to 64, up to 100 classes, logits up to 1e3: agree with PyTorch and the reference."""
    logits, targets = case.logits(), case.targets()
    got = sub.cross_entropy(logits, targets)
    check_tensor(got, F.cross_entropy(logits, targets), what="cross_entropy", case=case, tol=tolerances.for_logits(logits),
                 hints=[*cross_entropy_hints(logits, targets), log_of_softmax(logits, targets)])
    check_tensor(got, ref.cross_entropy(logits, targets), what="cross_entropy vs reference", case=case,
                 tol=tolerances.for_logits(logits))


@pytest.mark.points(0.25)
def test_cross_entropy_single_class_and_single_example(sub):
    """One class: the loss is 0. One example: the loss is that example's loss."""
    one_class = tensor((5, 1), 75)
    check_tensor(sub.cross_entropy(one_class, torch.zeros(5, dtype=torch.long)), torch.tensor(0.0, dtype=torch.float64),
                 what="cross_entropy", case="logits (5, 1), targets all 0")
    single = tensor((1, 7), 76)
    targets = torch.tensor([4])
    check_tensor(sub.cross_entropy(single, targets), F.cross_entropy(single, targets), what="cross_entropy",
                 case="logits (1, 7), targets [4]")


@pytest.mark.points(0.25)
def test_cross_entropy_non_contiguous_logits(sub):
    """Logits given as the transpose of a (C, N) tensor (non-contiguous): same loss."""
    logits = tensor((6, 9), 77).t()
    targets = torch.randint(0, 6, (9,), generator=torch.Generator().manual_seed(78))
    check_tensor(sub.cross_entropy(logits, targets), F.cross_entropy(logits, targets), what="cross_entropy",
                 case="logits (9, 6) non-contiguous, targets (9,)", hints=cross_entropy_hints(logits, targets))


@pytest.mark.points(0.25)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cross_entropy_gradient_at_extreme_logits(sub, dtype):
    """Gradient wrt logits stays finite and correct when the logits are 1e4 apart."""
    logits = torch.tensor([[1e4, 0.0, -1e4], [0.0, 1e3, 0.0], [5.0, -5.0, 1e4]], dtype=dtype, requires_grad=True)
    targets = torch.tensor([2, 0, 2])
    expected = F.cross_entropy(logits, targets)
    expected.backward()
    got, grads = sub.call_with_grad("cross_entropy", torch.tensor(1.0, dtype=dtype), logits.detach().requires_grad_(),
                                    targets)
    case = f"logits [[1e4, 0, -1e4], [0, 1e3, 0], [5, -5, 1e4]] {dtype}, targets [2, 0, 2]"
    check_tensor(got, expected.detach(), what="cross_entropy forward", case=case, tol=tolerances.for_logits(logits),
                 hints=[Mistake("ce_log_of_softmax", lambda: expected * 0 + float("inf"))])
    grad = grads.get("logits", next(iter(grads.values()), None))
    check_tensor(grad, logits.grad, what="cross_entropy gradient for logits", case=case,
                 tol=tolerances.for_logits(logits, tolerances.GRADIENT64 if dtype == torch.float64 else None))
