"""Exercise 14 (troubleshooting): its worker operations, what its graders draw and know, its hints.

The checks themselves, which recognise mistakes by id, are in the public grader
(``graders/test_ex14_troubleshooting.py``), shared with the hidden one; here are the pieces they use:

* Clipping: a ``.grad`` does not travel to the worker, so ``clip_gradients`` builds the parameters
  there, calls the student's ``clip_grad_norm`` and reports every gradient afterwards, whether each is
  still the same tensor object, and what else changed. ``torch.nn.utils.clip_grad_norm_`` and its
  siblings are plain Python functions that the worker's TorchFunctionMode never sees;
  ``watch_torch_python_functions`` reports them to the detector by the name of their code, however
  the student imported them.
* Early stopping: ``drive_stopping`` runs an ``EarlyStopping`` class along a curve of metrics with a
  tiny model whose every weight is the epoch's number, so ``best_state`` tells which epoch it holds;
  the worker drives the student's class (``stopping_curve``), the hidden grader the reference's.
  ``stopping_training`` trains a small network on MNIST digits the grader sends and asks the
  student's class when to stop.
* Shifting: ``translate`` is the contract's formula; ``recover_offsets`` finds, for every image, the
  allowed offset that explains the student's output (or none).
* Diagnosis: the thresholds, curves built to show one diagnosis each, and the runs the kit recorded
  (``datasets/diagnosis_curves.json``, ``scripts/record_diagnosis_curves.py``).

Cases print as their shapes and settings, never as tensors (Hypothesis's smallest failing example is
the feedback's input line).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from torch import nn

from cnnkit import paths, spec, tolerances
from cnnkit.curriculum.ex8_training import KitSGD
from cnnkit.grading.hints import HintText
from cnnkit.grading.strategies import seeds, tensor
from cnnkit.sandbox.ops import op, student_attribute

MODULE = "ex14_troubleshooting"

#: What the feedback says, by check or mistake id (``cnnkit.grading.hints``): concept and method, never code.
HINTS: dict[str, HintText] = {
    # clipping
    "clip_per_parameter": HintText(
        "the norm is one number for all gradients together, as if they were one long vector; every gradient "
        "is scaled by the same factor (clipping each parameter by its own norm turns the update's direction)",
        "add up the p-th powers of every gradient's p-norm (for the inf-norm, take the largest of their largest "
        "values), take the p-th root once, and compute one factor from that total"),
    "clip_amplifies": HintText(
        "gradients whose total norm is already below max_norm stay as they are: clipping never enlarges a gradient",
        "cap the factor at 1 (torch.clamp with a maximum, or min with 1)"),
    "clip_without_epsilon": HintText(
        "the factor is max_norm divided by the total norm plus 1e-6, as in torch: the 1e-6 matters when the norm "
        "is tiny",
        "add 1e-6 to the total norm in the denominator, and apply the factor whenever it is below 1"),
    "clip_norm_after": HintText(
        "return the total norm measured before clipping, not after",
        "keep the total you computed from the unclipped gradients and return it"),
    "clip_generator_spent": HintText(
        "model.parameters() is a generator: it can be gone through only once, so a second loop over it sees "
        "nothing and no gradient gets clipped",
        "go through the parameters once and keep what you need (their gradients) in a list"),
    "clip_grad_replaced": HintText(
        "clip each .grad in place, as torch's clip_grad_norm_ does: assigning a new tensor to p.grad leaves "
        "whoever holds the old gradient tensor (an optimizer's state, a hook, a list made earlier) with "
        "unclipped values",
        "use the in-place version of the multiplication on the gradient tensor itself, under torch.no_grad"),
    "clip_changed_other": HintText(
        "only the gradients change: the parameters' values stay as they are, and a parameter without a "
        "gradient keeps None",
        "skip parameters whose .grad is None, and write into .grad only"),
    "clip_total_type": HintText(
        "return the total norm as a 0-d tensor in the gradients' dtype, as torch does (not a Python number)",
        "compute the norm with torch operations on the gradients and return that tensor (torch.tensor of 0.0 "
        "when there is no gradient)"),
    "clip_inf_norm": HintText(
        "the inf-norm is the largest absolute value of any gradient: the p-norm formula with p = inf does not "
        "compute it (powers of inf overflow)",
        "treat norm_type inf on its own: the largest of the gradients' largest absolute values "
        "(torch.linalg.vector_norm accepts inf too)"),
    # weighted cross-entropy and class weights
    "wce_mean_over_n": HintText(
        "a weighted mean divides by the sum of the weights of the rows' target classes, not by the number of rows",
        "pick each row's weight by its target class, then divide the weighted sum of the row losses by the sum "
        "of those picked weights"),
    "wce_weighted_sum": HintText(
        "the loss is a weighted mean, not a sum",
        "divide the weighted sum of the row losses by the sum of the rows' weights"),
    "wce_weight_ignored": HintText(
        "each row's loss is multiplied by the weight of that row's target class (None: every weight is 1)",
        "index the weight vector with the targets to get one weight per row"),
    "weights_not_normalised": HintText(
        "the weights are normalised: N / (num_classes * count), so a balanced set gets weight 1 for every class "
        "(1 / count alone depends on the size of the set)",
        "multiply the inverse counts by N / num_classes"),
    "weights_sum_to_one": HintText(
        "the normalisation is N / (num_classes * count), not weights that add up to 1",
        "drop the division by the weights' sum; scale the inverse counts by N / num_classes instead"),
    "weights_frequency": HintText(
        "rare classes weigh more: the weight is the inverse of the class's frequency",
        "divide N by num_classes times the count, instead of the count by N"),
    "weights_absent_class": HintText(
        "a class that does not occur in targets gets weight 0, never inf or NaN (a division by a count of 0)",
        "count every class (torch.bincount with minlength, or a loop over all classes) and set the weight of "
        "a zero count to 0, for example with torch.where"),
    # early stopping
    "stop_tie": HintText(
        "a tie with the best is no improvement: the count of epochs without improvement goes on",
        "improve only when the metric is strictly better than the best minus min_delta"),
    "stop_min_delta": HintText(
        "an improvement must beat the best by more than min_delta; a smaller gain counts as no improvement "
        "and does not change best",
        "compare the metric with the best shifted by min_delta in the mode's direction"),
    "stop_mode": HintText(
        'with mode="max" a higher metric is better (an accuracy): improve means larger',
        "flip the comparison for max, or compare signed scores (the metric, negated for min)"),
    "stop_nan": HintText(
        "a NaN metric (a diverged run) never improves: every comparison with NaN is False, so ask whether the "
        "metric is better, not whether it is worse",
        "write the improvement test as the condition to be true, and let the else branch count the epoch"),
    "stop_patience": HintText(
        "stop once patience epochs in a row have not improved: with patience 3, the third such epoch returns "
        "True, not the second or the fourth",
        "count epochs without improvement (reset to 0 on an improvement) and return whether the count has "
        "reached patience"),
    "stop_previous_epoch": HintText(
        "compare each epoch with the best so far, not with the epoch before: beating a bad epoch is no "
        "improvement",
        "keep the best metric in an attribute and compare with it"),
    "stop_decisions": HintText(
        "follow the contract epoch by epoch: improve means beating the best by more than min_delta in the "
        "mode's direction; step returns True once patience epochs in a row have not improved",
        "write the epochs of the failing curve on paper with best and the count after each, then compare "
        "with what step returned"),
    "stop_best": HintText(
        "best is the metric of the best epoch, as a float, and changes only when an epoch improves",
        "set best (a float of the metric) in the improvement branch only"),
    "stop_best_epoch": HintText(
        "best_epoch is the number of the epoch that set best, counting the first call to step as epoch 1",
        "count the calls to step and store the count when an epoch improves"),
    "stop_state_not_copied": HintText(
        "best_state holds the weights of the latest epoch, not of the best one: state_dict() hands out the "
        "model's own tensors, which every optimizer step changes; keep a copy",
        "clone every tensor of the state dict when the epoch improves (or deep-copy it)"),
    "stop_state": HintText(
        "best_state is a copy of model.state_dict() (a dict from names to tensors) taken when the best epoch "
        "improved, and only then",
        "take the copy in the improvement branch, from the model passed to that call of step"),
    "stop_type": HintText(
        "step returns True or False (a Python bool)",
        "return the comparison of the count with patience itself"),
    "stop_invalid": HintText(
        'raise ValueError for a mode other than "min" or "max", a patience below 1 or a negative min_delta',
        "check the three arguments first thing in __init__"),
    # shifting
    "shift_not_a_translation": HintText(
        "every output image must be its input moved by one whole-pixel offset (dy, dx) with both at most "
        "max_shift in size, the pixels that come in set to fill",
        "start from a batch full of fill and copy each image's overlapping window to its moved place, or pad "
        "with fill and cut each image's window"),
    "shift_wraps": HintText(
        "pixels moved past the edge are dropped and the ones that come in are fill: rolling the image brings "
        "the far edge back in",
        "pad with fill and cut a window instead of torch.roll, or overwrite the rolled-in rows and columns "
        "with fill"),
    "shift_fill_ignored": HintText(
        "the pixels that come in from outside take the value fill",
        "pass fill as the padding value, or start from a tensor full of fill"),
    "shift_too_far": HintText(
        "an offset is at most max_shift pixels in each direction",
        "draw each offset from -max_shift to max_shift, and move by exactly that"),
    "shift_mass": HintText(
        "moving an image whose border is fill keeps all of its pixels: the total of (pixel - fill) must not "
        "change",
        "copy the overlapping window once, to its moved place, with nothing stretched or repeated"),
    "shift_unreachable": HintText(
        "every offset from -max_shift to +max_shift must be possible, in both directions: check the upper end "
        "of your random range (many random functions exclude it)",
        "torch.randint excludes its high end: ask for one more than max_shift"),
    "shift_one_offset_for_batch": HintText(
        "each image gets its own random offset, not one for the whole batch",
        "draw a vector of N offsets (one per image) for each direction"),
    "shift_not_independent": HintText(
        "dy and dx are drawn independently: all (2 * max_shift + 1) ** 2 pairs are possible",
        "draw dy and dx separately (two draws, or one draw of shape N by 2)"),
    "shift_not_uniform": HintText(
        "every allowed offset is equally likely",
        "draw whole numbers uniformly over the allowed range, nothing rounded from a continuous draw"),
    "shift_not_reproducible": HintText(
        "draw the random offsets from the generator you are given, so that the same seed gives the same batch",
        "pass the generator to every random function you call"),
    "shift_seed_ignored": HintText(
        "a different seed must give different offsets: use the generator given",
        "pass the generator to the random functions instead of seeding torch yourself"),
    # diagnosis
    "diagnosis_word": HintText(
        'answer one of "overfitting", "underfitting", "lr_too_high", "lr_too_low", "healthy"',
        "return one of the strings of DIAGNOSES, spelled as there"),
    "diagnosis_lr_too_high": HintText(
        "lr_too_high: a NaN or infinite loss (checked first of all), or, after the overfitting rule, a training "
        "loss above explode or a rise from one epoch to the next by more than rise times the previous value",
        "test every loss with math.isfinite first; after the gap rule, test the largest training loss and each "
        "pair of consecutive training losses"),
    "diagnosis_overfitting": HintText(
        "overfitting: the last training accuracy is more than gap points above the last validation accuracy; "
        "this rule comes second, before the loss's rises and drops",
        "compare the last values of the two accuracy curves right after the finiteness test"),
    "diagnosis_lr_too_low": HintText(
        "lr_too_low: from the first epoch to the last the training loss fell by less than min_drop times its "
        "first value (a loss that ends higher fell by less, too); it comes after both lr_too_high rules",
        "compare the first training loss minus the last with min_drop times the first"),
    "diagnosis_underfitting": HintText(
        "underfitting: the last training and the last validation accuracy are both below low_accuracy, after "
        "the rules before it found nothing",
        "both last accuracies must be below low_accuracy (and, not or)"),
    "diagnosis_healthy": HintText(
        "healthy: none of the five rules applies; check each threshold's direction",
        "go through the rules in the order of the docstring and return at the first that applies"),
    "diagnosis_thresholds": HintText(
        "use the thresholds passed as keyword arguments, not numbers written into the function",
        "read gap, explode, rise, min_drop and low_accuracy from the arguments"),
}


# =============================================================================================
# 1. Gradient clipping
# =============================================================================================
INF = math.inf
#: A gradient this many times the others: one exploding layer.
HUGE = 1e6


@dataclass(frozen=True)
class ClipCase:
    """Parameters of ``shapes`` (those with ``has_grad`` False have no ``.grad``), clipped to ``max_norm``."""

    shapes: tuple[tuple[int, ...], ...]
    has_grad: tuple[bool, ...]
    seed: int
    max_norm: float
    norm_type: float = 2.0
    dtype: torch.dtype = torch.float64
    container: str = "list"  # "list" | "generator" (as model.parameters()) | "tensor" (one parameter)
    scale: float = 1.0  # the gradients' scale
    huge: int | None = None  # this gradient is HUGE times the others
    given: tuple[tuple[float, ...], ...] | None = None  # the gradients' values (flat), instead of drawn ones

    def __repr__(self) -> str:
        if self.given is not None:
            grads = [f"grad {list(values)}" if grad else f"{_shape(shape)} without .grad"
                     for shape, grad, values in zip(self.shapes, self.has_grad, self.given)]
        else:
            grads = [f"{_shape(shape)}{'' if grad else ' without .grad'}" for shape, grad in zip(self.shapes, self.has_grad)]
        given = {"list": "a list", "generator": "a generator", "tensor": "one tensor"}[self.container]
        parts = [f"parameters {', '.join(grads)} given as {given}", f"max_norm={self.max_norm:.6g}",
                 f"norm_type={self.norm_type:g}", str(self.dtype).removeprefix("torch.")]
        if self.scale != 1.0:
            parts.append(f"gradients of scale {self.scale:g}")
        if self.huge is not None:
            parts.append(f"gradient {self.huge} {HUGE:g} times the others")
        return ", ".join(parts)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def tensors(self) -> tuple[list[torch.Tensor], list[torch.Tensor | None]]:
        """(the parameters' values, their gradients or None), the same on both sides."""
        values = [tensor(shape, self.seed + 2 * index, self.dtype) for index, shape in enumerate(self.shapes)]
        grads: list[torch.Tensor | None] = []
        for index, (shape, has_grad) in enumerate(zip(self.shapes, self.has_grad)):
            scale = self.scale * (HUGE if index == self.huge else 1.0)
            if not has_grad:
                grads.append(None)
            elif self.given is not None:
                grads.append(torch.tensor(self.given[index], dtype=self.dtype).reshape(shape))
            else:
                grads.append(tensor(shape, self.seed + 2 * index + 1, self.dtype, scale=scale))
        return values, grads

    def parameters(self) -> list[nn.Parameter]:
        values, grads = self.tensors()
        parameters = [nn.Parameter(value) for value in values]
        for parameter, grad in zip(parameters, grads):
            parameter.grad = grad
        return parameters


def _shape(shape: tuple[int, ...]) -> str:
    return str(shape) if shape else "0-d"


def total_norm(grads: Sequence[torch.Tensor | None], norm_type: float) -> float:
    """The norm of all gradients joined into one vector, in float64 (for building cases)."""
    present = [grad.double().flatten() for grad in grads if grad is not None]
    if not present:
        return 0.0
    return float(torch.linalg.vector_norm(torch.cat(present), norm_type))


@st.composite
def clip_cases(draw: st.DrawFn, *, dtypes: Sequence[torch.dtype] = (torch.float64, torch.float32),
               norm_types: Sequence[float] = (1.0, 2.0, 3.0, INF), containers: Sequence[str] = ("list", "generator"),
               max_parameters: int = 4, huge: bool = False, scales: Sequence[float] = (1.0,)) -> ClipCase:
    """Shapes first (1 to ``max_parameters`` tensors of 0 to 3 dimensions, some without a gradient), then the
    norm, dtype and container, a value seed, and ``max_norm`` as a multiple of the gradients' norm (from well
    below it to well above, never within 1 % of it, where torch's 1e-6 would decide)."""
    container = draw(st.sampled_from(containers))
    count = 1 if container == "tensor" else draw(st.integers(1, max_parameters))
    shapes = tuple(tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=3))) for _ in range(count))
    has_grad = tuple(draw(st.lists(st.booleans(), min_size=count, max_size=count)))
    if not any(has_grad):
        has_grad = (True,) + has_grad[1:]
    case = ClipCase(
        shapes=shapes, has_grad=has_grad, seed=draw(seeds()), max_norm=1.0, norm_type=draw(st.sampled_from(norm_types)),
        dtype=draw(st.sampled_from(dtypes)), container=container,
        scale=draw(st.sampled_from(scales)),
        huge=draw(st.sampled_from([i for i, grad in enumerate(has_grad) if grad])) if huge else None,
    )
    ratio = draw(st.sampled_from((0.001, 0.3, 0.9, 1.5, 10.0)))
    norm = total_norm(case.tensors()[1], case.norm_type)
    return replace(case, max_norm=float(f"{ratio * norm:.6g}") if norm > 0 else 1.0)


