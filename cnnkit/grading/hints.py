"""Hints: what the feedback says about a failure, at the level the instructor chooses.

A check that fails names itself (``CheckFailure.check``: ``"shape"``, ``"values"``, ...) and, when
the wrong answer matches a known mistake, that mistake (``CheckFailure.mistake``, a ``Mistake``
id). The hint is looked up by those ids, never by words of the message: first the exercise's own
hints (``HINTS`` in ``cnnkit/curriculum/<module>.py``, declared once, next to the exercise's
other kit code), then the kit-wide ones below, which fit a check whatever the exercise.

Every hint has two forms:

* ``concept``: what is wrong and which idea of the lesson to revisit, without code;
* ``method``: the technique (``cut the windows with unfold``), still never a line of a solution
  (``tests/test_hints.py`` checks every hint against the solutions).

Levels (``--hints`` of ``cnnkit grade``, ``--cnnkit-hints`` of the graders, ``SandboxGrades.hints``
for nbgrader): ``none`` (no hints), ``concept`` (the default) and ``method`` (both forms).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

LEVELS = ("none", "concept", "method")
DEFAULT_LEVEL = "concept"


@dataclass(frozen=True)
class HintText:
    """One hint in its two forms (see the module docstring)."""

    concept: str
    method: str = ""

    def at(self, level: str) -> str:
        """The text shown at ``level`` ("" for ``none``)."""
        if level == "none":
            return ""
        if level == "method" and self.method:
            return f"{self.concept.rstrip('. ')}. How: {self.method}"  # the concept reads as a sentence of its own
        return self.concept


#: Hints for checks every exercise has (the exercise's own hints come first).
GENERIC: Mapping[str, HintText] = {
    "numpy": HintText("the result must be a torch tensor: numpy arrays carry no autograd graph and no device",
                      "stay in torch operations throughout (torch.from_numpy converts, if you must)"),
    "type": HintText("return exactly the type the contract names: the docstring gives it"),
    "dtype": HintText("keep the input's dtype: a tensor created inside your function gets torch's default dtype",
                      "create new tensors with the input's dtype (the dtype= argument, or *_like functions)"),
    "device": HintText("keep the result on the input's device: create new tensors where the input lives",
                       "pass device= (or use the *_like functions) when you create tensors"),
    "int_from_float": HintText("the answer is a whole number, rounded down: true division gives a float",
                               "use floor division (//), which keeps ints as ints"),
    "float_type": HintText("return a plain Python number, not a tensor", "a 0-d tensor becomes a float with .item()"),
    "nonfinite": HintText("inf or NaN where the expected values are finite: an overflow (exp of a large number), a "
                          "division by zero or the log of 0",
                          "look at each exp, log and division of your code; where the formula allows it, exponentiate "
                          "only numbers <= 0 (subtract the maximum first)"),
    "missing": HintText("no value came back: a function that ends without a return statement gives None; for a "
                        "gradient, autograd never reached that input (a value taken out of the graph cuts it)",
                        "return the result; compute it from the inputs with torch operations (no .item(), .detach(), "
                        "or torch.tensor of computed numbers in between)"),
    "mutated": HintText("an input was changed in place: the caller's tensor must stay as it was",
                        "compute into a new tensor (out-of-place operations) instead of writing into an argument"),
    "no_graph": HintText("autograd needs a graph from the inputs to the output: numbers taken out of tensors "
                         "(.item(), .numpy(), torch.tensor of computed values) cut it",
                         "build the result from torch operations on the inputs (indexing, padding, unfold, "
                         "einsum, matmul, stack)"),
}


@cache
def exercise_hints(module: str) -> Mapping[str, HintText]:
    """The exercise's own hints: ``HINTS`` of ``cnnkit.curriculum.<module>`` ({} when it has none)."""
    try:
        support = importlib.import_module(f"cnnkit.curriculum.{module}")
    except ModuleNotFoundError:
        return {}
    return getattr(support, "HINTS", {})


def hint_for(module: str, check: str, mistake: str, level: str = DEFAULT_LEVEL) -> str:
    """The hint for a failure of exercise ``module`` (the mistake's first, then the check's); "" when none."""
    if level == "none":
        return ""
    own = exercise_hints(module)
    for key, table in ((mistake, own), (check, own), (check, GENERIC)):
        if key and key in table:
            return table[key].at(level)
    return ""


def all_hints() -> dict[str, Mapping[str, HintText]]:
    """Every exercise's hints and the kit-wide ones (``"*"``): what the hint tests read."""
    from cnnkit import spec

    return {"*": GENERIC, **{exercise.module: exercise_hints(exercise.module) for exercise in spec.EXERCISES}}
