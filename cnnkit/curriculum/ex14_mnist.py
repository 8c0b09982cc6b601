"""Checks shared by the public and hidden graders of exercise 14 (``compare_models``).

They judge the *shape* of the results and what must hold exactly (parameter counts), never an
exact accuracy: training on the embedded sample is noisy, so accuracy only has to clear a
generous bar well above chance (10 %).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from cnnkit import spec
from cnnkit.grading.checks import check_int, fail
from cnnkit.sandbox.wire import Foreign

WHAT = "ex14_mnist.compare_models"
#: Exact trainable parameter counts of the three ex7 models (declared in exercise 7's spec entry).
PARAMETERS = spec.exercise("ex7_models").parameter_counts
#: An untrained 10-class model's cross-entropy is near ln 10 = 2.30; one that learned is far below this.
UNTRAINED_LOSS = 2.0
RESULT_KEYS = ("parameters", "test_accuracy", "train_seconds", "epoch_losses", "model")


def zeroed_model(model: nn.Module) -> nn.Module:
    """A ``prepare_model`` for the graders: every weight and bias 0, so a ReLU net cannot learn
    (no hidden unit ever activates; only the output bias moves), leaving accuracy near chance."""
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
    return model


def frozen_optimizer(parameters: Iterator[nn.Parameter], learning_rate: float) -> torch.optim.Optimizer:
    """A ``make_optimizer`` for the graders: SGD with learning rate 0, so the weights never move."""
    return torch.optim.SGD(parameters, lr=0.0)


def check_structure(results: Any, names: tuple[str, ...], epochs: int, case: str) -> None:
    """``results`` maps exactly ``names`` (in order) to dicts with the five keys, of the right types."""
    if not isinstance(results, dict):
        fail(WHAT, f"returned {type(results).__name__}; expected a dict keyed by model name", case)
    if tuple(results) != names:
        fail(WHAT, f"returned keys {list(results)}; expected {list(names)} (the model_names given, in order)", case)
    for name in names:
        entry = results[name]
        if not isinstance(entry, dict):
            fail(WHAT, f"results[{name!r}] is {type(entry).__name__}; expected a dict", case)
        missing = [key for key in RESULT_KEYS if key not in entry]
        if missing:
            fail(WHAT, f"results[{name!r}] lacks {missing}; expected the keys {list(RESULT_KEYS)}", case)
        check_number(entry["test_accuracy"], f"results[{name!r}]['test_accuracy']", case, 0.0, 100.0,
                     "evaluate_model returns percent (0 to 100)")
        check_number(entry["train_seconds"], f"results[{name!r}]['train_seconds']", case, 0.0, math.inf,
                     "time train_model with time.perf_counter() before and after")
        if entry["train_seconds"] <= 0:
            fail(WHAT, f"results[{name!r}]['train_seconds'] is {entry['train_seconds']}; training takes time", case)
        losses = entry["epoch_losses"]
        if not isinstance(losses, list) or len(losses) != epochs:
            fail(WHAT, f"results[{name!r}]['epoch_losses'] is {_describe(losses)}; expected a list of "
                 f"{epochs} floats (what train_model returns)", case)
        for loss in losses:
            check_number(loss, f"results[{name!r}]['epoch_losses']", case, 0.0, math.inf)
        model = entry["model"]
        if not (isinstance(model, Foreign) and model.type_name.split(".")[-1] == name):
            fail(WHAT, f"results[{name!r}]['model'] is {_describe(model)}; expected the trained {name}", case)


def check_parameters(results: dict, name: str, case: str) -> None:
    got = results[name]["parameters"]
    check_int(got, PARAMETERS[name], what=f"{WHAT}: results[{name!r}]['parameters']", case=case)


def check_learns(results: dict, name: str, least_accuracy: float, case: str) -> None:
    """The model beat ``least_accuracy`` percent and its loss went down over the epochs."""
    entry = results[name]
    if entry["test_accuracy"] < least_accuracy:
        fail(WHAT, f"{name} reached {entry['test_accuracy']:.1f}% test accuracy; expected at least "
             f"{least_accuracy:.0f}% (chance is 10%)", case,
             "is every model trained with Adam on its own parameters, and evaluated after training?")
    losses = entry["epoch_losses"]
    if len(losses) > 1 and not losses[-1] < losses[0]:
        fail(WHAT, f"{name}'s epoch losses did not go down: {[round(x, 4) for x in losses]}", case)


def check_number(value: Any, what: str, case: str, low: float, high: float, hint: str | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        fail(WHAT, f"{what} is {_describe(value)}; expected a float", case, "use .item() or float(...) on tensors")
    if not low <= value <= high:
        fail(WHAT, f"{what} is {value}; expected a number from {low} to {high}", case, hint)


def _describe(value: Any) -> str:
    if isinstance(value, Foreign):
        return value.describe()
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"