def torch_clip(case: ClipCase) -> tuple[torch.Tensor, list[torch.Tensor | None]]:
    """``torch.nn.utils.clip_grad_norm_`` on the case: (its total norm, the gradients afterwards)."""
    parameters = case.parameters()
    total = torch.nn.utils.clip_grad_norm_(parameters[0] if case.container == "tensor" else parameters,
                                           case.max_norm, case.norm_type)
    return total, [parameter.grad for parameter in parameters]


@contextlib.contextmanager
def watch_torch_python_functions(detector: Any) -> Iterator[None]:
    """Report forbidden torch functions written in Python (``clip_grad_norm_``) to ``detector`` and stop them.

    A TorchFunctionMode sees only the functions torch dispatches through ``__torch_function__``;
    ``torch.nn.utils.clip_grad_norm_`` is a plain Python function, reachable under any name the student
    imported it as. A profile hook sees every Python call: a function defined in torch's own files whose
    name the exercise forbids is recorded, as the mode records a forbidden call, and raises.
    """
    from cnnkit.sandbox.detector import ForbiddenAPIError

    torch_files = os.path.dirname(torch.__file__) + os.sep

    def profile(frame: Any, event: str, argument: Any) -> None:
        if event != "call":
            return
        code = frame.f_code
        if code.co_filename.startswith(torch_files) and spec.is_forbidden(MODULE, code.co_name):
            name = f"{frame.f_globals.get('__name__', 'torch')}.{code.co_name}".replace(".clip_grad.", ".")
            detector.calls.append(name)
            raise ForbiddenAPIError(f"{name} is forbidden in {MODULE}")

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield
    finally:
        sys.setprofile(previous)


