"""Operations the worker performs on a student module.

Each operation is trusted kit code that runs *in the worker*: it calls into the student's
module while ``detector`` (the forbidden-API detector, a ``TorchFunctionMode``) is active, and
returns ``(value, extra)``: the value to check and a dict of extra facts (e.g. which inputs the
student modified in place). Graders invoke them through ``Submission.op(name, ...)``.

Operations:

* ``call``, ``call_with_grad``: a student function on plain data (exercises 1-6).

Operations that belong to one exercise live with it, in the kit modules its spec entry names
(``Exercise.support``, e.g. ``cnnkit.curriculum.ex7_models``: build and run the student's
``nn.Module`` classes; ``cnnkit.curriculum.ex8_training``: run the student's loops with spies).
They register with the same ``@op``; this module imports them all, so the worker knows every
operation the graders may ask for.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

import torch

from cnnkit import spec
from cnnkit.sandbox.wire import GeneratorSeed

Operation = Callable[..., tuple[Any, dict[str, Any]]]


class Registry(dict):
    """Operation name -> operation. A name not registered yet loads the exercises' support modules
    first (lazily: they import grading helpers that themselves import this package)."""

    def __missing__(self, name: str) -> Operation:
        _import_exercise_operations()
        if name in self:
            return self[name]
        raise KeyError(f"no worker operation {name!r}; known: {', '.join(sorted(self))}")


OPS: Registry = Registry()


#: In ``op(calls=...)``: the operation calls the student function its first argument names.
NAMED_BY_FIRST_ARGUMENT = "<the function named by the first argument>"
Calls = tuple[str, ...] | Callable[[tuple], list[str]]


def op(function: Operation | None = None, *, calls: Calls = (NAMED_BY_FIRST_ARGUMENT,)) -> Any:
    """Register an operation under its own name (``@op`` or ``@op(calls=...)``).

    ``calls``: the student functions it calls, which the timeout memory of the trusted side needs
    to know (a function that hung is not waited on again): names, ``NAMED_BY_FIRST_ARGUMENT``, or
    a function of the request's arguments that returns the names.
    """

    def register(operation: Operation) -> Operation:
        operation.calls = calls  # type: ignore[attr-defined]
        OPS[operation.__name__] = operation
        return operation

    return register(function) if function is not None else register


def functions_called(name: str, args: tuple) -> list[str]:
    """The student functions operation ``name`` calls with ``args`` (its declared ``calls``)."""
    try:
        calls = OPS[name].calls
    except (KeyError, AttributeError):
        return []
    if callable(calls):
        return list(calls(args))
    first = args[0] if args and isinstance(args[0], str) else ""
    return [first if name_ == NAMED_BY_FIRST_ARGUMENT else name_ for name_ in calls
            if name_ != NAMED_BY_FIRST_ARGUMENT or first]  # fmt: skip


def materialize(value: Any) -> Any:
    """Turn wire placeholders (``GeneratorSeed``) into the objects the student expects."""
    if isinstance(value, GeneratorSeed):
        return torch.Generator().manual_seed(value.seed)
    if isinstance(value, (list, tuple)):
        return type(value)(materialize(item) for item in value)
    if isinstance(value, dict):
        return {key: materialize(item) for key, item in value.items()}
    return value


def _argument_names(function: Callable, args: tuple, kwargs: dict) -> dict[str, Any]:
    """Map every argument to the name it has in the student's signature (fallback: arg0...)."""
    try:
        bound = inspect.signature(function).bind_partial(*args, **kwargs)
        return dict(bound.arguments)
    except (TypeError, ValueError):
        named = {f"arg{index}": value for index, value in enumerate(args)}
        named.update(kwargs)
        return named


def _snapshot(arguments: dict[str, Any]) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in arguments.items() if isinstance(value, torch.Tensor)}


def _mutated(arguments: dict[str, Any], before: dict[str, torch.Tensor]) -> list[str]:
    changed = []
    for name, original in before.items():
        now = arguments[name]
        same = now.shape == original.shape and torch.equal(
            torch.nan_to_num(now.detach(), nan=0.0), torch.nan_to_num(original, nan=0.0)
        )
        if not same:
            changed.append(name)
    return changed


def student_attribute(student: Any, name: str) -> Callable:
    function = getattr(student, name, None)
    if function is None:
        raise AttributeError(f"{student.__name__}.py defines no {name!r}")
    return function


@op
def call(student: Any, detector: Any, name: str, *args: Any, **kwargs: Any) -> tuple[Any, dict]:
    """``student.name(*args, **kwargs)``; extra ``mutated``: the tensor arguments it changed in place."""
    function = student_attribute(student, name)
    args, kwargs = materialize(args), materialize(kwargs)
    arguments = _argument_names(function, args, kwargs)
    before = _snapshot(arguments)
    with detector:
        value = function(*args, **kwargs)
    return value, {"mutated": _mutated(arguments, before)}


@op
def call_with_grad(
    student: Any, detector: Any, name: str, grad_output: torch.Tensor, *args: Any, **kwargs: Any
) -> tuple[Any, dict]:
    """Run ``student.name`` forward, then backward with ``grad_output``.

    Tensor arguments that arrive with ``requires_grad=True`` get gradients. Extra ``grads``: a
    dict argument-name -> gradient (None when none reached it); ``grad_error``: why no backward
    pass was possible (the output is not a tensor attached to the inputs' graph).
    """
    function = student_attribute(student, name)
    args, kwargs = materialize(args), materialize(kwargs)
    arguments = _argument_names(function, args, kwargs)
    with detector:
        value = function(*args, **kwargs)
        if not isinstance(value, torch.Tensor) or not value.requires_grad:
            return value, {"grads": {}, "grad_error": "the output is not connected to the inputs by autograd "
                           "(did you use .detach(), .item(), .numpy() or torch.tensor(...) on intermediate values?)"}
        if value.shape != grad_output.shape:  # the grader's check of the output explains the shape
            return value.detach(), {"grads": {}, "wrong_shape": True}
        value.backward(grad_output)
    grads = {
        name: (tensor.grad.detach().clone() if tensor.grad is not None else None)
        for name, tensor in arguments.items()
        if isinstance(tensor, torch.Tensor) and tensor.requires_grad
    }
    return value.detach(), {"grads": grads}


def _import_exercise_operations() -> None:
    """Import every kit module an exercise's spec entry declares: their ``@op`` functions register here."""
    for exercise in spec.EXERCISES:
        for module in exercise.support:
            importlib.import_module(module)


def __getattr__(name: str) -> Any:
    """Graders written for 0.1 imported exercise helpers (``LoopSetup``, ``load_by_position``) from here."""
    if name.startswith("__"):  # the import system's probes (``__path__``): not a helper
        raise AttributeError(name)
    for exercise in spec.EXERCISES:
        for module in exercise.support:
            if hasattr(support := importlib.import_module(module), name):
                return getattr(support, name)
    raise AttributeError(f"module 'cnnkit.sandbox.ops' has no attribute {name!r}")
