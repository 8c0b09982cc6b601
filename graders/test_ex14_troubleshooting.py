"""Public checks for exercise 14: clipping, class-weighted cross-entropy, early stopping, shifts, a diagnosis.

Oracles: ``torch.nn.utils.clip_grad_norm_`` and ``F.cross_entropy(..., weight=...)`` (on the grader's
side), the class-weight formula, and for the rest the contract itself: curves built so that the
answer is known (a run that improves, then stalls, stops ``patience`` epochs later), images whose
every pixel the grader can follow, and curves the kit recorded from real runs. Your
``EarlyStopping`` also decides when a real short training run stops, and its ``best_state`` must
bring back the best epoch's weights (``cnnkit.curriculum.ex14_troubleshooting`` runs it in the
sandbox: one run, shared by the checks below). The checks below are shared with the hidden ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given

from cnnkit import tolerances
from cnnkit.curriculum.ex14_troubleshooting import (
    DIAGNOSES,
    INF,
    ClipCase,
    Curves,
    Expected,
    ShiftCase,
    StoppingCase,
    TargetsCase,
    TrainingRun,
    WeightedCase,
    balanced_weights,
    clip_cases,
    expected_from_losses,
    made_curves,
    offsets,
    recorded_runs,
    recover_offsets,
    rolled,
    shift_cases,
    stall_cases,
    targets_cases,
    torch_clip,
    total_norm,
    training_data,
    weighted_cases,
)
from cnnkit.grading.checks import Mistake, check_tensor, fail
from cnnkit.sandbox.wire import GeneratorSeed


# -- the checks (the hidden graders use them too) ---------------------------------------------------
def clip_mistakes(case: ClipCase, index: int) -> list[Mistake]:
    """What parameter ``index``'s gradient would be after each known mistake."""
    grads = case.tensors()[1]
    grad, total = grads[index], total_norm(grads, case.norm_type)
    own = total_norm([grad], case.norm_type)
    mistakes = [
        Mistake("clip_per_parameter", lambda: grad * min(1.0, case.max_norm / (own + 1e-6))),
        Mistake("clip_amplifies", lambda: grad * (case.max_norm / (total + 1e-6))),
        Mistake("clip_without_epsilon", lambda: grad * min(1.0, case.max_norm / total)),
    ]
    if case.container == "generator":  # a second pass over the generator found nothing to clip
        mistakes.append(Mistake("clip_generator_spent", lambda: grad))
    return mistakes


def check_clip(sub: Any, case: ClipCase) -> None:
    """The student's total norm and clipped gradients equal torch's; each ``.grad`` clipped in place; nothing else."""
    what = "clip_grad_norm"
    total, extra = sub.op("clip_gradients", case)
    expected_total, expected_grads = torch_clip(case)
    tol = tolerances.for_dtype(case.dtype)
    if not isinstance(total, torch.Tensor):
        fail(what, f"returned {type(total).__name__}; expected the total norm as a 0-d tensor", case,
             check="clip_total_type")
    norm_after = torch.tensor(total_norm(expected_grads, case.norm_type), dtype=case.dtype)
    total_mistakes = [Mistake("clip_norm_after", lambda: norm_after)]
    if case.norm_type == INF:  # any other wrong total of an inf-norm case: the p-norm formula was used
        total_mistakes.append(Mistake("clip_inf_norm", lambda: total))
    # No gradient at all: torch answers torch.tensor(0.0), in the default dtype whatever the parameters'.
    check_tensor(total, expected_total, what=f"{what}: the total norm it returned", case=case, tol=tol,
                 check_dtype=any(case.has_grad), hints=total_mistakes)
    for index, (got, expected) in enumerate(zip(extra["grads"], expected_grads)):
        label = f"{what}: parameter {index}'s .grad afterwards"
        if expected is None:
            if got is not None:
                fail(label, "is a tensor; it had no gradient and must keep None", case, check="clip_changed_other")
            continue
        if got is None:
            fail(label, "is None; it had a gradient", case, check="clip_changed_other")
        check_tensor(got, expected, what=label, case=case, tol=tol, hints=clip_mistakes(case, index))
    if extra["replaced"]:
        fail(what, f"replaced the .grad of parameter(s) {extra['replaced']} with new tensors; clip each gradient "
             "in place (the same tensor object, as torch's clip_grad_norm_ does)", case, check="clip_grad_replaced")
    if extra["appeared"] or extra["values_changed"]:
        changed = [f"parameter {i} got a .grad" for i in extra["appeared"]]
        changed += [f"parameter {i}'s values changed" for i in extra["values_changed"]]
        fail(what, f"changed more than the gradients: {', '.join(changed)}", case, check="clip_changed_other")