@op(calls=("clip_grad_norm",))
def clip_gradients(student: Any, detector: Any, case: ClipCase) -> tuple[Any, dict]:
    """``student.clip_grad_norm(parameters, case.max_norm, case.norm_type)`` on the case's parameters.

    Value: what it returned. Extra: ``grads`` (every ``.grad`` afterwards), ``replaced`` (indices whose
    ``.grad`` is no longer the tensor object it was), ``appeared`` (a ``.grad`` that was None is not),
    ``values_changed`` (parameters whose values changed).
    """
    clip = student_attribute(student, "clip_grad_norm")
    parameters = case.parameters()
    grads_before = [parameter.grad for parameter in parameters]
    values_before = [parameter.detach().clone() for parameter in parameters]
    given: Any = {"list": list(parameters), "generator": (p for p in parameters), "tensor": parameters[0]}[case.container]
    with detector, watch_torch_python_functions(detector):
        value = clip(given, case.max_norm, case.norm_type)
    grads = [parameter.grad for parameter in parameters]
    return value, {
        "grads": [None if grad is None else grad.detach().clone() for grad in grads],
        "replaced": [i for i, (old, new) in enumerate(zip(grads_before, grads)) if old is not None and new is not old],
        "appeared": [i for i, (old, new) in enumerate(zip(grads_before, grads)) if old is None and new is not None],
        "values_changed": [i for i, (parameter, old) in enumerate(zip(parameters, values_before))
                           if not torch.equal(parameter.detach(), old)],
    }


