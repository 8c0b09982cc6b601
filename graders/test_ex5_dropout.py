"""Public checks for exercise 5, inverted ``dropout``: exact edge cases, then statistics of the mask.

The mask is random, so the statistical checks use a fixed generator seed (sent to your code as
a ``torch.Generator``) and bounds of 6 standard deviations: a correct dropout fails them with
probability below one in a hundred million.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given

from cnnkit import tolerances
from cnnkit.grading.checks import Mistake, check_tensor, fail
from cnnkit.grading.strategies import DropoutCase, dropout_cases
from cnnkit.sandbox import GeneratorSeed, StudentCodeError

SIGMAS = tolerances.DROPOUT_SIGMAS  # width of every statistical bound (a correct dropout fails one in ~500 million)


def _x(shape: tuple[int, ...], seed: int = 0, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    values = torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)
    return torch.where(values == 0, torch.ones_like(values), values)


def check_dropout_values(got: object, x: torch.Tensor, p: float, case: object) -> torch.Tensor:
    """Every element of ``got`` is 0 or x / (1 - p); returns the keep mask."""
    if not isinstance(got, torch.Tensor) or got.shape != x.shape or got.dtype != x.dtype:
        check_tensor(got, x, what="dropout", case=case)  # reports the type / shape / dtype problem
    scaled = x / (1 - p)
    tol = tolerances.DROPOUT_SCALE
    kept = torch.isclose(got, scaled, rtol=tol.rtol, atol=tol.atol)
    dropped = got == 0
    wrong = ~(kept | dropped)
    if bool(wrong.any()):
        index = tuple(int(i) for i in torch.nonzero(wrong)[0])
        value, original = float(got[index]), float(x[index])
        unscaled = math.isclose(value, original, rel_tol=tol.rtol)
        scaled_by_keep = math.isclose(value, original * (1 - p), rel_tol=tol.rtol)
        fail("dropout", f"{int(wrong.sum())} of {got.numel()} values are neither 0 nor x / (1 - p); first at "
             f"index {index}: got {value:.6g} where x = {original:.6g} (x / (1 - p) = {original / (1 - p):.6g})",
             case, mistake="kept_not_scaled" if unscaled else "kept_scaled_by_keep_probability" if scaled_by_keep
             else "")
    return kept


@pytest.mark.points(1)
@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 1.0])
def test_eval_mode_is_identity(sub, p):
    """training=False returns x unchanged, whatever p (no scaling at inference)."""
    x = _x((4, 5))
    got = sub.dropout(x, p, False, GeneratorSeed(0))
    hints = [Mistake("eval_scaled_up", lambda: x / (1 - p)), Mistake("eval_scaled_down", lambda: x * (1 - p))]
    check_tensor(got, x, what="dropout(training=False)", case=f"x (4, 5), p={p}, training=False", hints=hints)


@pytest.mark.points(0.5)
def test_p_zero_is_identity(sub):
    """p = 0 drops nothing: out equals x."""
    x = _x((3, 4, 5))
    check_tensor(sub.dropout(x, 0.0, True, GeneratorSeed(0)), x, what="dropout(p=0)", case="x (3, 4, 5), p=0")


@pytest.mark.points(1)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_p_one_gives_zeros(sub, dtype):
    """p = 1 drops everything: zeros, not NaN (do not divide by 1 - p = 0)."""
    x = _x((3, 4), dtype=dtype)
    got = sub.dropout(x, 1.0, True, GeneratorSeed(0))
    check_tensor(got, torch.zeros_like(x), what="dropout(p=1)", case=f"x (3, 4) {dtype}, p=1",
                 hints=[Mistake("p_one_nan", lambda: x * 0 / 0.0)])


@pytest.mark.points(0.5)
@pytest.mark.parametrize("p", [-0.1, 1.5, 2.0])
def test_rejects_invalid_p(sub, p):
    """p outside [0, 1] is not a probability: raise ValueError."""
    try:
        got = sub.dropout(_x((2, 3)), p, True, GeneratorSeed(0))
    except StudentCodeError as exc:
        if exc.exc_type == "ValueError":
            return
        raise
    fail("dropout", f"returned {type(got).__name__} for p={p}; expected a ValueError", f"x (2, 3), p={p}")


@pytest.mark.points(1.5)
@given(case=dropout_cases())
def test_outputs_are_zero_or_scaled(sub, case: DropoutCase):
    """Any shape and p: each element is 0 or x / (1 - p), with x's shape and dtype."""
    x = case.x()
    check_dropout_values(sub.dropout(x, case.p, True, GeneratorSeed(case.seed)), x, case.p, case)


