"""Hidden checks for exercise 14: extremes, random curves and other thresholds, with the reference as an oracle.

The reference's ``EarlyStopping`` and ``diagnose`` run here, on the grader's side, on the same inputs as yours.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given

from cnnkit.curriculum.ex14_troubleshooting import (
    MNIST_BACKGROUND,
    ClipCase,
    Curves,
    Expected,
    ShiftCase,
    StoppingCase,
    TargetsCase,
    WeightedCase,
    drive_stopping,
    random_curves,
    random_stopping_cases,
    recorded_runs,
    shift_cases,
    targets_cases,
    weighted_cases,
)
from cnnkit.grading.checks import fail
from graders.test_ex14_troubleshooting import (
    check_class_weights,
    check_clip,
    check_diagnosis,
    check_shift,
    check_stopping,
    check_weighted,
)

# -- clip_grad_norm --------------------------------------------------------------------------------
EXTREMES = [
    ClipCase(shapes=((3,), (2, 2)), has_grad=(False, False), seed=1, max_norm=1.0),  # no gradient at all: 0
    ClipCase(shapes=((4,),), has_grad=(True,), seed=2, max_norm=0.5, container="tensor"),  # one tensor, not a list
    ClipCase(shapes=((3,), (5,)), has_grad=(True, True), seed=3, max_norm=1e-6, scale=1e-5),  # the 1e-6 matters
    ClipCase(shapes=((2, 3), (4,)), has_grad=(True, True), seed=4, max_norm=1.0, dtype=torch.float32, scale=1e9,
             huge=0),  # 1e15 in float32: the norm still fits
]


@pytest.mark.points(0.75)
@pytest.mark.parametrize("case", EXTREMES, ids=["no_gradient", "one_tensor", "tiny_norm", "huge_float32"])
def test_clip_extremes(sub, case):
    """No gradient at all (torch.tensor(0.0)), one tensor instead of a list, a norm so small that the 1e-6
    counts, gradients of 1e15 in float32."""
    check_clip(sub, case)


# -- weighted_cross_entropy, class_weights ----------------------------------------------------------
@pytest.mark.points(0.5)
@given(case=weighted_cases(max_batch=16, scales=(1.0, 1e4), weights=("positive", "zeros", "none"),
                           dtypes=(torch.float64, torch.float32), int32=True))
def test_weighted_cross_entropy_large_logits_and_int32_targets(sub, ref, case: WeightedCase):
    """Up to 16 rows, logits of 1e4 (stable), int32 targets, weights with zeros or None; torch and the reference."""
    logits, targets, weight = case.logits(), case.targets(), case.weight()
    check_weighted(sub, logits, targets, weight, case)
    expected = ref.weighted_cross_entropy(logits, targets, weight)
    got = sub.weighted_cross_entropy(logits, targets, weight)
    if not torch.allclose(got.to(expected.dtype), expected, rtol=1e-4, atol=1e-6):
        fail("weighted_cross_entropy", f"{float(got):.6g} differs from the reference's {float(expected):.6g}", case)


@pytest.mark.points(0.25)
@given(case=targets_cases(max_count=200, max_classes=12))
def test_class_weights_many_targets_absent_classes(sub, case: TargetsCase):
    """Up to 200 int32 targets among 12 classes, many absent."""
    targets = case.targets().to(torch.int32)
    check_class_weights(sub, targets, case.classes, f"{case!r}, int32")


# -- EarlyStopping ---------------------------------------------------------------------------------
@pytest.mark.points(0.5)
@given(case=random_stopping_cases())
def test_stopping_random_curves(sub, ref, case: StoppingCase):
    """Random walks with plateaus and NaN, both modes, min_delta 0 or not: the reference's decisions and state."""
    expected = drive_stopping(lambda: ref.EarlyStopping(**case.settings), case.metrics)
    got, _ = sub.op("stopping_curve", case.settings, list(case.metrics))
    check_stopping(got, Expected(expected["decisions"], expected["best"], expected["best_epoch"]), case)


@pytest.mark.points(0.25)
@pytest.mark.parametrize("settings", [{"mode": "mean"}, {"patience": 0}, {"min_delta": -0.1}],
                         ids=["mode_mean", "patience_0", "negative_min_delta"])
def test_stopping_rejects_invalid_arguments(sub, settings):
    """mode other than "min"/"max", patience below 1, a negative min_delta: ValueError."""
    raised, _ = sub.op("stopping_rejects", settings)
    if raised is None:
        arguments = ", ".join(f"{key}={value!r}" for key, value in settings.items())
        fail("EarlyStopping", f"EarlyStopping({arguments}) raised nothing; expected ValueError", None,
             check="stop_invalid")


# -- random_shift ----------------------------------------------------------------------------------
@pytest.mark.points(0.5)
@given(case=shift_cases(max_batch=4, max_side=12, fills=(0.0, MNIST_BACKGROUND, 2.5),
                        dtypes=(torch.float32, torch.float64), layouts=("contiguous", "channels_last", "transposed")))
def test_shift_memory_layouts_and_dtypes(sub, case: ShiftCase):
    """float64, channels-last and non-contiguous batches, fill 2.5, images up to 12x12."""
    check_shift(sub, case)


# -- diagnose --------------------------------------------------------------------------------------
@pytest.mark.points(0.5)
@given(curves=random_curves())
def test_diagnose_random_curves_and_thresholds(sub, ref, curves: Curves):
    """Random curves (bursts, NaN) and random thresholds passed as keywords: the reference's diagnosis."""
    expected = ref.diagnose(*curves.arguments(), **curves.keywords())
    check_diagnosis(sub.diagnose(*curves.arguments(), **curves.keywords()), expected, curves,
                    mistake="diagnosis_thresholds" if ref.diagnose(*curves.arguments()) != expected else "")


@pytest.mark.points(0.25)
@pytest.mark.parametrize("run", recorded_runs()[:4], ids=[name for name, _ in recorded_runs()[:4]])
def test_diagnose_recorded_runs_other_thresholds(sub, ref, run):
    """Recorded runs with a gap of 3 points and low_accuracy 99: the reference's diagnosis."""
    _, curves = run
    keywords = {"gap": 3.0, "low_accuracy": 99.0}
    expected = ref.diagnose(*curves.arguments(), **keywords)
    check_diagnosis(sub.diagnose(*curves.arguments(), **keywords), expected, curves, mistake="diagnosis_thresholds")