# =============================================================================================
# 2. Class-weighted cross-entropy, class weights
# =============================================================================================
@dataclass(frozen=True)
class WeightedCase:
    """Logits (batch, classes) of ``scale``, targets, and weights: ``None``, positive, or with zeros."""

    batch: int
    classes: int
    seed: int
    scale: float = 1.0
    weights: str = "positive"  # "none" | "positive" | "zeros" (some classes weigh 0)
    dtype: torch.dtype = torch.float64
    int32_targets: bool = False

    def __repr__(self) -> str:
        weight = {"none": "weight=None", "positive": "weight (positive)", "zeros": "weight with zeros"}[self.weights]
        parts = [f"logits ({self.batch}, {self.classes}) {str(self.dtype).removeprefix('torch.')}",
                 f"targets ({self.batch},){' int32' if self.int32_targets else ''}", weight]
        if self.scale != 1.0:
            parts.append(f"logits ~ N(0, {self.scale:g}^2)")
        return ", ".join(parts)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def logits(self) -> torch.Tensor:
        return tensor((self.batch, self.classes), self.seed, self.dtype, scale=self.scale)

    def targets(self) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed + 1)
        targets = torch.randint(0, self.classes, (self.batch,), generator=generator)
        return targets.to(torch.int32) if self.int32_targets else targets

    def weight(self) -> torch.Tensor | None:
        if self.weights == "none":
            return None
        generator = torch.Generator().manual_seed(self.seed + 2)
        weight = 0.1 + 4.0 * torch.rand(self.classes, generator=generator, dtype=self.dtype)
        if self.weights == "zeros":  # every other class weighs 0, never the first row's target (no 0 / 0)
            zero = torch.arange(self.classes) % 2 == 1
            zero[int(self.targets()[0])] = False
            weight = torch.where(zero, torch.zeros_like(weight), weight)
        return weight


@st.composite
def weighted_cases(draw: st.DrawFn, *, max_batch: int = 8, max_classes: int = 10, scales: Sequence[float] = (1.0,),
                   weights: Sequence[str] = ("positive", "zeros", "none"),
                   dtypes: Sequence[torch.dtype] = (torch.float64,), int32: bool = False) -> WeightedCase:
    return WeightedCase(batch=draw(st.integers(1, max_batch)), classes=draw(st.integers(1, max_classes)),
                        seed=draw(seeds()), scale=draw(st.sampled_from(scales)), weights=draw(st.sampled_from(weights)),
                        dtype=draw(st.sampled_from(dtypes)), int32_targets=int32 and draw(st.booleans()))


@dataclass(frozen=True)
class TargetsCase:
    """``count`` labels among ``classes`` classes, drawn from the classes ``present`` only."""

    count: int
    classes: int
    present: tuple[int, ...]
    seed: int

    def __repr__(self) -> str:
        absent = sorted(set(range(self.classes)) - set(self.present))
        return (f"targets ({self.count},) among {self.classes} classes" +
                (f", classes {absent} absent" if absent else ""))

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def targets(self) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed)
        picks = torch.randint(0, len(self.present), (self.count,), generator=generator)
        return torch.tensor(self.present)[picks]


@st.composite
def targets_cases(draw: st.DrawFn, *, max_count: int = 40, max_classes: int = 10) -> TargetsCase:
    classes = draw(st.integers(1, max_classes))
    present = tuple(sorted(draw(st.sets(st.integers(0, classes - 1), min_size=1, max_size=classes))))
    return TargetsCase(count=draw(st.integers(len(present), max_count)), classes=classes, present=present,
                       seed=draw(seeds()))


def balanced_weights(targets: torch.Tensor, classes: int) -> torch.Tensor:
    """The contract's ``N / (classes * n_c)``, 0 where ``n_c`` is 0, in float64."""
    counts = torch.stack([(targets == c).sum() for c in range(classes)]).double()
    return torch.where(counts > 0, len(targets) / (classes * counts), torch.zeros_like(counts))


# =============================================================================================
# 3. Early stopping
# =============================================================================================
#: What the feedback says a reply holds when it is not what the contract names.
NOT_A_DICT = "not a dict"


def _epoch_of_state(state: Any) -> Any:
    """The epoch whose weights ``state`` holds (``drive_stopping``'s model has every weight = its epoch)."""
    if state is None:
        return None
    if not isinstance(state, dict):
        return f"{NOT_A_DICT}: a {type(state).__name__}"
    values = [value for value in state.values() if isinstance(value, torch.Tensor)]
    if len(values) != len(state) or not values:
        return "a dict that does not map names to tensors"
    flat = torch.cat([value.detach().flatten().double() for value in values])
    if not bool((flat == flat[0]).all()) or flat[0] != flat[0].round():
        return "weights of no single epoch"
    return int(flat[0])


def _plain(value: Any) -> Any:
    """A number as a float (a 0-d tensor too), None as None; anything else described by its type."""
    if value is None or isinstance(value, float):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value)
    return f"a {type(value).__name__}"


