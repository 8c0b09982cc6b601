"""Hidden checks for exercise 12: extreme logits, one class, int32 targets, the reference as a second oracle."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given

from cnnkit import tolerances
from cnnkit.grading.checks import check_tensor
from cnnkit.grading.strategies import logits_cases
from graders.test_ex12_softmax_ce_backward import check_gradient, torch_gradient


@pytest.mark.points(0.75)
@given(case=logits_cases(max_batch=64, max_classes=20, scales=(1.0, 1e2, 1e30)))
def test_matches_autograd_and_reference(sub, ref, case):
    """Up to 64 rows, 20 classes, logits up to 1e30: autograd's gradient and the reference's."""
    logits, targets = case.logits(), case.targets()
    check_gradient(sub, logits, targets, case)
    check_tensor(sub.cross_entropy_backward(logits, targets), ref.cross_entropy_backward(logits, targets),
                 what="cross_entropy_backward vs reference", case=case, tol=tolerances.GRADIENT64)


@pytest.mark.points(0.75)
def test_one_class_and_one_row(sub):
    """One class: the loss is always 0, so is the gradient. One row: no 1/N to forget, still softmax - one_hot."""
    check_gradient(sub, torch.randn(3, 1, dtype=torch.float64), torch.zeros(3, dtype=torch.long), "logits (3, 1)")
    logits = torch.tensor([[2.0, -1.0, 0.5]], dtype=torch.float64)
    check_gradient(sub, logits, torch.tensor([2]), "logits [[2, -1, 0.5]], targets [2]")


@pytest.mark.points(0.5)
def test_int32_targets_and_all_same_logits_large(sub):
    """int32 targets work; a row of equal logits of 1e4 gives softmax 1/C exactly."""
    logits = torch.full((2, 4), 1e4, dtype=torch.float64)
    check_gradient(sub, logits, torch.tensor([3, 0], dtype=torch.int32).long(), "logits all 1e4 (2, 4), targets [3, 0]")
    check_tensor(sub.cross_entropy_backward(logits, torch.tensor([3, 0], dtype=torch.int32)),
                 torch_gradient(logits, torch.tensor([3, 0])), what="cross_entropy_backward (int32 targets)",
                 case="logits all 1e4 (2, 4), targets [3, 0] as int32", tol=tolerances.GRADIENT64)