def check_weighted(sub: Any, logits: torch.Tensor, targets: torch.Tensor, weight: torch.Tensor | None,
                   case: Any) -> None:
    """``weighted_cross_entropy`` equals ``F.cross_entropy(..., weight=...)``; known mistakes recognised."""
    got = sub.weighted_cross_entropy(logits, targets, weight)
    long = targets.long()
    mistakes = [] if weight is None else [
        Mistake("wce_mean_over_n", lambda: F.cross_entropy(logits, long, weight=weight, reduction="sum") / len(long)),
        Mistake("wce_weighted_sum", lambda: F.cross_entropy(logits, long, weight=weight, reduction="sum")),
        Mistake("wce_weight_ignored", lambda: F.cross_entropy(logits, long)),
    ]
    check_tensor(got, F.cross_entropy(logits, long, weight=weight), what="weighted_cross_entropy", case=case,
                 tol=tolerances.for_logits(logits), hints=mistakes)


def check_class_weights(sub: Any, targets: torch.Tensor, classes: int, case: Any) -> None:
    """``class_weights`` equals ``N / (classes * n_c)``, 0 for an absent class; known mistakes recognised."""
    got = sub.class_weights(targets, classes)
    expected = balanced_weights(targets, classes)
    counts = torch.stack([(targets == c).sum() for c in range(classes)]).double()
    inverse = torch.where(counts > 0, 1 / counts, torch.zeros_like(counts))
    mistakes = [
        Mistake("weights_absent_class", lambda: torch.where(counts > 0, expected, torch.full_like(counts, math.inf))),
        Mistake("weights_not_normalised", lambda: inverse),
        Mistake("weights_sum_to_one", lambda: inverse / inverse.sum()),
        Mistake("weights_frequency", lambda: counts / len(targets)),
    ]
    check_tensor(got, expected.to(torch.float32), what="class_weights", case=case, tol=tolerances.FLOAT32,
                 hints=mistakes)


def check_stopping(got: dict[str, Any], expected: Expected, case: Any, with_model: bool = True) -> None:
    """What ``drive_stopping`` (or the real run) reported against the contract: decisions, best, best epoch, and
    which epoch's weights ``best_state`` holds."""
    what = "EarlyStopping"
    bad_type = [decision for decision in got["decisions"] if not isinstance(decision, bool)]
    if bad_type:
        fail(f"{what}.step", f"returned {bad_type[0]}; expected True or False", case, check="stop_type")
    if got["decisions"] != expected.decisions:
        fail(f"{what}.step", f"{_describe_decisions(got['decisions'], len(case.metrics))}; expected "
             f"{_describe_decisions(expected.decisions, len(case.metrics))} (step returned {got['decisions']})",
             case, check="stop_decisions", mistake=getattr(case, "mistake", ""))
    best = got["best"]
    same = (best is None and expected.best is None) or (isinstance(best, float) and expected.best is not None
                                                         and math.isclose(best, expected.best, rel_tol=1e-12))
    if not same:
        fail(f"{what}.best", f"is {best!r}; expected {expected.best!r}", case, check="stop_best")
    if got["best_epoch"] != expected.best_epoch:
        fail(f"{what}.best_epoch", f"is {got['best_epoch']!r}; expected {expected.best_epoch}", case,
             check="stop_best_epoch")
    if not with_model:
        return
    wanted = expected.best_epoch or None
    if got["state_epoch"] != wanted:
        driven = len(got["decisions"])
        latest = got["state_epoch"] == driven and wanted != driven  # the model's own tensors: the latest weights
        fail(f"{what}.best_state", f"holds {_describe_state(got['state_epoch'])}; expected "
             f"{_describe_state(wanted)}", case, check="stop_state", mistake="stop_state_not_copied" if latest else "")


def _describe_decisions(decisions: Sequence[Any], epochs: int) -> str:
    if decisions and decisions[-1] is True:
        return f"stopped at epoch {len(decisions)}"
    return f"did not stop within the {epochs} epochs"