def drive_stopping(make: Callable[[], Any], metrics: Sequence[float], with_model: bool = True,
                   guard: Callable[[], Any] = contextlib.nullcontext) -> dict[str, Any]:
    """Build an ``EarlyStopping`` with ``make()`` and call ``step`` once per metric, stopping at the first True.

    Before epoch k the model's every weight is set to k, so ``best_state`` tells which epoch it holds.
    ``guard``: the context each call into the class runs in (the detector in the worker).
    Returns ``decisions`` (what each ``step`` returned: bools, or a description), ``best`` (a float,
    None, or a description), ``best_epoch`` and ``state_epoch`` (the epoch ``best_state`` holds, or a
    description).
    """
    model = nn.Linear(2, 1)
    with guard():
        stopper = make()
    decisions: list[Any] = []
    for epoch, metric in enumerate(metrics, start=1):
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.fill_(float(epoch))
        with guard():
            decision = stopper.step(metric, model) if with_model else stopper.step(metric)
        decisions.append(decision if isinstance(decision, bool) else f"a {type(decision).__name__}")
        if decision is not False:
            break
    with guard():
        best, best_epoch = getattr(stopper, "best", "missing"), getattr(stopper, "best_epoch", "missing")
        state = getattr(stopper, "best_state", "missing")
    return {
        "decisions": decisions,
        "best": "missing" if isinstance(best, str) else _plain(best),
        "best_epoch": best_epoch if isinstance(best_epoch, int) and not isinstance(best_epoch, bool) else str(best_epoch),
        "state_epoch": "missing" if isinstance(state, str) else _epoch_of_state(state),
    }


@op(calls=("EarlyStopping",))
def stopping_curve(student: Any, detector: Any, settings: dict[str, Any], metrics: list[float],
                   with_model: bool = True) -> tuple[Any, dict]:
    """The student's ``EarlyStopping(**settings)`` along ``metrics`` (see ``drive_stopping``)."""
    cls = student_attribute(student, "EarlyStopping")
    return drive_stopping(lambda: cls(**settings), metrics, with_model, lambda: detector), {}


@op(calls=("EarlyStopping",))
def stopping_rejects(student: Any, detector: Any, settings: dict[str, Any]) -> tuple[Any, dict]:
    """Whether ``EarlyStopping(**settings)`` raised ValueError (value: the exception's type name, or None)."""
    cls = student_attribute(student, "EarlyStopping")
    try:
        with detector:
            cls(**settings)
    except ValueError as error:
        return type(error).__name__, {}
    return None, {}


@dataclass(frozen=True)
class StoppingCase:
    """An ``EarlyStopping`` setting and a curve of metrics, with what the contract says about them."""

    settings: dict[str, Any]
    metrics: tuple[float, ...]
    about: str = ""
    mistake: str = ""  # the known mistake a wrong decision shows (worked examples: each is about one rule)

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.settings.items())
        curve = ", ".join(f"{m:.6g}" for m in self.metrics)
        return f"EarlyStopping({arguments}), metrics [{curve}]" + (f" ({self.about})" if self.about else "")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


@dataclass(frozen=True)
class Expected:
    """What ``drive_stopping`` must report: decisions, best, best epoch (and the epoch of ``best_state``)."""

    decisions: list[bool]
    best: float | None
    best_epoch: int


@st.composite
def stall_cases(draw: st.DrawFn) -> tuple[StoppingCase, Expected]:
    """A curve that improves ``k`` times by more than min_delta, then does not improve (ties, gains within
    min_delta, worse values): it must stop ``patience`` epochs after epoch ``k``, or run out first."""
    mode = draw(st.sampled_from(("min", "max")))
    patience = draw(st.integers(1, 4))
    min_delta = draw(st.sampled_from((0.0, 0.01, 0.25)))
    sign = -1.0 if mode == "min" else 1.0
    value = draw(st.sampled_from((1.0, 5.0, 80.0)))
    metrics = [value]
    for _ in range(draw(st.integers(0, 3))):
        value += sign * (min_delta + draw(st.sampled_from((0.5, 0.125, 2.0))))
        metrics.append(value)
    best, best_epoch = value, len(metrics)
    tail = draw(st.lists(st.sampled_from(("tie", "within", "worse")), min_size=0, max_size=patience + 1))
    for kind in tail:
        if kind == "tie":
            metrics.append(best)
        elif kind == "within":  # better than best, by half of min_delta at most (nothing when min_delta is 0)
            metrics.append(best + sign * min_delta / 2)
        else:
            metrics.append(best - sign * draw(st.sampled_from((0.5, 0.125, 3.0))))
    stops = len(tail) >= patience
    epochs = best_epoch + patience if stops else len(metrics)
    decisions = [False] * (epochs - 1) + [stops]
    settings = {"patience": patience, "min_delta": min_delta, "mode": mode}
    case = StoppingCase(settings, tuple(metrics[:epochs]), f"improves until epoch {best_epoch}, then "
                        + (", ".join(tail[: epochs - best_epoch]) or "nothing more"))
    return case, Expected(decisions, best, best_epoch)


@st.composite
def random_stopping_cases(draw: st.DrawFn) -> StoppingCase:
    """Random curves: a walk with plateaus (repeated values), some NaN, both modes, min_delta 0 or not."""
    mode = draw(st.sampled_from(("min", "max")))
    settings = {"patience": draw(st.integers(1, 4)), "min_delta": draw(st.sampled_from((0.0, 0.02, 0.1))), "mode": mode}
    generator = torch.Generator().manual_seed(draw(seeds()))
    length = draw(st.integers(1, 14))
    steps = torch.randn(length, generator=generator, dtype=torch.float64) * 0.1
    repeat = torch.rand(length, generator=generator, dtype=torch.float64) < 0.25
    metrics, value = [], 1.0
    for step, same in zip(steps.tolist(), repeat.tolist()):
        value = value if same else value + step  # a repeat is a plateau (a tie when it is the best)
        metrics.append(value)
    for index in draw(st.lists(st.integers(0, length - 1), max_size=2)):
        metrics[index] = math.nan
    return StoppingCase(settings, tuple(metrics), "a random curve")


