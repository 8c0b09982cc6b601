"""Public checks for exercise 4, ``relu``, ``sigmoid`` and ``tanh``: PyTorch as the oracle, and +-1000."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given

from cnnkit import tolerances
from cnnkit.grading.checks import Mistake, check_tensor, fail
from cnnkit.grading.strategies import tensor_cases

ACTIVATIONS = ["relu", "sigmoid", "tanh"]
SMOOTH = ["sigmoid", "tanh"]  # the two that overflow when written naively
TORCH: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
}
# Values where a naive exp overflows (float64 exp overflows above ~709.8, float32 above ~88.7).
EXTREMES = [-1000.0, -800.0, -710.0, -100.0, -89.0, -20.0, -1.0, -1e-8, 0.0, 1e-8, 1.0, 20.0, 89.0, 100.0,
            710.0, 800.0, 1000.0]


def hints_for(name: str, x: torch.Tensor) -> list[Mistake]:
    """Known wrong answers for activation ``name`` at ``x`` (hints: ``cnnkit/curriculum/ex4_activations.py``)."""
    if name == "relu":
        return [Mistake("relu_leaky", lambda: F.leaky_relu(x, 0.01)), Mistake("relu_abs", lambda: x.abs())]
    if name == "sigmoid":
        return [Mistake("sigmoid_mirrored", lambda: torch.sigmoid(-x)),
                Mistake("sigmoid_is_tanh", lambda: torch.tanh(x))]
    return [Mistake("tanh_is_sigmoid", lambda: torch.sigmoid(x)),
            Mistake("tanh_half_argument", lambda: 2 * torch.sigmoid(x) - 1)]


def check_gradient(sub, name: str, x: torch.Tensor, case: str) -> None:
    """Forward + backward through ``sub.<name>`` at ``x`` (float64) against torch."""
    expected_x = x.detach().clone().requires_grad_()
    expected = TORCH[name](expected_x)
    grad_out = torch.ones_like(expected)
    expected.backward(grad_out)
    got, grads = sub.call_with_grad(name, grad_out, x.detach().clone().requires_grad_())
    check_tensor(got, expected.detach(), what=f"{name} forward", case=case)
    grad = grads.get("x")
    expected_grad = expected_x.grad
    if name == "relu" and isinstance(grad, torch.Tensor) and grad.shape == x.shape:
        # relu has no derivative at exactly 0: any value in [0, 1] (torch says 0, torch.maximum 0.5) is right
        kink = (x == 0) & (grad >= 0) & (grad <= 1)
        expected_grad = torch.where(kink, grad.to(expected_grad.dtype), expected_grad)
    if isinstance(grad, torch.Tensor) and bool(torch.isnan(grad).any()):
        index = int(torch.nonzero(torch.isnan(grad).reshape(-1))[0])
        fail(f"{name} gradient", f"NaN gradient at x = {float(x.reshape(-1)[index]):g}", case,
             mistake="where_nan_gradient")
    check_tensor(grad, expected_grad, what=f"{name} gradient", case=case, tol=tolerances.GRADIENT64)


@pytest.mark.points(1.5)
@pytest.mark.parametrize("name", ACTIVATIONS)
@given(case=tensor_cases(min_dims=0, scales=(1.0, 10.0, 1000.0)))
def test_matches_torch(sub, name, case):
    """Any shape (0-d included), values of size 1, 10 and 1000, non-contiguous inputs."""
    x = case.x()
    check_tensor(sub.call(name, x), TORCH[name](x), what=name, case=case, hints=hints_for(name, x))


@pytest.mark.points(1)
@pytest.mark.parametrize("name", SMOOTH)
def test_finite_at_extremes(sub, name):
    """x = +-1000 (and other values where exp overflows) give finite, correct values."""
    x = torch.tensor(EXTREMES, dtype=torch.float64)
    check_tensor(sub.call(name, x), TORCH[name](x), what=name, case=f"x = {EXTREMES}", hints=hints_for(name, x))


@pytest.mark.points(1)
@pytest.mark.parametrize("name", SMOOTH)
def test_gradients_finite_at_extremes(sub, name):
    """The gradient at +-1000 is finite (0 up to rounding), never NaN."""
    check_gradient(sub, name, torch.tensor(EXTREMES, dtype=torch.float64), f"x = {EXTREMES}")


@pytest.mark.points(1)
@pytest.mark.parametrize(("name", "slope"), [("sigmoid", 0.25), ("tanh", 1.0)])
def test_gradient_at_zero(sub, name, slope):
    """sigmoid'(0) = 0.25 and tanh'(0) = 1, exactly at x = 0."""
    x = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    got, grads = sub.call_with_grad(name, torch.ones(3, dtype=torch.float64), x)
    hints = [Mistake("gradient_vanished_at_zero", lambda: torch.zeros(3, dtype=torch.float64))]
    check_tensor(grads.get("x"), torch.full((3,), slope, dtype=torch.float64), what=f"{name} gradient at 0",
                 case="x = [0, 0, 0]", tol=tolerances.GRADIENT64, hints=hints)


@pytest.mark.points(1)
@pytest.mark.parametrize("name", ACTIVATIONS)
@given(case=tensor_cases(max_dims=3, scales=(1.0, 5.0)))
def test_gradients_match_torch(sub, name, case):
    """Autograd through your function gives PyTorch's gradient."""
    check_gradient(sub, name, case.x(), repr(case))


@pytest.mark.points(0.5)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_keeps_float32(sub, name):
    """float32 in, float32 out, finite at +-1000 in float32 too (where exp overflows already at 89)."""
    x = torch.tensor(EXTREMES, dtype=torch.float32)
    check_tensor(sub.call(name, x), TORCH[name](x), what=f"{name} (float32)", case=f"x = {EXTREMES} float32")
