"""Public checks for exercise 9, ``numerical_gradient`` and ``relative_error``: functions with known gradients."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from cnnkit import tolerances
from cnnkit.curriculum.ex9_gradcheck import LogSumExp, PythonFloat, SumOfCubes, WeightedSine
from cnnkit.grading.checks import Mistake, check_float, check_tensor, fail
from cnnkit.grading.strategies import TensorCase, tensor, tensor_cases
from cnnkit.tolerances import Tolerance

# The estimate is compared with the exact gradient: central differences at eps=1e-6 in float64
# are good to ~1e-8 here; a one-sided difference is off by ~eps * f''.
ESTIMATE = Tolerance(rtol=1e-5, atol=1e-6)


def central_difference(f, x: torch.Tensor, eps: float) -> torch.Tensor:
    """The exact formula of the exercise, computed here (trusted) for comparison."""
    flat = x.detach().clone().reshape(-1)
    grad = torch.empty_like(flat)
    for index in range(flat.numel()):
        above, below = flat.clone(), flat.clone()
        above[index] += eps
        below[index] -= eps
        grad[index] = (float(f(above.view(x.shape))) - float(f(below.view(x.shape)))) / (2 * eps)
    return grad.view(x.shape)


def gradient_hints(f, x: torch.Tensor, eps: float) -> list[Mistake]:
    """Known wrong estimates: one-sided differences, a missing factor 2 (hints: ``HINTS`` in
    ``cnnkit/curriculum/ex9_gradcheck.py``)."""
    def one_sided() -> torch.Tensor:
        flat, base = x.detach().clone().reshape(-1), float(f(x))
        out = torch.empty_like(flat)
        for index in range(flat.numel()):
            above = flat.clone()
            above[index] += eps
            out[index] = (float(f(above.view(x.shape))) - base) / eps
        return out.view(x.shape)

    return [
        Mistake("one_sided_difference", one_sided),
        Mistake("missing_factor_two", lambda: 2 * central_difference(f, x, eps)),
        Mistake("perturbed_whole_tensor",
                lambda: torch.full_like(x, (float(f(x + eps)) - float(f(x - eps))) / (2 * eps))),
    ]


@pytest.mark.points(1)
def test_worked_example(sub):
    """f(x) = sum(x^3) at x = [1, 2, -3]: the gradient is 3 x^2 = [3, 12, 27]."""
    x = torch.tensor([1.0, 2.0, -3.0], dtype=torch.float64)
    f = SumOfCubes()
    got = sub.numerical_gradient(f, x)
    check_tensor(got, f.gradient(x), what="numerical_gradient", case=f"{f!r}, x = [1, 2, -3], eps=1e-6",
                 tol=ESTIMATE, hints=gradient_hints(f, x, 1e-6))


@pytest.mark.points(2)
@given(case=tensor_cases(min_dims=1, max_dims=3, max_side=4), which=st.sampled_from(["cubes", "sine", "lse"]))
def test_close_to_the_true_gradient(sub, case: TensorCase, which: str):
    """Known gradients (sum x^3, sum W sin x, log-sum-exp) on tensors of 1 to 3 axes, non-contiguous too."""
    x = case.x()
    f = {"cubes": SumOfCubes(), "sine": WeightedSine(case.shape, case.seed + 7), "lse": LogSumExp()}[which]
    got = sub.numerical_gradient(f, x)
    check_tensor(got, f.gradient(x), what="numerical_gradient", case=f"{f!r}, {case}, eps=1e-6",
                 tol=ESTIMATE, hints=gradient_hints(f, x, 1e-6))


@pytest.mark.points(1.5)
@given(case=tensor_cases(min_dims=1, max_dims=2, max_side=4), eps=st.sampled_from([1e-3, 1e-2]))
def test_is_the_central_difference(sub, case: TensorCase, eps: float):
    """With a large eps the formula shows: exactly (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)."""
    x = case.x()
    f = SumOfCubes()
    got = sub.numerical_gradient(f, x, eps)
    check_tensor(got, central_difference(f, x, eps), what=f"numerical_gradient(eps={eps})",
                 case=f"{f!r}, {case}, eps={eps}", hints=gradient_hints(f, x, eps))


@pytest.mark.points(1.5)
def test_does_not_modify_x(sub):
    """x is bit for bit the same afterwards (in place x[i] += eps ... x[i] -= eps leaves rounding errors)."""
    x = tensor((3, 4), 5) * 10  # values whose (x + eps) - eps round trip is inexact
    _, extra = sub.op("call", "numerical_gradient", SumOfCubes(), x, 1e-6)
    if extra.get("mutated"):
        fail("numerical_gradient", "changed x (compared bit for bit before and after the call)",
             "x (3, 4), f(x) = sum(x^3), eps=1e-6", mistake="x_changed_by_round_trip")


@pytest.mark.points(0.5)
def test_accepts_a_python_float(sub):
    """f may return a Python float instead of a 0-d tensor."""
    x = tensor((2, 3), 9)
    f = PythonFloat()
    check_tensor(sub.numerical_gradient(f, x), f.gradient(x), what="numerical_gradient", case=f"{f!r}, x (2, 3)",
                 tol=ESTIMATE)


def relative_error_of(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(((a - b).abs() / (a.abs() + b.abs()).clamp(min=1e-8)).max())


@pytest.mark.points(1)
def test_relative_error_worked_example(sub):
    """a = [1, 2, 0], b = [1, 3, 0]: max(0/2, 1/5, 0/1e-8) = 0.2."""
    a = torch.tensor([1.0, 2.0, 0.0], dtype=torch.float64)
    b = torch.tensor([1.0, 3.0, 0.0], dtype=torch.float64)
    got = sub.relative_error(a, b)
    if isinstance(got, float) and got != got:
        fail("relative_error", "got nan", "a = [1, 2, 0], b = [1, 3, 0]", mistake="relative_error_zero_over_zero")
    check_float(got, 0.2, what="relative_error", case="a = [1, 2, 0], b = [1, 3, 0]", tol=tolerances.FLOAT64)


@pytest.mark.points(1)
@given(case=tensor_cases(min_dims=1, max_dims=3, max_side=5), noise=st.sampled_from([0.0, 1e-9, 1e-3, 1.0]))
def test_relative_error_matches(sub, case: TensorCase, noise: float):
    """Random pairs at several distances, zeros included: the largest elementwise relative error."""
    a = case.x()
    a = torch.where(a.abs() < 0.3, torch.zeros_like(a), a)  # some exact zeros
    b = a + noise * tensor(case.shape, case.seed + 1)
    b = torch.where(a == 0, torch.zeros_like(b), b)
    got = sub.relative_error(a, b)
    check_float(got, relative_error_of(a, b), what="relative_error", case=f"{case}, b = a + {noise:g} * noise",
                tol=tolerances.FLOAT64)