# -- a real training run: a small network, MNIST digits, the student's EarlyStopping --------------
@dataclass(frozen=True)
class TrainingRun:
    """How ``stopping_training`` trains: a 784-64-10 network, SGD with momentum (``KitSGD``: no torch optimizer,
    whose first construction imports torch._dynamo, seconds in a fresh worker), on 300 sample digits; the
    validation loss after every epoch goes to the student's ``step``. It overfits after about six epochs."""

    patience: int = 3
    max_epochs: int = 15
    lr: float = 0.02
    momentum: float = 0.9
    batch_size: int = 50
    hidden: int = 64
    seed: int = 0

    def model(self) -> nn.Module:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, self.hidden), nn.ReLU(), nn.Linear(self.hidden, 10))

    def __repr__(self) -> str:
        return (f"EarlyStopping(patience={self.patience}) on the validation loss of a 784-{self.hidden}-10 network "
                f"trained with SGD (lr {self.lr}, momentum {self.momentum}) on 300 MNIST sample digits, 200 held out, at most "
                f"{self.max_epochs} epochs")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def training_data() -> dict[str, torch.Tensor]:
    """The digits the run uses: the first 300 sample training digits, the last 200 as validation."""
    from cnnkit.mnist.data import load_sample, normalize, split_validation

    sample = load_sample()
    (images, labels), (val_images, val_labels) = split_validation(normalize(sample["train"][0]), sample["train"][1])
    return {"images": images[:300], "labels": labels[:300], "val_images": val_images, "val_labels": val_labels}


def _validation_loss(model: nn.Module, data: dict[str, torch.Tensor]) -> float:
    model.eval()
    with torch.no_grad():
        loss = float(F.cross_entropy(model(data["val_images"]), data["val_labels"]))
    model.train()
    return loss


@op(calls=("EarlyStopping",))
def stopping_training(student: Any, detector: Any, run: TrainingRun, data: dict[str, torch.Tensor]) -> tuple[Any, dict]:
    """Train ``run``'s network, calling the student's ``step(validation loss, model)`` after every epoch, until
    it says stop. Value: ``val_losses`` (per epoch run), ``decisions``, ``best``, ``best_epoch``, ``state_epoch``
    (which epoch's weights ``best_state`` equals exactly, or a description) and ``restored_loss`` (the validation
    loss with ``best_state`` loaded, or why it could not be loaded)."""
    cls = student_attribute(student, "EarlyStopping")
    model = run.model()
    optimizer = KitSGD(model.parameters(), lr=run.lr, momentum=run.momentum)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(run.seed)
        with detector:
            stopper = cls(patience=run.patience)
        losses, decisions, snapshots = [], [], []
        for _ in range(run.max_epochs):
            for start in range(0, len(data["labels"]), run.batch_size):
                optimizer.zero_grad()
                batch = slice(start, start + run.batch_size)
                F.cross_entropy(model(data["images"][batch]), data["labels"][batch]).backward()
                optimizer.step()
            losses.append(_validation_loss(model, data))
            snapshots.append({name: value.detach().clone() for name, value in model.state_dict().items()})
            with detector:
                decision = stopper.step(losses[-1], model)
            decisions.append(decision if isinstance(decision, bool) else f"a {type(decision).__name__}")
            if decision is not False:
                break
    with detector:
        best, best_epoch, state = stopper.best, stopper.best_epoch, stopper.best_state
    state_epoch: Any = None if state is None else f"{NOT_A_DICT}: a {type(state).__name__}"
    restored: Any = "best_state is None"
    if isinstance(state, dict):
        matches = [epoch for epoch, snapshot in enumerate(snapshots, start=1)
                   if snapshot.keys() == state.keys() and all(torch.equal(snapshot[k], state[k]) for k in snapshot)]
        state_epoch = matches[0] if matches else "weights of no epoch of the run"
        fresh = run.model()
        try:
            fresh.load_state_dict(state)
            restored = _validation_loss(fresh, data)
        except (RuntimeError, TypeError, KeyError) as error:
            restored = f"load_state_dict refused it: {str(error).splitlines()[0][:200]}"
    return {"val_losses": losses, "decisions": decisions, "best": _plain(best),
            "best_epoch": best_epoch if isinstance(best_epoch, int) else str(best_epoch),
            "state_epoch": state_epoch, "restored_loss": restored}, {}


def expected_from_losses(losses: Sequence[float], patience: int) -> Expected:
    """With min_delta 0 and mode "min": the best epoch is the first lowest loss so far, and the run stops once
    ``patience`` epochs have passed since it (the contract restated; no NaN in a real run's losses)."""
    best_epoch, decisions = 0, []
    for epoch, loss in enumerate(losses, start=1):
        if best_epoch == 0 or loss < losses[best_epoch - 1]:
            best_epoch = epoch
        decisions.append(epoch - best_epoch >= patience)
        if decisions[-1]:
            break
    return Expected(decisions, losses[best_epoch - 1], best_epoch)


# =============================================================================================
# 4. Random shifts
# =============================================================================================
#: The background of normalised MNIST: (0 - 0.1307) / 0.3081.
MNIST_BACKGROUND = (0.0 - 0.1307) / 0.3081


@dataclass(frozen=True)
class ShiftCase:
    """A batch (batch, channels, height, width) shifted by up to ``max_shift``; with ``border`` the outer
    ``max_shift`` pixels of every image are ``fill`` (then moving keeps every pixel)."""

    batch: int
    channels: int
    height: int
    width: int
    max_shift: int
    seed: int
    fill: float = 0.0
    border: bool = True
    dtype: torch.dtype = torch.float32
    layout: str = "contiguous"  # "contiguous" | "channels_last" | "transposed" (non-contiguous)

    def __repr__(self) -> str:
        parts = [f"images ({self.batch}, {self.channels}, {self.height}, {self.width}) "
                 f"{str(self.dtype).removeprefix('torch.')}", f"max_shift={self.max_shift}", f"fill={self.fill:.4g}"]
        if self.border:
            parts.append(f"a border of {self.max_shift} fill pixels")
        if self.layout != "contiguous":
            parts.append(f"{self.layout} memory")
        return ", ".join(parts) + f", generator seeded {self.seed + 1}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def images(self) -> torch.Tensor:
        shape = (self.batch, self.channels, self.height, self.width)
        images = tensor(shape, self.seed, self.dtype) + self.fill
        if self.border and self.max_shift:
            inside = torch.zeros(shape, dtype=torch.bool)
            m = self.max_shift
            inside[:, :, m:self.height - m, m:self.width - m] = True
            images = torch.where(inside, images, torch.full_like(images, self.fill))
        if self.layout == "channels_last":
            return images.contiguous(memory_format=torch.channels_last)
        if self.layout == "transposed":
            return images.transpose(2, 3).contiguous().transpose(2, 3)
        return images