def _describe_state(epoch: Any) -> str:
    if epoch is None:
        return "None (no copy)"
    return f"the weights of epoch {epoch}" if isinstance(epoch, int) else str(epoch)


#: Worked examples, each about one rule of the contract (its hint when the decisions differ).
WORKED_STOPPING: tuple[tuple[StoppingCase, Expected], ...] = (
    (StoppingCase({"patience": 2}, (1.0, 0.8, 0.8, 0.9), "a tie is no improvement", mistake="stop_tie"),
     Expected([False, False, False, True], 0.8, 2)),
    (StoppingCase({"patience": 3}, (1.0, 1.1, 1.2, 1.3, 1.4), "three epochs without improvement",
                  mistake="stop_patience"),
     Expected([False, False, False, True], 1.0, 1)),
    (StoppingCase({"patience": 3, "min_delta": 0.05}, (1.0, 0.97, 0.9, 0.88, 0.87, 0.86),
                  "gains of 0.05 or less do not count", mistake="stop_min_delta"),
     Expected([False, False, False, False, False, True], 0.9, 3)),
    (StoppingCase({"patience": 1, "mode": "max"}, (90.0, 92.5, 91.0), "an accuracy: higher is better",
                  mistake="stop_mode"),
     Expected([False, False, True], 92.5, 2)),
    (StoppingCase({"patience": 2}, (1.0, math.nan, math.nan), "NaN never improves", mistake="stop_nan"),
     Expected([False, False, True], 1.0, 1)),
    (StoppingCase({"patience": 3}, (1.0, 0.9, 0.95, 0.92, 0.93), "0.92 beats the epoch before, not the best",
                  mistake="stop_previous_epoch"),
     Expected([False, False, False, False, True], 0.9, 2)),
)


def check_shift(sub: Any, case: ShiftCase) -> list[tuple[int, int]]:
    """One call on the case: the contract's shape and dtype, the input untouched (the ``call`` operation checks
    it), pixels kept, every image moved by an allowed offset. Returns the offsets found."""
    images = case.images()
    what = "random_shift"
    got = sub.random_shift(images, case.max_shift, GeneratorSeed(case.seed + 1), fill=case.fill)
    check_tensor(got, images.contiguous(), what=what, case=case, check_values=False)
    if case.border:
        mass, got_mass = (images - case.fill).flatten(1).sum(1), (got.to(images.dtype) - case.fill).flatten(1).sum(1)
        tol = tolerances.for_dtype(case.dtype)
        scale = (images - case.fill).abs().flatten(1).sum(1)
        lost = torch.nonzero((got_mass - mass).abs() > tol.atol + tol.rtol * scale).flatten().tolist()
        if lost:
            n = lost[0]
            moved = moved_as(images, got, case, n)
            fail(what, f"image {n}'s total of (pixel - fill) went from {float(mass[n]):.6g} to {float(got_mass[n]):.6g}: "
                 "pixels were lost or added, though its border is fill", case, check="shift_mass",
                 mistake="shift_wraps" if moved["wraps"] else "shift_too_far" if moved["too_far"] else "")
    found = recover_offsets(images, got, case.max_shift, case.fill)
    if None in found:
        n = found.index(None)
        moved = moved_as(images, got, case, n)
        fail(what, f"image {n} is not its input moved by any offset (dy, dx) with |dy|, |dx| <= {case.max_shift}",
             case, check="shift_not_a_translation",
             mistake="shift_wraps" if moved["wraps"] else "shift_fill_ignored" if moved["fill_ignored"] else
             "shift_too_far" if moved["too_far"] else "")
    return [offset for offset in found if offset is not None]


def moved_as(images: torch.Tensor, got: torch.Tensor, case: ShiftCase, n: int) -> dict[str, bool]:
    """Whether image ``n`` was moved the way a known mistake moves it: rolled (wrapping around), with 0 coming in
    instead of fill, or farther than max_shift."""
    one, out = images[n:n + 1], got[n:n + 1]
    return {
        "wraps": recover_offsets(one, out, case.max_shift, case.fill, rolled)[0] is not None,
        "fill_ignored": case.fill != 0.0 and recover_offsets(one, out, case.max_shift, 0.0)[0] is not None,
        "too_far": recover_offsets(one, out, 2 * case.max_shift + 1, case.fill)[0] is not None,
    }


