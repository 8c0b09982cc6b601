"""Hidden checks for exercise 5, dropout: gradients, independence of the mask, odd shapes and p."""

from __future__ import annotations

import math

import pytest
import torch

from cnnkit import tolerances
from cnnkit.grading.checks import check_tensor, fail
from cnnkit.grading.strategies import tensor
from cnnkit.sandbox import GeneratorSeed
from graders.test_ex5_dropout import SIGMAS, check_dropout_values


def _nonzero(shape: tuple[int, ...], seed: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    values = tensor(shape, seed, dtype)
    return torch.where(values == 0, torch.ones_like(values), values)


@pytest.mark.points(0.5)
def test_gradient_is_mask_over_keep_probability(sub):
    """d out / d x = mask / (1 - p): kept elements pass gradient scaled by 1 / (1 - p), dropped ones 0."""
    x = _nonzero((10, 12), 61)
    p = 0.4
    got, grads = sub.call_with_grad("dropout", torch.ones(10, 12, dtype=torch.float64), x.clone().requires_grad_(),
                                    p, True, GeneratorSeed(5))
    case = "x (10, 12), p=0.4, generator seed 5"
    kept = check_dropout_values(got, x, p, case)
    check_tensor(grads.get("x"), kept.double() / (1 - p), what="dropout gradient for x", case=case,
                 tol=tolerances.GRADIENT64)


@pytest.mark.points(0.25)
def test_mask_is_independent_per_element(sub):
    """Rows get different masks (not one mask for the batch), and every column keeps about 1 - p."""
    rows, cols, p = 2000, 20, 0.3
    x = _nonzero((rows, cols), 62)
    case = f"x ({rows}, {cols}), p={p}, generator seed 6"
    kept = check_dropout_values(sub.dropout(x, p, True, GeneratorSeed(6)), x, p, case)
    if bool((kept == kept[0]).all()):
        fail("dropout", "every row got the same mask", case, mistake="mask_not_per_element")
    fraction = kept.double().mean(dim=0)
    sd = math.sqrt(p * (1 - p) / rows)
    off = (fraction - (1 - p)).abs() > SIGMAS * sd
    if bool(off.any()):
        column = int(torch.nonzero(off)[0])
        fail("dropout", f"column {column} kept {float(fraction[column]):.3f} of its elements; expected "
             f"{1 - p:.3f} +- {SIGMAS * sd:.3f}", case, mistake="mask_not_per_element")


@pytest.mark.points(0.25)
@pytest.mark.parametrize(("shape", "contiguous"), [((), True), ((7,), True), ((2, 3, 4, 5, 2), True), ((6, 9), False)])
def test_odd_shapes(sub, shape, contiguous):
    """0-d, 1-d, 5-d and non-contiguous inputs: zeros or x / (1 - p), same shape."""
    x = tensor(shape, 63, contiguous=contiguous)
    x = torch.where(x == 0, torch.ones_like(x), x)
    case = f"x {shape}{'' if contiguous else ' non-contiguous'}, p=0.35, generator seed 7"
    check_dropout_values(sub.dropout(x, 0.35, True, GeneratorSeed(7)), x, 0.35, case)


@pytest.mark.points(0.25)
def test_p_close_to_one(sub):
    """p = 0.99: about 1% survives, scaled by 100."""
    p, n = 0.99, 40_000
    x = _nonzero((n,), 64)
    case = f"x ({n},), p={p}, generator seed 8"
    kept = check_dropout_values(sub.dropout(x, p, True, GeneratorSeed(8)), x, p, case)
    fraction, sd = float(kept.double().mean()), math.sqrt(p * (1 - p) / n)
    if abs(fraction - (1 - p)) > SIGMAS * sd:
        fail("dropout", f"kept {fraction:.4f}; expected {1 - p:.4f} +- {SIGMAS * sd:.4f}", case)


@pytest.mark.points(0.25)
def test_float32_statistics(sub):
    """float32: dtype kept, values 0 or x / (1 - p), kept fraction 1 - p."""
    p, n = 0.3, 30_000
    x = _nonzero((n,), 65, torch.float32)
    case = f"x ({n},) float32, p={p}, generator seed 9"
    kept = check_dropout_values(sub.dropout(x, p, True, GeneratorSeed(9)), x, p, case)
    fraction, sd = float(kept.double().mean()), math.sqrt(p * (1 - p) / n)
    if abs(fraction - (1 - p)) > SIGMAS * sd:
        fail("dropout", f"kept {fraction:.4f}; expected {1 - p:.4f} +- {SIGMAS * sd:.4f}", case)


@pytest.mark.points(0.25)
@pytest.mark.parametrize("p", [0, 1])
def test_integer_p(sub, p):
    """p given as the int 0 or 1 behaves like 0.0 and 1.0."""
    x = _nonzero((3, 5), 66)
    expected = x if p == 0 else torch.zeros_like(x)
    check_tensor(sub.dropout(x, p, True, GeneratorSeed(10)), expected, what=f"dropout(p={p})",
                 case=f"x (3, 5), p={p} (an int)")


@pytest.mark.points(0.25)
def test_default_arguments(sub):
    """dropout(x) uses p=0.5 and training=True (the global RNG: only the values are checked)."""
    x = _nonzero((50, 40), 67)
    kept = check_dropout_values(sub.dropout(x), x, 0.5, "dropout(x) with x (50, 40)")
    fraction, sd = float(kept.double().mean()), math.sqrt(0.25 / kept.numel())
    if abs(fraction - 0.5) > SIGMAS * sd:
        fail("dropout", f"kept {fraction:.4f}; expected 0.5 +- {SIGMAS * sd:.4f}", "dropout(x) with x (50, 40)")
