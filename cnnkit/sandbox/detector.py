"""The run-time exercise-rules detector: two layers active while student code runs in the worker.

* ``ForbiddenDetector``, a ``TorchFunctionMode``: every torch function the student's code calls,
  by its Python name (``conv2d``, ``Tensor.backward``, ``torch.autograd.grad``). Where the exercise
  forbids autograd it also refuses recording a graph, forward-mode AD (``_make_dual``) and
  torch.func's transforms.
* ``OperatorWatch``, a ``TorchDispatchMode`` (pushed for exercises that forbid something): every
  aten operator that runs, whatever Python reached it (TorchScript, a custom operator's kernel,
  ``F.interpolate(mode="area")``, a torch function called with the function layer switched off).
  Operators outside aten, prims and the profiler are custom operators and refused.

Forbidden calls are honest slips (status ``forbidden``); signs that the detector was switched off,
patched or retargeted are ``tampering`` (status ``flagged``). The rules and the identity of
everything the detector relies on are captured when this module is imported, before any student
code is, and checked after every call (each layer checks the other at each call; the worker checks
everything before and after each request, ``integrity_problems``). The detector lives in the
student's own process, so it is a detector, not a guarantee: code that switches both layers off
between two torch calls leaves no trace here. The source check (``cnnkit.grading.rules``) refuses
every way to reach those switches before any student code runs; docs/security-model.md says
what each layer promises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType, MethodWrapperType
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from cnnkit import spec

#: Operator namespaces honest code runs (``profiler``: optimizers record their steps); any other is a custom operator.
TRUSTED_NAMESPACES = frozenset({"aten", "prims", "profiler"})
_PYTHON_KEY = torch._C.DispatchKey.Python
#: At most this many torch functions are remembered as cleared (a property's getter, ``Tensor.T.__get__``, is a
#: new object at every access: never remembered, judged at each call as the rest would be past this bound).
MAX_CLEARED = 4096


class ForbiddenAPIError(RuntimeError):
    """Raised inside student code when it calls a forbidden torch API."""


class TamperingError(RuntimeError):
    """Raised inside student code when the detector finds itself switched off or an operator it cannot follow."""


@dataclass(frozen=True)
class ExerciseRules:
    """What the detector enforces for one exercise, copied from its spec entry at import."""

    module: str
    forbidden: tuple[str, ...]
    names: frozenset[str]
    aliases: Mapping[str, str]
    no_autograd: bool

    @classmethod
    def of(cls, exercise: spec.Exercise) -> ExerciseRules:
        return cls(exercise.module, tuple(exercise.forbidden), frozenset(exercise.forbidden_names),
                   MappingProxyType(dict(exercise.aliases)), spec.forbids_autograd(exercise.module))

    @property
    def watches_operators(self) -> bool:
        """Whether the operator layer is needed: the exercise forbids something."""
        return bool(self.forbidden or self.names or self.aliases)

    def pattern(self, name: str) -> str | None:
        """The rule that forbids an operation named ``name`` (as ``spec.forbidden_pattern``), or None."""
        try:
            return _VERDICTS[self.module, name]
        except KeyError:
            verdict = _VERDICTS[self.module, name] = self._match(name)
            return verdict

    def _match(self, name: str) -> str | None:
        return _MATCH(name, self.forbidden, self.names, self.aliases)

    def explain(self, pattern: str) -> str:
        """What a forbidden alias computes (`` (a sigmoid ...)``), for the feedback; "" for plain names."""
        return f" ({self.aliases[pattern]})" if pattern in self.aliases else ""


_MATCH = spec.match_forbidden  # captured with the rules: replacing the spec's afterwards changes nothing here
#: (exercise, operation name) -> the pattern forbidding it or None: every call asks, few names recur.
_VERDICTS: dict[tuple[str, str], str | None] = {}

#: Every exercise's rules, captured before any student code is imported (the worker imports this module).
RULES: Mapping[str, ExerciseRules] = MappingProxyType({e.module: ExerciseRules.of(e) for e in spec.EXERCISES})


def _trusted_objects() -> dict[str, Any]:
    """The objects the detector relies on, by name: compared by identity after every call."""
    return {
        "cnnkit.spec.is_forbidden": spec.is_forbidden,
        "cnnkit.spec.forbidden_pattern": spec.forbidden_pattern,
        "cnnkit.spec.match_forbidden": spec.match_forbidden,
        "cnnkit.spec.forbids_autograd": spec.forbids_autograd,
        "cnnkit.spec.BY_MODULE": spec.BY_MODULE,
        "cnnkit.sandbox.detector.RULES": RULES,
        **{f"ForbiddenDetector.{name}": ForbiddenDetector.__dict__.get(name)
           for name in ("__torch_function__", "__enter__", "__exit__")},
        **{f"OperatorWatch.{name}": OperatorWatch.__dict__.get(name) for name in ("__torch_dispatch__",)},
        **{f"TorchFunctionMode.{name}": TorchFunctionMode.__dict__.get(name) for name in ("__enter__", "__exit__")},
        **{f"TorchDispatchMode.{name}": TorchDispatchMode.__dict__.get(name) for name in ("__enter__", "__exit__")},
        **{f"torch._C.{name}": getattr(torch._C, name, None) for name in (
            "_len_torch_function_stack", "_get_function_stack_at", "_len_torch_dispatch_stack",
            "_get_dispatch_stack_at", "_is_torch_function_all_disabled", "_dispatch_tls_is_dispatch_key_excluded",
            "_peek_should_skip_torch_function")},
    }  # fmt: skip


def _tensors(value: Any) -> list[torch.Tensor]:
    """The tensors in ``value``: itself, or the items of a list or tuple (a torch call's arguments or result)."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [item for item in value if isinstance(item, torch.Tensor)]
    return []


#: The tensors a torch call receives, by ``id``: (the tensor, its ``grad_fn`` before the call).
Histories = dict[int, tuple[torch.Tensor, Any]]


def input_histories(args: tuple, kwargs: Mapping[str, Any] | None) -> Histories:
    """Every tensor among a call's arguments, with the autograd history (``grad_fn``) it has before the call."""
    received = [tensor for value in (*args, *(kwargs or {}).values()) for tensor in _tensors(value)]
    return {id(tensor): (tensor, tensor.grad_fn) for tensor in received}


def returns_an_input(result: torch.Tensor, histories: Histories) -> bool:
    """Whether ``result`` is one of the tensors the call received, the very object, with its history unchanged.

    ``x.contiguous()`` on a contiguous ``x``, ``x.to(x.dtype)``, ``x.double()`` on float64, ``x.cpu()``
    on the CPU and ``x.type_as(y)`` of the same dtype return ``x`` itself: they record nothing, even
    when ``x`` carries the forward pass's ``grad_fn``. An in-place operation under ``enable_grad``
    returns its input too, but with a new ``grad_fn``: that one recorded a graph.
    """
    received = histories.get(id(result))
    return received is not None and received[0] is result and result.grad_fn is received[1]


def records_a_graph(result: Any, histories: Histories) -> bool:
    """Whether a torch call recorded an autograd graph: a tensor it returned has a ``grad_fn`` it did not receive.

    Where autograd is forbidden this is refused too (the run-time detector, and exercise 13's ``BackwardGuard``
    inside the student's backward methods): the engine and a graph node called directly are no torch functions,
    but every graph they could run was recorded by torch calls."""
    return any(tensor.grad_fn is not None and not returns_an_input(tensor, histories) for tensor in _tensors(result))


def _function_name(func: Any) -> str:
    name = getattr(func, "__name__", "") or str(func)
    if name == "__get__":  # a property such as Tensor.T
        return f"Tensor.{getattr(getattr(func, '__self__', None), '__name__', 'attribute')}"
    return name


def _qualified(func: Any, name: str) -> str:
    module = getattr(func, "__module__", None) or "torch"
    qualified = f"{module}.{name}".replace("torch._C._nn", "torch.nn.functional")
    return qualified.replace("torch._C._special", "torch.special")


class OperatorWatch(TorchDispatchMode):
    """The aten layer: every operator that runs while the student's code runs, whatever reached it."""

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        """No: torch would wrap ``__torch_dispatch__`` to keep its compiler out, importing torch._dynamo (~3 s)
        at the first operator of every worker; nothing here is compiled."""
        return False

    def __init__(self, detector: ForbiddenDetector) -> None:
        super().__init__()
        self.detector = detector
        self.handling = 0  # > 0 while this mode runs an operator (and the dispatch stack is one shorter)
        self.index = -1  # where this mode sits on the dispatch stack while active
        self.cleared: set[Any] = set()  # operators judged allowed (aten, not forbidden): only the layers are checked

    def in_place(self) -> bool:
        """Whether this layer is on its stack and not switched off (always true while it handles an operator)."""
        if self.handling:
            return True
        return (not torch._C._dispatch_tls_is_dispatch_key_excluded(_PYTHON_KEY)
                and torch._C._len_torch_dispatch_stack() > self.index >= 0
                and torch._C._get_dispatch_stack_at(self.index) is self)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func in self.cleared:
            self.detector.check_function_layer()
        else:
            self.judge(func)
        self.handling += 1
        try:
            return func(*args, **(kwargs or {}))
        finally:
            self.handling -= 1

    def judge(self, func: Any) -> None:
        """An operator seen for the first time: refused when forbidden or custom, else cleared for later calls."""
        detector = self.detector
        name = getattr(func, "_opname", None) or str(func)
        pattern = detector.rules.pattern(name)
        if pattern is not None:  # recorded first: with the function layer switched off, both are reported
            detector.calls.append(f"aten.{name} (the operator under a torch call{detector.rules.explain(pattern)})")
        detector.check_function_layer()
        detector.check_namespace(func, name)
        if pattern is not None:
            raise ForbiddenAPIError(f"aten.{name} is forbidden in {detector.module}")
        self.cleared.add(func)


class ForbiddenDetector(TorchFunctionMode):
    """Records (and refuses) every torch function call whose name the exercise forbids.

    ``calls``: the forbidden calls (honest slips); ``tampering``: signs the detector was switched off,
    patched or retargeted, and custom operators. ``with detector:`` activates both layers.
    """

    def __init__(self, module: str) -> None:
        super().__init__()
        self.module = module
        self.rules = RULES[module]
        self.calls: list[str] = []
        self.tampering: list[str] = []
        self.handling = 0  # > 0 while this mode runs a torch function (and the function stack is one shorter)
        self.index = -1  # where this mode sits on the function stack while active
        self.watch = OperatorWatch(self) if self.rules.watches_operators else None
        self._sealed = (module, self.rules)  # what ``retargeted`` compares with
        #: torch functions judged allowed (name, namespace), by identity (no ``__eq__`` or ``__hash__`` of theirs is
        #: asked): at their next calls only the layers are checked
        self.cleared: dict[int, Any] = {}

    # -- what each layer reports --------------------------------------------------------------
    def forbid(self, call: str) -> None:
        self.calls.append(call)
        raise ForbiddenAPIError(f"{call} is forbidden in {self.module}")

    def tamper(self, what: str) -> None:
        self.tampering.append(what)
        raise TamperingError(f"{what}: flagged for review in {self.module}")

    def retargeted(self) -> bool:
        return self._sealed != (self.module, self.rules) or self.rules is not RULES.get(self._sealed[0])

    # -- each layer checks the other ----------------------------------------------------------
    def in_place(self) -> bool:
        """Whether the function layer is on its stack and not switched off (always true while it handles a call)."""
        if self.handling:
            return True
        return (not torch._C._is_torch_function_all_disabled()
                and torch._C._len_torch_function_stack() > self.index >= 0
                and torch._C._get_function_stack_at(self.index) is self)

    def check_function_layer(self) -> None:
        """Called by the operator layer at each operator: the function layer must be in place."""
        if not self.in_place():
            self.tamper("torch calls made with the rules' detector removed from torch's mode stack or disabled")
        if self.retargeted():
            self.tamper("the rules' detector retargeted to another exercise")

    def check_namespace(self, func: Any, name: str) -> None:
        """Operators outside aten/prims/profiler are custom operators: kernels the rules cannot follow."""
        if not isinstance(func, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)):
            return
        namespace = getattr(func, "_qualified_op_name", "").split("::")[0] or getattr(func, "namespace", None)
        if namespace not in TRUSTED_NAMESPACES:
            self.tamper(f"a custom operator {namespace}::{name.split('.')[0]} (torch.library), whose kernel the rules "
                        "cannot follow")

    def check_operator_layer(self) -> None:
        """Called by the function layer at each call: the operator layer must be in place."""
        if self.watch is not None and not self.watch.in_place():
            self.tamper("torch calls made with the rules' operator watch removed from torch's dispatch stack "
                        "or disabled")
        if self.retargeted():
            self.tamper("the rules' detector retargeted to another exercise")

    # -- the function layer -------------------------------------------------------------------
    def __torch_function__(self, func, types, args=(), kwargs=None):
        if self.watch is not None and self.watch.handling and isinstance(func, torch._ops.OpOverload):
            return func(*args, **(kwargs or {}))  # the operator layer running an operator it has checked
        self.check_operator_layer()
        rules = self.rules
        if not self.is_cleared(func):
            self.judge(func)
        if rules.no_autograd and torch._C._functorch.peek_interpreter_stack() is not None:
            self.forbid("torch.func's transforms (jacfwd, jacrev, jvp, vjp, grad, vmap) around your computation")
        histories = input_histories(args, kwargs) if rules.no_autograd else {}
        self.handling += 1
        try:
            result = func(*args, **(kwargs or {}))
        finally:
            self.handling -= 1
        if rules.no_autograd and records_a_graph(result, histories):
            # The engine (``Variable._execution_engine``) and a graph node called directly (``loss.grad_fn(...)``)
            # are no torch functions, but every graph they could run was built by torch functions this mode sees.
            self.calls.append(f"autograd (a graph recorded through {_function_name(func)}, from inputs with "
                              "requires_grad)")
            raise ForbiddenAPIError(f"autograd is forbidden in {self.module}")
        return result

    def is_cleared(self, func: Any) -> bool:
        return self.cleared.get(id(func)) is func

    def judge(self, func: Any) -> None:
        """A torch function seen for the first time: refused when forbidden or custom, else cleared for later
        calls (its name and namespace are its own: what was judged once holds for every call)."""
        name = _function_name(func)
        self.check_namespace(func, name)
        pattern = self.rules.pattern(name)
        if pattern is not None:
            self.forbid(_qualified(func, name) + self.rules.explain(pattern))
        if len(self.cleared) < MAX_CLEARED and not isinstance(func, MethodWrapperType):
            self.cleared[id(func)] = func  # kept alive with it: its id stays its own

    # -- entering and leaving -----------------------------------------------------------------
    def __enter__(self) -> ForbiddenDetector:
        if self.watch is not None:
            self.watch.__enter__()
            self.watch.index = torch._C._len_torch_dispatch_stack() - 1
        super().__enter__()
        self.index = torch._C._len_torch_function_stack() - 1
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        """Leave both layers; a layer missing from its place, or a mode left above it, is tampering (recorded,
        and the stacks are cut back to where they were, so that the worker can answer)."""
        intact = self.in_place() and (self.watch is None or self.watch.in_place())
        above = (torch._C._len_torch_function_stack() - 1 - self.index,
                 0 if self.watch is None else torch._C._len_torch_dispatch_stack() - 1 - self.watch.index)
        if intact and above == (0, 0):
            super().__exit__(exc_type, exc_value, traceback)
            if self.watch is not None:
                self.watch.__exit__(exc_type, exc_value, traceback)
            return
        self.tampering.append("the rules' detector not where it was put on torch's mode stacks when the call ended")
        _cut_stacks(self.index, self.watch.index if self.watch is not None else None)


