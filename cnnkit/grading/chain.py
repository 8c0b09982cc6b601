"""Each mistake charged once: does an exercise also work with the student's own earlier modules?

Where the reference solutions are (instructors, Gradescope, nbgrader), an exercise that builds on
earlier ones (``spec.Exercise.depends_on``, ``builds_on == "reference"``) is graded with the
reference versions of those: its points measure its own code. This module adds one unscored line:
the worker operation its spec entry names as ``chain_check`` (in its curriculum module; seeded and
self-contained) is run once with the reference modules and once with the student's own; when the
two disagree, it is run once more per earlier module with only that one the student's, which names
the modules that break the chain.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch

from cnnkit import spec
from cnnkit.sandbox import StudentError

if TYPE_CHECKING:
    from cnnkit.sandbox import Sandbox

RTOL, ATOL = 1e-4, 1e-6


def seeded_weights(model: torch.nn.Module, scale: float = 0.05) -> torch.nn.Module:
    """Fill every parameter from a seed of its *name* (not of the order layers were built in), so the
    student's model and the reference one get the same weights whenever their parameters are named alike."""
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            generator = torch.Generator().manual_seed(zlib.crc32(name.encode()))
            parameter.copy_(torch.randn(parameter.shape, generator=generator, dtype=torch.float64) * scale)
    return model


def same(a: Any, b: Any) -> bool:
    """Whether two chain-check results agree: tensors and numbers within tolerance, the rest equal."""
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return a.shape == b.shape and bool(torch.allclose(a.double(), b.double(), rtol=RTOL, atol=ATOL,
                                                          equal_nan=True))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=RTOL, abs_tol=ATOL) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[key], b[key]) for key in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _outcome(sandbox: Sandbox) -> tuple[bool, Any]:
    """(ran, value or the failure's message) of the exercise's chain check in ``sandbox``."""
    exercise = spec.exercise(sandbox.module)
    try:
        return True, sandbox.request(exercise.chain_check, timeout=exercise.call_timeout)
    except StudentError as failure:
        return False, str(failure).splitlines()[0]


def check_chain(module: str, scored: Sandbox, given: dict[str, str],
                sandbox_with: Callable[[dict[str, str]], Sandbox]) -> dict[str, Any] | None:
    """The chain line of ``module``: ``{"works": bool, "modules": [...], "detail": str}``; None when it cannot
    be told (the exercise's own code fails its check with the reference modules too).

    ``scored``: the exercise's sandbox, whose earlier modules were ``given`` (the reference versions);
    ``sandbox_with(given)``: a new sandbox of the exercise with those modules given instead.
    """
    ran, expected = _outcome(scored)
    if not ran:
        return None

    def agrees(own: list[str]) -> tuple[bool, str]:
        sandbox = sandbox_with({name: source for name, source in given.items() if name not in own})
        try:
            ran, value = _outcome(sandbox)
        finally:
            sandbox.close()
        if not ran:
            return False, value
        return same(value, expected), "it computes different results"

    works, detail = agrees(list(given))
    if works:
        return {"works": True, "modules": [], "detail": ""}
    culprits = [name for name in given if not agrees([name])[0]]
    return {"works": False, "modules": culprits, "detail": detail}