@pytest.mark.points(1)
@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.8])
def test_kept_fraction_is_one_minus_p(sub, p):
    """On 40,000 elements the kept fraction is 1 - p within 6 standard deviations (binomial)."""
    x = _x((200, 200))
    case = f"x (200, 200), p={p}, generator seed 1"
    kept = check_dropout_values(sub.dropout(x, p, True, GeneratorSeed(1)), x, p, case)
    n = kept.numel()
    fraction = float(kept.double().mean())
    sd = math.sqrt(p * (1 - p) / n)
    if abs(fraction - (1 - p)) > SIGMAS * sd:
        fail("dropout", f"kept {fraction:.4f} of the elements; expected 1 - p = {1 - p:.4f} "
             f"(+- {SIGMAS * sd:.4f})", case,
             mistake="keeps_with_probability_p" if abs(fraction - p) <= SIGMAS * sd else "")


@pytest.mark.points(0.5)
@pytest.mark.parametrize("p", [0.2, 0.6])
def test_mean_over_many_draws_is_x(sub, p):
    """E[out] = x: 4,000 draws of every one of 10 values average to that value (6 standard deviations)."""
    values = _x((10,), seed=2) * 3
    draws = 4000
    x = values.expand(draws, -1).contiguous()
    case = f"10 values of x, each repeated in {draws} rows: x ({draws}, 10), p={p}, generator seed 2"
    got = sub.dropout(x, p, True, GeneratorSeed(2))
    check_dropout_values(got, x, p, case)
    mean = got.mean(dim=0)
    sd = values.abs() * math.sqrt(p / ((1 - p) * draws))
    off = (mean - values).abs() > SIGMAS * sd
    if bool(off.any()):
        j = int(torch.nonzero(off)[0])
        fail("dropout", f"the mean over {draws} draws of x = {float(values[j]):.4f} is {float(mean[j]):.4f} "
             f"(expected {float(values[j]):.4f} +- {SIGMAS * float(sd[j]):.4f})", case, mistake="mean_not_x")


@pytest.mark.points(0.5)
def test_same_generator_seed_same_mask(sub):
    """The generator decides the mask: the same seed gives the same output, another seed another one."""
    x = _x((8, 16))
    case = "x (8, 16), p=0.5, generator seeds 7, 7, 8"
    first = sub.dropout(x, 0.5, True, GeneratorSeed(7))
    check_dropout_values(first, x, 0.5, case)
    again = sub.dropout(x, 0.5, True, GeneratorSeed(7))
    check_dropout_values(again, x, 0.5, case)
    if not torch.equal(first, again):
        fail("dropout", "two calls with generators seeded alike gave different masks", case,
             mistake="global_random_state")
    other = sub.dropout(x, 0.5, True, GeneratorSeed(8))
    if torch.equal(first, other):
        fail("dropout", "generators with different seeds gave the same mask", case, mistake="mask_not_random")


@pytest.mark.points(0.5)
def test_keeps_float32(sub):
    """float32 in, float32 out."""
    x = _x((5, 6), dtype=torch.float32)
    got = sub.dropout(x, 0.25, True, GeneratorSeed(3))
    check_dropout_values(got, x, 0.25, "x (5, 6) float32, p=0.25")