def _cut_stacks(function_depth: int, dispatch_depth: int | None) -> None:
    """Pop torch's mode stacks back to ``function_depth`` (and ``dispatch_depth``) entries."""
    while torch._C._len_torch_function_stack() > max(function_depth, 0):
        torch._C._pop_torch_function_stack()
    while dispatch_depth is not None and torch._C._len_torch_dispatch_stack() > max(dispatch_depth, 0):
        torch._C._pop_torch_dispatch_stack(None)


_TRUSTED = _trusted_objects()
_RULES_AT_IMPORT = {module: (rules.forbidden, rules.names, dict(rules.aliases), rules.no_autograd)
                    for module, rules in RULES.items()}


def integrity_problems(detector: ForbiddenDetector | None = None) -> list[str]:
    """What is wrong with the state the detector relies on, as the worker checks it before and after each request:
    anything it relies on replaced, the spec's rules changed, torch's mode stacks not empty between calls, torch
    functions or the Python dispatch key disabled, a call set to skip the detector; and ``detector``'s tampering."""
    problems = [f"{name} replaced" for name, trusted in _trusted_objects().items() if trusted is not _TRUSTED[name]]
    for module, captured in _RULES_AT_IMPORT.items():
        exercise = spec.BY_MODULE.get(module)
        now = (tuple(exercise.forbidden), frozenset(exercise.forbidden_names), dict(exercise.aliases),
               spec.forbids_autograd(module)) if exercise is not None else None
        if now != captured:
            problems.append(f"the rules of {module} in cnnkit.spec changed")
    if torch._C._len_torch_function_stack() or torch._C._len_torch_dispatch_stack():
        problems.append("a mode left on torch's mode stacks between calls")
    if torch._C._is_torch_function_all_disabled() or torch._C._dispatch_tls_is_dispatch_key_excluded(_PYTHON_KEY):
        problems.append("torch functions or torch's Python dispatch left disabled between calls")
    if torch._C._peek_should_skip_torch_function():
        problems.append("the next torch call set to skip the rules' detector")
    if detector is not None:
        if detector.retargeted():
            problems.append("the rules' detector retargeted to another exercise")
        problems += detector.tampering
    return list(dict.fromkeys(problems))
