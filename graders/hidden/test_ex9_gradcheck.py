"""Hidden checks for exercise 9: the checker on a convolution layer, the reference as a second oracle."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from cnnkit import tolerances
from cnnkit.curriculum.ex9_gradcheck import ConvLoss, WeightedSine
from cnnkit.grading.checks import check_float, check_tensor
from cnnkit.grading.strategies import tensor, tensor_cases
from graders.test_ex9_gradcheck import ESTIMATE, gradient_hints


@pytest.mark.points(0.75)
@pytest.mark.parametrize(("stride", "padding"), [(1, 0), (2, 1)])
def test_on_a_convolution_layers_weights(sub, stride, padding):
    """What the checker is for: the weight gradient of a convolution layer's loss, w (3, 2, 2, 3)."""
    f = ConvLoss((2, 2, 5, 6), (3, 2, 2, 3), seed=31, stride=stride, padding=padding)
    w = tensor((3, 2, 2, 3), 41)
    check_tensor(sub.numerical_gradient(f, w), f.gradient(w), what="numerical_gradient", case=repr(f),
                 tol=ESTIMATE, hints=gradient_hints(f, w, 1e-6))


@pytest.mark.points(0.5)
@given(case=tensor_cases(min_dims=1, max_dims=4, max_side=3), eps=st.sampled_from([1e-4, 1e-5]))
def test_matches_reference(sub, ref, case, eps):
    """Up to 4 axes, other steps: the same estimate as the reference."""
    x = case.x(torch.float64)
    f = WeightedSine(case.shape, case.seed + 3)
    check_tensor(sub.numerical_gradient(f, x, eps), ref.numerical_gradient(f, x, eps),
                 what=f"numerical_gradient(eps={eps})", case=f"{f!r}, {case}", hints=gradient_hints(f, x, eps))


@pytest.mark.points(0.25)
def test_relative_error_of_equal_and_zero_dim(sub):
    """Equal tensors give 0.0; 0-d tensors work; the result is a Python float."""
    a = tensor((4, 3), 51)
    check_float(sub.relative_error(a, a.clone()), 0.0, what="relative_error", case="a and a copy of it",
                tol=tolerances.FLOAT64)
    check_float(sub.relative_error(torch.tensor(3.0, dtype=torch.float64), torch.tensor(-1.0, dtype=torch.float64)),
                1.0, what="relative_error", case="a = 3.0, b = -1.0 (0-d tensors)", tol=tolerances.FLOAT64)