@st.composite
def shift_cases(draw: st.DrawFn, *, max_batch: int = 6, max_side: int = 9, border: Sequence[bool] = (True, False),
                fills: Sequence[float] = (0.0, MNIST_BACKGROUND), dtypes: Sequence[torch.dtype] = (torch.float32,),
                layouts: Sequence[str] = ("contiguous",)) -> ShiftCase:
    max_shift = draw(st.integers(0, 3))
    has_border = draw(st.sampled_from(border))
    least = 2 * max_shift + 1 if has_border else 1
    return ShiftCase(batch=draw(st.integers(1, max_batch)), channels=draw(st.integers(1, 3)),
                     height=draw(st.integers(least, max(least, max_side))), width=draw(st.integers(least, max(least, max_side))),
                     max_shift=max_shift, seed=draw(seeds()), fill=draw(st.sampled_from(fills)), border=has_border,
                     dtype=draw(st.sampled_from(dtypes)), layout=draw(st.sampled_from(layouts)))


def translate(images: torch.Tensor, dy: int, dx: int, fill: float) -> torch.Tensor:
    """The contract: ``out[..., y, x] = images[..., y - dy, x - dx]`` where that pixel exists, else ``fill``."""
    height, width = images.shape[-2:]
    out = torch.full_like(images, fill)
    rows = slice(max(dy, 0), min(height, height + dy))
    columns = slice(max(dx, 0), min(width, width + dx))
    source_rows = slice(max(-dy, 0), min(height, height - dy))
    source_columns = slice(max(-dx, 0), min(width, width - dx))
    if rows.start < rows.stop and columns.start < columns.stop:
        out[..., rows, columns] = images[..., source_rows, source_columns]
    return out


def offsets(max_shift: int) -> list[tuple[int, int]]:
    return [(dy, dx) for dy in range(-max_shift, max_shift + 1) for dx in range(-max_shift, max_shift + 1)]


def recover_offsets(images: torch.Tensor, out: torch.Tensor, max_shift: int, fill: float,
                    move: Callable[[torch.Tensor, int, int, float], torch.Tensor] = translate) -> list[tuple[int, int] | None]:
    """For every image, the first offset (dy, dx) within ``max_shift`` whose ``move`` gives ``out[n]``, or None."""
    tol = tolerances.for_dtype(images.dtype)
    found: list[tuple[int, int] | None] = [None] * images.shape[0]
    for dy, dx in offsets(max_shift):
        moved = move(images, dy, dx, fill)
        close = torch.isclose(out.to(images.dtype), moved, rtol=tol.rtol, atol=tol.atol).flatten(1).all(dim=1)
        for index in torch.nonzero(close).flatten().tolist():
            if found[index] is None:
                found[index] = (dy, dx)
    return found


def rolled(images: torch.Tensor, dy: int, dx: int, fill: float) -> torch.Tensor:
    """The wrap-around mistake: the far edge comes back in."""
    return torch.roll(images, (dy, dx), dims=(-2, -1))


# =============================================================================================
# 5. Diagnosis
# =============================================================================================
@dataclass(frozen=True)
class Thresholds:
    """``diagnose``'s thresholds: the defaults of its signature (a kit test checks the reference's)."""

    gap: float = 10.0
    explode: float = 10.0
    rise: float = 0.25
    min_drop: float = 0.10
    low_accuracy: float = 90.0


THRESHOLDS = Thresholds()
DIAGNOSES: tuple[str, ...] = ("overfitting", "underfitting", "lr_too_high", "lr_too_low", "healthy")
#: Made curves stay this far (relative) from every threshold: the rules are graded, not rounding at a boundary.
MARGIN = 0.05


@dataclass(frozen=True)
class Curves:
    """Four curves, one value per epoch, and the diagnosis they were made to show."""

    label: str
    train_losses: tuple[float, ...]
    val_losses: tuple[float, ...]
    train_acc: tuple[float, ...]
    val_acc: tuple[float, ...]
    about: str = ""
    thresholds: Thresholds | None = None  # None: diagnose's defaults (not passed)

    def __repr__(self) -> str:
        def show(values: Sequence[float]) -> str:
            return "[" + ", ".join(f"{value:.4g}" for value in values) + "]"

        text = (f"train_losses={show(self.train_losses)}, val_losses={show(self.val_losses)}, "
                f"train_acc={show(self.train_acc)}, val_acc={show(self.val_acc)}")
        if self.thresholds is not None:
            text += ", " + ", ".join(f"{key}={value:g}" for key, value in self.thresholds.__dict__.items())
        return text + (f" ({self.about})" if self.about else "")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def arguments(self) -> tuple[list[float], list[float], list[float], list[float]]:
        return list(self.train_losses), list(self.val_losses), list(self.train_acc), list(self.val_acc)

    def keywords(self) -> dict[str, float]:
        return {} if self.thresholds is None else dict(self.thresholds.__dict__)


def _ramp(draw: st.DrawFn, epochs: int, last: float) -> tuple[float, ...]:
    """``epochs`` accuracies ending at ``last`` (the rules read only the last)."""
    earlier = [draw(st.floats(0.0, 100.0)) for _ in range(epochs - 1)]
    return tuple(round(value, 2) for value in (*earlier, last))


def _losses(draw: st.DrawFn, epochs: int, first: float, drop: float, wiggle: float = 0.0) -> list[float]:
    """From ``first`` to ``first * (1 - drop)`` in even steps, the inner ones moved by up to ``wiggle`` (relative)."""
    last = first * (1 - drop)
    values = [first + (last - first) * i / (epochs - 1) for i in range(epochs)]
    for i in range(1, epochs - 1):
        values[i] *= 1 + draw(st.floats(-wiggle, wiggle)) if wiggle else 1.0
    return values


def _low_accuracies(draw: st.DrawFn, t: Thresholds) -> tuple[float, float]:
    """Both last accuracies below ``low_accuracy``, within the gap."""
    m = 1 + MARGIN
    train = draw(st.floats(0.0, t.low_accuracy / m))
    return train, min(t.low_accuracy / m, max(0.0, train + draw(st.floats(-t.gap / m, t.gap / m))))