#: The distribution check: 2,500 images 1x7x7 (a 3x3 random centre in a border of 2), max_shift 2: 25 offsets,
#: about 100 images each.
DISTRIBUTION = ShiftCase(batch=2500, channels=1, height=7, width=7, max_shift=2, seed=7, fill=0.0, border=True)


def check_shift_distribution(sub: Any) -> None:
    case = DISTRIBUTION
    found = check_shift(sub, case)
    allowed = offsets(case.max_shift)
    counts = {offset: 0 for offset in allowed}
    for offset in found:
        counts[offset] += 1
    what = f"random_shift over {case.batch} images"
    expected = case.batch / len(allowed)
    sigma = math.sqrt(case.batch * (1 / len(allowed)) * (1 - 1 / len(allowed)))
    never = [offset for offset, count in counts.items() if count == 0]
    used_dy, used_dx = {dy for dy, _ in found}, {dx for _, dx in found}
    if len(set(found)) == 1:
        fail(what, f"every image got the same offset {found[0]}", case, check="shift_one_offset_for_batch")
    if never:
        every = 2 * case.max_shift + 1
        check = "shift_unreachable" if len(used_dy) < every or len(used_dx) < every else "shift_not_independent"
        fail(what, f"{len(never)} of the {len(allowed)} allowed offsets never came up, e.g. {never[:3]} "
             f"(offsets seen for dy: {sorted(used_dy)}, for dx: {sorted(used_dx)})", case, check=check)
    low, high = expected - tolerances.SHIFT_SIGMAS * sigma, expected + tolerances.SHIFT_SIGMAS * sigma
    off = [(offset, count) for offset, count in counts.items() if not low <= count <= high]
    if off:
        fail(what, f"offset {off[0][0]} came up {off[0][1]} times; each of the {len(allowed)} offsets should come up "
             f"about {expected:.0f} times (between {low:.0f} and {high:.0f})", case, check="shift_not_uniform")


def check_shift_reproducible(sub: Any, case: ShiftCase) -> None:
    """Generators seeded alike give the same batch; another seed gives another."""
    images = case.images()
    first, second, other = (sub.random_shift(images, case.max_shift, GeneratorSeed(seed), fill=case.fill)
                            for seed in (case.seed, case.seed, case.seed + 1))
    for got in (first, second, other):
        check_tensor(got, images, what="random_shift", case=case, check_values=False)
    if not torch.equal(first, second):
        fail("random_shift", f"two calls with generators seeded {case.seed} gave different batches", case,
             check="shift_not_reproducible")
    if torch.equal(first, other):
        fail("random_shift", f"generators seeded {case.seed} and {case.seed + 1} gave the same batch of "
             f"{case.batch} images", case, check="shift_seed_ignored")


def check_diagnosis(got: Any, expected: str, curves: Curves, *, mistake: str = "") -> None:
    """``diagnose``'s word against the curves' diagnosis; the hint restates the rule that names it."""
    what = "diagnose"
    if not isinstance(got, str) or got not in DIAGNOSES:
        fail(what, f"returned {got!r}; expected one of {', '.join(map(repr, DIAGNOSES))}", curves,
             check="diagnosis_word")
    if got != expected:
        check = {"overfitting": "diagnosis_overfitting", "underfitting": "diagnosis_underfitting",
                 "lr_too_high": "diagnosis_lr_too_high", "lr_too_low": "diagnosis_lr_too_low",
                 "healthy": "diagnosis_healthy"}[expected]
        fail(what, f"said {got!r}; the curves show {expected!r}", curves, check=check, mistake=mistake)


# -- 1. clip_grad_norm -----------------------------------------------------------------------------
@pytest.mark.points(0.5)
@pytest.mark.parametrize(("max_norm", "norm_type"), [(1.0, 2.0), (20.0, 2.0), (6.0, math.inf)],
                         ids=["clipped", "under_the_limit", "inf_norm"])
def test_clip_worked_example(sub, max_norm, norm_type):
    """Gradients [3, 4] and [0, 0, 12] (2-norm 13, inf-norm 12), and a parameter without a gradient."""
    case = ClipCase(shapes=((2,), (3,), (2,)), has_grad=(True, True, False), seed=0, max_norm=max_norm,
                    norm_type=norm_type, dtype=torch.float32, given=((3.0, 4.0), (0.0, 0.0, 12.0), ()))
    check_clip(sub, case)


