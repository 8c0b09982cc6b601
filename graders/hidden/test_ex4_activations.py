"""Hidden checks for exercise 4, activations: the reference as a second oracle, odd shapes, accuracy near 0."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given

from cnnkit import tolerances
from cnnkit.grading.checks import check_tensor, fail
from cnnkit.grading.strategies import tensor, tensor_cases
from graders.test_ex4_activations import ACTIVATIONS, SMOOTH, TORCH, check_gradient, hints_for


@pytest.mark.points(0.5)
@pytest.mark.parametrize("name", ACTIVATIONS)
@given(case=tensor_cases(min_dims=1, max_dims=5, max_side=5, scales=(3.0, 100.0, 1e4)))
def test_matches_torch_and_reference(sub, ref, name, case):
    """Up to 5 axes, values up to 1e4: agree with PyTorch and with the reference."""
    x = case.x()
    got = sub.call(name, x)
    check_tensor(got, TORCH[name](x), what=name, case=case, hints=hints_for(name, x))
    check_tensor(got, getattr(ref, name)(x), what=f"{name} vs reference", case=case)


@pytest.mark.points(0.5)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_empty_and_0d_inputs(sub, name):
    """An empty tensor stays empty (same shape); a 0-d tensor stays 0-d."""
    for x, label in ((torch.zeros(0, 3, dtype=torch.float64), "x of shape (0, 3)"),
                     (torch.tensor(-2.5, dtype=torch.float64), "x = tensor(-2.5), 0-d")):
        check_tensor(sub.call(name, x), TORCH[name](x), what=name, case=label)


@pytest.mark.points(0.5)
def test_tanh_accurate_near_zero(sub):
    """tanh(x) ~ x for tiny x, to the stated relative precision 1e-9 (1 - exp(-2x) or 2 * sigmoid(2x) - 1 lose every digit there)."""
    x = torch.tensor([1e-300, 1e-12, -1e-10, 3e-8, -2e-6, 1e-4], dtype=torch.float64)
    got = sub.tanh(x)
    check_tensor(got, torch.tanh(x), what="tanh", case=f"x = {x.tolist()}")
    relative = ((got - torch.tanh(x)) / torch.tanh(x)).abs()
    if bool((relative > tolerances.RELATIVE64.rtol).any()):
        index = int(relative.argmax())
        fail("tanh", f"relative error {float(relative[index]):.3g} at x = {float(x[index]):g} "
             f"(got {float(got[index]):.17g}, expected {float(torch.tanh(x)[index]):.17g})",
             f"x = {x.tolist()}", mistake="tanh_cancellation")


@pytest.mark.points(0.5)
def test_sigmoid_tail_accuracy(sub):
    """sigmoid(-700) ~ 1e-304 is a tiny but nonzero number, correct to relative precision."""
    x = torch.tensor([-700.0, -500.0, -100.0, -37.0, 37.0, 100.0], dtype=torch.float64)
    got = sub.sigmoid(x)
    check_tensor(got, torch.sigmoid(x), what="sigmoid", case=f"x = {x.tolist()}")
    relative = ((got - torch.sigmoid(x)) / torch.sigmoid(x)).abs()
    if bool((relative > tolerances.RELATIVE64.rtol).any()):
        index = int(relative.argmax())
        fail("sigmoid", f"relative error {float(relative[index]):.3g} at x = {float(x[index]):g}",
             f"x = {x.tolist()}", mistake="sigmoid_tail_rounded")


@pytest.mark.points(0.5)
@pytest.mark.parametrize("name", SMOOTH)
def test_gradients_at_large_random_values(sub, name):
    """Gradients at values of size 30 (many beyond float overflow of exp(2x)) match PyTorch."""
    x = tensor((6, 7), 51, scale=30.0)
    check_gradient(sub, name, x, "x (6, 7) ~ N(0, 30^2)")


@pytest.mark.points(0.5)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_float32_random_large(sub, name):
    """float32 values up to a few hundred: float32 results, no overflow."""
    x = tensor((4, 5, 6), 52, dtype=torch.float32, scale=200.0)
    check_tensor(sub.call(name, x), TORCH[name](x), what=f"{name} (float32)", case="x (4, 5, 6) float32 ~ N(0, 200^2)",
                 tol=tolerances.FLOAT32)