def _distract(draw: st.DrawFn, losses: list[float], kind: str, t: Thresholds) -> str:
    """Put a sign that a later rule reads into ``losses`` (in place): ``explode`` (one loss above it), ``rise``
    (one step up by more than ``rise``), ``flat`` (the last loss equals the first). Returns its description."""
    m = 1 + MARGIN
    if kind == "explode":
        index = draw(st.integers(0, len(losses) - 1))
        losses[index] = draw(st.floats(t.explode * m, t.explode * 1e5))
        return f"a training loss above {t.explode:g} at epoch {index + 1}"
    if kind == "rise":
        step = draw(st.integers(1, len(losses) - 1))
        losses[step] = losses[step - 1] * draw(st.floats((1 + t.rise) * m, 2 + 4 * t.rise))
        return f"the training loss rising more than {100 * t.rise:g} % at epoch {step + 1}"
    if kind == "flat":
        losses[-1] = losses[0]
        return "a training loss that ends where it began"
    return ""


@st.composite
def made_curves(draw: st.DrawFn, label: str | None = None) -> Curves:
    """Curves that show ``label`` (drawn when None) by the rules with the default thresholds, at least MARGIN
    (relative) from each, often with a distraction: a sign a later rule would read, to check the order."""
    t, m = THRESHOLDS, 1 + MARGIN
    label = label or draw(st.sampled_from(DIAGNOSES))
    epochs = draw(st.integers(2, 7))
    top = t.explode / (m * 1.25)  # room for a loss that grows a little (lr_too_low) without exploding
    # Calm curves, which no rule reads: losses that fall by more than min_drop without a rise, accuracies high
    # and within the gap.
    losses = _losses(draw, epochs, draw(st.floats(0.3, top)), draw(st.floats(t.min_drop * m, 0.95)))
    val_losses = [round(draw(st.floats(0.05, 3.0)), 4) for _ in range(epochs)]
    train_last = draw(st.floats(t.low_accuracy * m, 100.0))
    val_last = min(100.0, train_last + draw(st.floats(-t.gap / m, t.gap / m)))
    about = "nothing wrong"
    if label == "healthy" and draw(st.booleans()):
        val_last = draw(st.floats(t.low_accuracy * m, t.low_accuracy / m + t.gap / m))
        train_last = draw(st.floats(val_last - t.gap / m, t.low_accuracy / m))
        about = "only the validation accuracy is high"
    elif label == "overfitting":
        train_last = draw(st.floats(t.gap * m, 100.0))
        val_last = train_last - draw(st.floats(t.gap * m, train_last))
        kind = draw(st.sampled_from(("none", "explode", "rise", "flat")))
        about = ", ".join(filter(None, [f"a gap of {train_last - val_last:.4g} points", _distract(draw, losses, kind, t)]))
    elif label == "lr_too_high":
        kind = draw(st.sampled_from(("nan", "inf", "explode", "rise")))
        if kind in ("nan", "inf"):
            curve = draw(st.sampled_from((losses, val_losses)))
            index = draw(st.integers(0, epochs - 1))
            curve[index] = math.nan if kind == "nan" else math.inf
            about = f"a {kind} {'training' if curve is losses else 'validation'} loss at epoch {index + 1}"
            if draw(st.booleans()):  # a gap too: the non-finite loss comes first
                train_last, val_last = 100.0, 100.0 - t.gap * m - 5
                about += ", and an accuracy gap"
        else:
            if draw(st.booleans()):  # a flat loss and low accuracies too: this rule comes before both
                losses = _losses(draw, epochs, draw(st.floats(0.3, top)), draw(st.floats(-t.min_drop, t.min_drop / m)))
                train_last, val_last = _low_accuracies(draw, t)
            about = _distract(draw, losses, kind, t)
    elif label == "lr_too_low":
        drop = draw(st.floats(-t.min_drop, t.min_drop / m))
        losses = _losses(draw, epochs, draw(st.floats(0.3, top)), drop, wiggle=0.02)
        about = f"the training loss fell by {100 * drop:.3g} % of its first value"
        if draw(st.booleans()):  # low accuracies too: this rule comes before underfitting
            train_last, val_last = _low_accuracies(draw, t)
            about += ", and low accuracies"
    elif label == "underfitting":
        train_last, val_last = _low_accuracies(draw, t)
        about = "both accuracies low"
    return Curves(label, tuple(round(v, 6) if math.isfinite(v) else v for v in losses), tuple(val_losses),
                  _ramp(draw, epochs, round(train_last, 2)), _ramp(draw, epochs, round(val_last, 2)), about)


@st.composite
def random_curves(draw: st.DrawFn) -> Curves:
    """Curves of any kind (random walks from a seed, sometimes a NaN or a burst) and random thresholds; no label:
    the reference is the oracle. Values come from a generator, so none sits exactly on a threshold."""
    generator = torch.Generator().manual_seed(draw(seeds()))
    epochs = draw(st.integers(2, 10))

    def uniform(low: float, high: float, count: int = 1) -> list[float]:
        return (low + (high - low) * torch.rand(count, generator=generator, dtype=torch.float64)).tolist()

    start = uniform(0.2, 3.0)[0]
    factors = uniform(0.5, 1.4, epochs - 1)
    train_losses = [start]
    for factor in factors:
        train_losses.append(train_losses[-1] * factor)
    if draw(st.booleans()):
        train_losses[draw(st.integers(0, epochs - 1))] *= uniform(2.0, 1e4)[0]
    val_losses = uniform(0.05, 5.0, epochs)
    if draw(st.integers(0, 9)) == 0:
        (train_losses if draw(st.booleans()) else val_losses)[draw(st.integers(0, epochs - 1))] = math.nan
    train_acc, val_acc = uniform(0.0, 100.0, epochs), uniform(0.0, 100.0, epochs)
    thresholds = Thresholds(*uniform(2.0, 40.0), *uniform(2.0, 50.0), *uniform(0.05, 1.0), *uniform(0.01, 0.6),
                            *uniform(40.0, 99.0))
    return Curves("", tuple(train_losses), tuple(val_losses), tuple(train_acc), tuple(val_acc), "random curves",
                  thresholds)


#: The recorded runs (``scripts/record_diagnosis_curves.py``).
RECORDED_PATH = paths.DATASETS_DIR / "diagnosis_curves.json"


@cache
def recorded_runs() -> tuple[tuple[str, Curves], ...]:
    """``(name, curves)`` of every run in ``datasets/diagnosis_curves.json``, labelled with the problem it shows."""
    document = json.loads(RECORDED_PATH.read_text())
    runs = []
    for run in document["runs"]:
        about = f"{run['model']}, {run['change']}, {run['epochs']} epochs on the MNIST sample"
        runs.append((run["name"], Curves(run["label"], tuple(run["train_losses"]), tuple(run["val_losses"]),
                                         tuple(run["train_acc"]), tuple(run["val_acc"]), about)))
    return tuple(runs)