@pytest.mark.points(1.25)
@given(case=clip_cases())
def test_clip_matches_torch(sub, case: ClipCase):
    """1 to 4 parameters of 0 to 3 dimensions, some without a gradient, norms 1, 2, 3 and inf, float64 and
    float32, max_norm from 0.001 to 10 times the gradients' norm, given as a list or as a generator."""
    check_clip(sub, case)


@pytest.mark.points(0.5)
@given(case=clip_cases(containers=("generator",), huge=True, norm_types=(2.0, math.inf)))
def test_clip_one_exploding_gradient_scales_them_all(sub, case: ClipCase):
    """One gradient a million times the others, as model.parameters() gives them: every gradient is scaled by
    the same factor (each .grad in place, nothing else changed)."""
    check_clip(sub, case)


# -- 2. weighted_cross_entropy, class_weights -----------------------------------------------------
@pytest.mark.points(0.25)
def test_weighted_cross_entropy_worked_example(sub):
    """Logits [[2, 0], [0, 0], [0, 2]], targets [0, 0, 1], weight [1, 3]: 0.2402 (not 0.4003, dividing by N)."""
    logits = torch.tensor([[2.0, 0.0], [0.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    targets, weight = torch.tensor([0, 0, 1]), torch.tensor([1.0, 3.0], dtype=torch.float64)
    check_weighted(sub, logits, targets, weight, "logits [[2, 0], [0, 0], [0, 2]], targets [0, 0, 1], weight [1, 3]")


@pytest.mark.points(1.25)
@given(case=weighted_cases(scales=(1.0, 10.0, 1e3), dtypes=(torch.float64, torch.float32)))
def test_weighted_cross_entropy_matches_torch(sub, case: WeightedCase):
    """1 to 8 rows, 1 to 10 classes, logits up to the thousands, positive weights, some zero, or None."""
    check_weighted(sub, case.logits(), case.targets(), case.weight(), case)


@pytest.mark.points(0.25)
def test_class_weights_worked_example(sub):
    """Targets [0, 0, 0, 1] among 3 classes: counts [3, 1, 0], weights [4/9, 4/3, 0]."""
    check_class_weights(sub, torch.tensor([0, 0, 0, 1]), 3, "targets [0, 0, 0, 1], num_classes=3")


@pytest.mark.points(0.5)
@given(case=targets_cases())
def test_class_weights_are_balanced_inverse_frequencies(sub, case: TargetsCase):
    """N / (num_classes * count) for every class present, 0 for the absent ones."""
    check_class_weights(sub, case.targets(), case.classes, case)


# -- 3. EarlyStopping ------------------------------------------------------------------------------
@pytest.mark.points(1.0)
@pytest.mark.parametrize("example", WORKED_STOPPING,
                         ids=[case.mistake.removeprefix("stop_") for case, _ in WORKED_STOPPING])
def test_stopping_worked_examples(sub, example):
    """Ties, patience, min_delta, mode="max", NaN, and comparing with the best rather than the epoch before."""
    case, expected = example
    got, _ = sub.op("stopping_curve", case.settings, list(case.metrics))
    check_stopping(got, expected, case)


@pytest.mark.points(0.75)
@given(example=stall_cases())
def test_stopping_improves_then_stalls(sub, example):
    """Curves that improve by more than min_delta, then tie, gain less than min_delta or get worse: the run stops
    patience epochs after the last improvement (both modes); best, best_epoch, best_state follow it."""
    case, expected = example
    got, _ = sub.op("stopping_curve", case.settings, list(case.metrics))
    check_stopping(got, expected, case)


RUN = TrainingRun()


@pytest.fixture(scope="module")
def training_run(sub):
    """The real run, once for the checks below (an error is raised again in each)."""
    try:
        return "ok", sub.op("stopping_training", RUN, training_data())[0]
    except Exception as error:  # noqa: BLE001 - re-raised by every test that reads the run
        return "error", error


def _run(training_run) -> dict:
    status, value = training_run
    if status == "error":
        raise value
    return value


@pytest.mark.points(0.25)
def test_stopping_a_real_training_run(sub, training_run):
    """A small network overfits 300 MNIST digits: the run stops patience epochs after its lowest validation loss."""
    run = _run(training_run)
    expected = expected_from_losses(run["val_losses"], RUN.patience)
    check_stopping({**run, "state_epoch": expected.best_epoch}, expected, _RealRun(run["val_losses"]), with_model=False)


class _RealRun:
    """The real run as the feedback's input line: the settings and the validation losses it saw."""

    def __init__(self, losses: list[float]) -> None:
        self.metrics = tuple(losses)

    def __repr__(self) -> str:
        return f"{RUN!r}; validation losses {[round(loss, 4) for loss in self.metrics]}"


@pytest.mark.points(0.5)
def test_stopping_keeps_the_best_weights_of_a_real_run(sub, training_run):
    """best_state, loaded into the network, brings back the lowest validation loss of the run."""
    run = _run(training_run)
    expected = expected_from_losses(run["val_losses"], RUN.patience)
    what, case = "EarlyStopping.best_state", _RealRun(run["val_losses"])
    if run["state_epoch"] != expected.best_epoch:
        latest = run["state_epoch"] == len(run["val_losses"]) != expected.best_epoch
        state = run["state_epoch"]
        fail(what, f"holds {'the weights of epoch ' + str(state) if isinstance(state, int) else state}; expected the "
             f"weights of epoch {expected.best_epoch}, the lowest validation loss", case, check="stop_state",
             mistake="stop_state_not_copied" if latest else "")
    restored = run["restored_loss"]
    if not isinstance(restored, float) or not math.isclose(restored, expected.best, rel_tol=1e-5, abs_tol=1e-6):
        fail(what, f"loaded into the network gives {restored!r}; expected the best validation loss {expected.best:.6g}",
             case, check="stop_state")


# -- 4. random_shift -------------------------------------------------------------------------------
@pytest.mark.points(0.5)
@pytest.mark.parametrize("max_shift", [0, 1], ids=["max_shift_0", "max_shift_1"])
def test_shift_worked_example_and_contract(sub, max_shift):
    """A 1x3x3 image [[1..9]]: every result is the image moved by at most max_shift (0: unchanged), same
    shape and dtype; the input is never changed."""
    image = torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    case = f"images [[1, 2, 3], [4, 5, 6], [7, 8, 9]] (1, 1, 3, 3), max_shift={max_shift}, fill=0"
    got = sub.random_shift(image.repeat(20, 1, 1, 1), max_shift, GeneratorSeed(0), fill=0.0)
    check_tensor(got, image.repeat(20, 1, 1, 1), what="random_shift", case=case, check_values=False)
    if max_shift == 0:
        check_tensor(got, image.repeat(20, 1, 1, 1), what="random_shift with max_shift=0", case=case)
        return
    check_shift(sub, ShiftCase(batch=20, channels=1, height=3, width=3, max_shift=1, seed=0, border=False))


@pytest.mark.points(0.75)
@given(case=shift_cases())
def test_shift_moves_each_image_within_bounds(sub, case: ShiftCase):
    """Every image is its input moved by one offset with |dy|, |dx| <= max_shift, the rest fill; with a border of
    fill no pixel is lost (1 to 6 images of 1 to 3 channels, up to 9x9, max_shift 0 to 3, fill 0 or MNIST's)."""
    check_shift(sub, case)


@pytest.mark.points(0.75)
def test_shift_offsets_are_uniform_and_independent(sub):
    """Over 2,500 images and max_shift 2, each of the 25 offsets comes up, about 100 times each."""
    check_shift_distribution(sub)


@pytest.mark.points(0.25)
def test_shift_reproducible_with_a_seeded_generator(sub):
    """Generators seeded alike give the same batch, another seed another batch."""
    check_shift_reproducible(sub, ShiftCase(batch=32, channels=1, height=8, width=8, max_shift=2, seed=3))


# -- 5. diagnose -----------------------------------------------------------------------------------
@pytest.mark.points(0.75)
@given(curves=made_curves())
def test_diagnose_made_curves(sub, curves: Curves):
    """Curves made to show each diagnosis, with the default thresholds, often with a sign a later rule reads."""
    check_diagnosis(sub.diagnose(*curves.arguments()), curves.label, curves)


@pytest.mark.points(0.5)
@pytest.mark.parametrize("run", recorded_runs(), ids=[name for name, _ in recorded_runs()])
def test_diagnose_recorded_runs(sub, run):
    """Real short runs of the article's models on the MNIST sample, each made to show one problem."""
    _, curves = run
    check_diagnosis(sub.diagnose(*curves.arguments()), curves.label, curves)
