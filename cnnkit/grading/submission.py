"""The grader's view of a student's exercise module.

``sub.conv2d(x, w)`` looks like a local call, but runs in the exercise's sandbox worker (see
``cnnkit.sandbox``) and returns plain data. A function that modifies one of its tensor inputs
in place fails the check right there, with the argument's name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cnnkit import spec
from cnnkit.grading.checks import fail
from cnnkit.sandbox import Sandbox


class Submission:
    """Proxy for one exercise module of one submission."""

    def __init__(self, module: str, sandbox: Sandbox | Callable[[], Sandbox]) -> None:
        """``sandbox``: the exercise's sandbox, or a function returning the one in use (looked up per call)."""
        self.module = module
        self.exercise = spec.exercise(module)
        self._sandbox = sandbox

    @property
    def sandbox(self) -> Sandbox:
        return self._sandbox if isinstance(self._sandbox, Sandbox) else self._sandbox()

    def __repr__(self) -> str:  # shown in Hypothesis's "Falsifying example" lines
        return f"<submission {self.module}>"

    def op(self, name: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> tuple[Any, dict]:
        """Run worker operation ``name`` (see ``cnnkit.sandbox.ops``); returns ``(value, extra)``."""
        limit = self.exercise.call_timeout if timeout is None else timeout
        return self.sandbox.request(name, *args, timeout=limit, **kwargs)

    def call(self, function: str, *args: Any, **kwargs: Any) -> Any:
        """``student.function(*args, **kwargs)``; fails if it changed a tensor argument in place."""
        value, extra = self.op("call", function, *args, **kwargs)
        self._check_not_mutated(function, extra)
        return value

    def call_with_grad(self, function: str, grad_output: Any, *args: Any, **kwargs: Any) -> tuple[Any, dict]:
        """Forward + backward in the worker; returns ``(output, grads by argument name)``."""
        value, extra = self.op("call_with_grad", function, grad_output, *args, **kwargs)
        if extra.get("grad_error"):
            fail(f"{self.module}.{function} backward", str(extra["grad_error"]), check="no_graph")
        return value, extra.get("grads", {})  # no gradients when the output's shape is wrong: its check says so

    def _check_not_mutated(self, function: str, extra: dict) -> None:
        mutated = extra.get("mutated") or []
        if mutated:
            fail(f"{self.module}.{function}", f"modified its input {', '.join(map(repr, mutated))} in place",
                 check="mutated")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)
