"""Exercise 7's worker operations: build the student's ``nn.Module`` classes in the worker (a module
object cannot travel back), report their parameter shapes, run them with weights the grader chose
(loaded by position, or by name like ``load_state_dict``; in eval or train mode, one or several
forward passes), and count the parameters of kit-built models.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from cnnkit.sandbox.ops import op, student_attribute

# =============================================================================================
# Models (exercise 7): build the student's nn.Module classes in the worker, report what they are
# made of, run them with weights chosen by the grader, count parameters of kit-built models.
# =============================================================================================

ParameterRow = tuple[str, tuple[int, ...], bool]  # (qualified name, shape, requires_grad)


def _instantiate(student: Any, detector: Any, class_name: str) -> nn.Module:
    """``student.class_name()`` under the detector; TypeError if the result is not an nn.Module."""
    cls = student_attribute(student, class_name)
    with detector:
        model = cls()
    if not isinstance(model, nn.Module):
        raise TypeError(f"{class_name}() built a {type(model).__name__}, not an nn.Module")
    return model


def parameter_table(model: nn.Module) -> list[ParameterRow]:
    """Every parameter in registration order (the order ``model.parameters()`` yields)."""
    return [(name, tuple(int(n) for n in p.shape), bool(p.requires_grad)) for name, p in model.named_parameters()]


def load_by_position(model: nn.Module, weights: list[torch.Tensor]) -> str | None:
    """Copy ``weights[i]`` into the i-th parameter of ``model``; a description of any mismatch, else None.

    Trusted code: the graders use it on their own models too, so both sides load the same way.
    """
    table = parameter_table(model)
    if len(table) != len(weights):
        return (f"it has {len(table)} parameter tensors, expected {len(weights)} "
                f"(yours: {', '.join(f'{name} {shape}' for name, shape, _ in table) or 'none'})")
    for index, ((name, shape, _), weight) in enumerate(zip(table, weights)):
        if shape != tuple(weight.shape):
            return (f"parameter {index} ({name}) has shape {shape}, expected {tuple(weight.shape)} "
                    "(layers are matched by position: create them in the order they are used)")
    with torch.no_grad():
        for parameter, weight in zip(model.parameters(), weights):
            parameter.copy_(weight)
    return None


@op
def model_structure(student: Any, detector: Any, class_name: str) -> tuple[Any, dict]:
    """Build ``student.class_name()`` and describe it.

    Value: ``{"parameters": [(name, shape, requires_grad), ...] in registration order,
    "buffers": [(name, shape), ...], "training": bool}``. Construction errors propagate.
    """
    model = _instantiate(student, detector, class_name)
    buffers = [(name, tuple(int(n) for n in b.shape)) for name, b in model.named_buffers()]
    return {"parameters": parameter_table(model), "buffers": buffers, "training": bool(model.training)}, {}


def load_by_name(model: nn.Module, state: dict[str, torch.Tensor]) -> str | None:
    """``model.load_state_dict(state, strict=True)``; a description of any mismatch, else None.

    This is how weights saved from the article's code load into a model: by layer name.
    """
    own = {name: tuple(int(n) for n in t.shape) for name, t in model.state_dict().items()}
    missing = [name for name in state if name not in own]
    unexpected = [name for name in own if name not in state]
    if missing or unexpected:
        return (f"its state_dict has the keys {sorted(own)}, expected {sorted(state)}"
                + (f" (missing {missing})" if missing else "") + (f" (not in the article's: {unexpected})" if unexpected else ""))
    for name, tensor in state.items():
        if own[name] != tuple(tensor.shape):
            return f"{name} has shape {own[name]}, expected {tuple(tensor.shape)}"
    with torch.no_grad():
        model.load_state_dict(state, strict=True)
    return None


@op
def model_forward(
    student: Any, detector: Any, class_name: str, weights: list[torch.Tensor] | dict[str, torch.Tensor],
    x: torch.Tensor, train: bool = False, seed: int = 0, repeats: int = 1,
) -> tuple[Any, dict]:
    """Build ``student.class_name()``, load ``weights``, return ``model(x)`` (no grad).

    ``weights``: a list is loaded by position (``load_by_position``), a dict by name
    (``load_by_name``, like ``load_state_dict``). ``train=False`` runs in eval mode (dropout
    off); ``train=True`` runs in train mode after ``torch.manual_seed(seed)``. ``repeats > 1``
    runs that many forward passes on the same model and returns them stacked, (repeats, *output).
    Value: the output (None on a weight mismatch); extra ``mismatch``: why the weights did not fit.
    """
    model = _instantiate(student, detector, class_name)
    if isinstance(weights, dict):
        mismatch = load_by_name(model, weights)
    else:
        mismatch = load_by_position(model, weights)
    if mismatch is not None:
        return None, {"mismatch": mismatch}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        with detector, torch.no_grad():
            model.train(train)
            outputs = [model(x) for _ in range(repeats)]
    if repeats == 1:
        return outputs[0], {"mismatch": None}
    if not all(isinstance(out, torch.Tensor) and out.shape == outputs[0].shape for out in outputs):
        return outputs, {"mismatch": None}
    return torch.stack(outputs), {"mismatch": None}


def mlp(sizes: tuple[int, ...]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def _shared_linear() -> nn.Module:
    shared = nn.Linear(4, 4)  # registered twice: parameters() yields it once, state_dict() twice
    return nn.Sequential(shared, nn.ReLU(), shared)


# Kit-defined models for counting: name -> builder. Both sides build them identically.
COUNT_MODELS: dict[str, Callable[[], nn.Module]] = {
    "linear": lambda: nn.Linear(7, 3),  # 24
    "mlp": lambda: mlp((5, 4, 3, 2)),  # 24 + 15 + 8 = 47, six parameter tensors
    "no_parameters": lambda: nn.Sequential(nn.ReLU(), nn.Flatten()),  # 0
    "conv_batchnorm": lambda: nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3)),  # 57 + 6, 7 buffer scalars
    "shared": _shared_linear,  # 20
}


def build_count_model(kind: str, frozen: tuple[int, ...] = ()) -> nn.Module:
    """``COUNT_MODELS[kind]()`` (seeded), with the parameters at positions ``frozen`` set to requires_grad=False."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = COUNT_MODELS[kind]()
    for index, parameter in enumerate(model.parameters()):
        if index in frozen:
            parameter.requires_grad_(False)
    return model


def _count_parameters_calls(args: tuple) -> list[str]:
    """``count_parameters``, and the student's model class when ``kind`` is ``"student:<class>"``."""
    kind = args[0] if args and isinstance(args[0], str) else ""
    return ["count_parameters", *([kind.split(":", 1)[1]] if kind.startswith("student:") else [])]


@op(calls=_count_parameters_calls)
def count_parameters_of(student: Any, detector: Any, kind: str, frozen: tuple[int, ...] = ()) -> tuple[Any, dict]:
    """``student.count_parameters(model)`` on a kit model (``COUNT_MODELS``) or on ``student:<Class>()``.

    ``frozen``: positions (in ``model.parameters()`` order) of parameters to freeze first.
    Extra ``trusted``: the kit's own count of that same worker-side model, for feedback only.
    """
    if kind.startswith("student:"):
        model = _instantiate(student, detector, kind.split(":", 1)[1])
        for index, parameter in enumerate(model.parameters()):
            if index in frozen:
                parameter.requires_grad_(False)
    else:
        model = build_count_model(kind, frozen)
    trusted = sum(p.numel() for p in model.parameters() if p.requires_grad)
    count = student_attribute(student, "count_parameters")
    with detector:
        value = count(model)
    return value, {"trusted": trusted}
