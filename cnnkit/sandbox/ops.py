"""Operations the worker performs on a student module.

Each operation is trusted kit code that runs *in the worker*: it calls into the student's
module while ``detector`` (the forbidden-API detector, a ``TorchFunctionMode``) is active, and
returns ``(value, extra)``: the value to check and a dict of extra facts (e.g. which inputs the
student modified in place). Graders invoke them through ``Submission.op(name, ...)``.

Operations:

* ``call``, ``call_with_grad``: a student function on plain data (exercises 1-6).
* ``model_structure``, ``model_forward``, ``count_parameters_of``: build the student's
  ``nn.Module`` classes in the worker (a module object cannot travel back), report their
  parameter shapes, run them with weights the grader chose (loaded by position, or by name like
  ``load_state_dict``; in eval or train mode, one or several forward passes), count the
  parameters of kit-built models (exercise 7).
* ``run_training``, ``run_evaluation``: run the student's loops on a ``LoopSetup`` (seeded data,
  a seeded kit model, ``KitSGD``) with spies that log modes, grad mode, zero_grad and step
  (exercise 8). The trusted side rebuilds the same setup and recomputes everything it checks;
  what student code does to these objects inside the worker cannot change those recomputations.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from cnnkit.sandbox.wire import GeneratorSeed

Operation = Callable[..., tuple[Any, dict[str, Any]]]
OPS: dict[str, Operation] = {}


def op(function: Operation) -> Operation:
    """Register ``function`` as an operation under its own name."""
    OPS[function.__name__] = function
    return function


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


def _student_function(student: Any, name: str) -> Callable:
    function = getattr(student, name, None)
    if function is None:
        raise AttributeError(f"{student.__name__}.py defines no {name!r}")
    return function


@op
def call(student: Any, detector: Any, name: str, *args: Any, **kwargs: Any) -> tuple[Any, dict]:
    """``student.name(*args, **kwargs)``; extra ``mutated``: the tensor arguments it changed in place."""
    function = _student_function(student, name)
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
    function = _student_function(student, name)
    args, kwargs = materialize(args), materialize(kwargs)
    arguments = _argument_names(function, args, kwargs)
    with detector:
        value = function(*args, **kwargs)
        if not isinstance(value, torch.Tensor) or not value.requires_grad:
            return value, {"grads": {}, "grad_error": "the output is not connected to the inputs by autograd "
                           "(did you use .detach(), .item(), .numpy() or torch.tensor(...) on intermediate values?)"}
        if value.shape != grad_output.shape:
            return value, {"grads": {}, "grad_error": f"output shape {tuple(value.shape)} is wrong"}
        value.backward(grad_output)
    grads = {
        name: (tensor.grad.detach().clone() if tensor.grad is not None else None)
        for name, tensor in arguments.items()
        if isinstance(tensor, torch.Tensor) and tensor.requires_grad
    }
    return value.detach(), {"grads": grads}


# =============================================================================================
# Models (exercise 7): build the student's nn.Module classes in the worker, report what they are
# made of, run them with weights chosen by the grader, count parameters of kit-built models.
# =============================================================================================

ParameterRow = tuple[str, tuple[int, ...], bool]  # (qualified name, shape, requires_grad)


def _instantiate(student: Any, detector: Any, class_name: str) -> nn.Module:
    """``student.class_name()`` under the detector; TypeError if the result is not an nn.Module."""
    cls = _student_function(student, class_name)
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


def _mlp(sizes: tuple[int, ...]) -> nn.Sequential:
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
    "mlp": lambda: _mlp((5, 4, 3, 2)),  # 24 + 15 + 8 = 47, six parameter tensors
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


@op
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
    count = _student_function(student, "count_parameters")
    with detector:
        value = count(model)
    return value, {"trusted": trusted}


# =============================================================================================
# Training and evaluation loops (exercise 8): a small deterministic problem, rebuilt identically
# on both sides from a ``LoopSetup``; spies record how the student's loop used model/optimizer.
# =============================================================================================

Event = tuple[Any, ...]  # ("forward", training, grad_enabled, batch) | ("optimizer.step",) | ...


class LoggedNet(nn.Module):
    """A kit model that logs every forward pass (mode, grad mode, batch size) and zero_grad call."""

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body
        self.log: list[Event] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.log.append(("forward", bool(self.training), bool(torch.is_grad_enabled()), int(x.shape[0])))
        return self.body(x)

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.log.append(("model.zero_grad",))
        super().zero_grad(set_to_none)


class KitSGD:
    """SGD with ``torch.optim.SGD``'s update rule (momentum without dampening), logging its calls.

    Duck-typed like a torch optimizer (``param_groups``, ``state``, ``zero_grad``, ``step``)
    rather than a ``torch.optim.Optimizer``: constructing one of those imports ``torch._dynamo``,
    which costs seconds in every fresh process. ``log``: where ``zero_grad``/``step`` calls are
    recorded (None: not recorded).
    """

    def __init__(self, params: Any, lr: float, momentum: float = 0.0, log: list[Event] | None = None) -> None:
        self.param_groups: list[dict[str, Any]] = [{"params": list(params), "lr": lr, "momentum": momentum}]
        self.state: dict[torch.Tensor, dict[str, torch.Tensor]] = {}
        self.log = log

    def _record(self, event: str) -> None:
        if self.log is not None:
            self.log.append((event,))

    def zero_grad(self, set_to_none: bool = True) -> None:
        self._record("optimizer.zero_grad")
        for group in self.param_groups:
            for parameter in group["params"]:
                if parameter.grad is None:
                    continue
                if set_to_none:
                    parameter.grad = None
                else:
                    parameter.grad.detach_().zero_()

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update: ``buf = momentum * buf + grad`` (``buf = grad`` at first), ``p -= lr * buf``."""
        self._record("optimizer.step")
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for parameter in group["params"]:
                if parameter.grad is None:
                    continue
                direction = parameter.grad
                if group["momentum"]:
                    state = self.state.setdefault(parameter, {})
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = direction.detach().clone()
                    else:
                        state["momentum_buffer"].mul_(group["momentum"]).add_(direction)
                    direction = state["momentum_buffer"]
                parameter.add_(direction, alpha=-group["lr"])
        return loss


class EvalAfterPass:
    """A loader that, like an evaluation run between epochs, leaves the model in eval mode after each pass."""

    def __init__(self, batches: list[tuple[torch.Tensor, torch.Tensor]], model: nn.Module) -> None:
        self.batches = batches
        self.model = model

    def __iter__(self) -> Any:
        yield from self.batches
        self.model.eval()

    def __len__(self) -> int:
        return len(self.batches)


# Kit model bodies for the loop exercises: name -> (builder, input shape of one sample, classes).
LOOP_BODIES: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...], int]] = {
    "mlp": (lambda: _mlp((12, 16, 4)), (12,), 4),
    "dropout_mlp": (lambda: nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 4)), (12,), 4),
    "cnn": (lambda: nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                  nn.Linear(4 * 4 * 4, 3)), (1, 8, 8), 3),
}


@dataclass(frozen=True)
class LoopSetup:
    """A small classification problem and how the student's loop receives it.

    Everything derives from seeds, so the trusted side rebuilds exactly what the worker built.
    Labels: ``"teacher"`` = argmax of a fixed random linear map (learnable: the loss falls);
    ``"model"`` = the model's own eval-mode predictions with every third label shifted
    (evaluation accuracy near 67%, not 0 or 100).
    """

    model: str = "mlp"  # key of LOOP_BODIES
    samples: int = 48
    batch_size: int = 8
    data_seed: int = 0
    model_seed: int = 1
    dropout_seed: int = 2  # torch.manual_seed right before the student's loop runs
    labels: str = "teacher"
    loader: str = "list"  # "list" of (x, y) | "dataloader" (shuffle=False) | "eval_after_pass"
    lr: float = 0.1
    momentum: float = 0.0
    criterion: str | None = None  # None: not passed (student's default); "smoothed": CrossEntropyLoss(label_smoothing=0.2)
    pass_device: bool = False  # pass device="cpu"
    start_mode: str = "train"  # the mode the model is in when the student receives it

    def __repr__(self) -> str:
        shape = LOOP_BODIES[self.model][1]
        parts = [f"{self.model} model", f"{self.samples} samples of shape {shape}", f"batch_size={self.batch_size}",
                 f"SGD(lr={self.lr}, momentum={self.momentum})", f"loader={self.loader}"]
        if self.criterion:
            parts.append("criterion=CrossEntropyLoss(label_smoothing=0.2)")
        if self.pass_device:
            parts.append("device='cpu'")
        if self.start_mode != "train":
            parts.append(f"model handed over in {self.start_mode} mode")
        return ", ".join(parts)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def build_model(self) -> LoggedNet:
        builder = LOOP_BODIES[self.model][0]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.model_seed)
            model = LoggedNet(builder())
        model.train(self.start_mode == "train")
        return model

    def data(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(inputs (samples, *shape) float32, labels (samples,) int64)."""
        _, shape, classes = LOOP_BODIES[self.model]
        generator = torch.Generator().manual_seed(self.data_seed)
        inputs = torch.randn((self.samples, *shape), generator=generator)
        if self.labels == "model":
            with torch.no_grad():
                model = self.build_model().eval()
                labels = model(inputs).argmax(dim=1)
            shift = torch.arange(self.samples) % 3 == 0
            return inputs, torch.where(shift, (labels + 1) % classes, labels)
        teacher = torch.randn((inputs[0].numel(), classes), generator=generator)
        return inputs, (inputs.flatten(1) @ teacher).argmax(dim=1)

    def batches(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        inputs, labels = self.data()
        return [(inputs[i:i + self.batch_size], labels[i:i + self.batch_size])
                for i in range(0, self.samples, self.batch_size)]

    def loader_for(self, model: nn.Module) -> Any:
        if self.loader == "dataloader":
            return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*self.data()),
                                               batch_size=self.batch_size, shuffle=False)
        if self.loader == "eval_after_pass":
            return EvalAfterPass(self.batches(), model)
        return self.batches()

    def optimizer_for(self, model: nn.Module, log: list[Event] | None = None) -> KitSGD:
        """SGD over ``model.parameters()`` with this setup's lr and momentum (see ``KitSGD``)."""
        return KitSGD(model.parameters(), lr=self.lr, momentum=self.momentum, log=log)

    def criterion_object(self) -> nn.Module:
        """The loss the loop must use (the documented default when none is passed)."""
        return nn.CrossEntropyLoss(label_smoothing=0.2) if self.criterion == "smoothed" else nn.CrossEntropyLoss()


def _weights(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def _leftover_grads(model: nn.Module) -> list[str]:
    return [name for name, p in model.named_parameters() if p.grad is not None and bool(p.grad.ne(0).any())]


@op
def run_training(student: Any, detector: Any, setup: LoopSetup, num_epochs: int) -> tuple[Any, dict]:
    """``student.train_model(model, optimizer, loader, num_epochs[, criterion][, device])`` on ``setup``.

    Value: what ``train_model`` returned. Extra: ``events`` (the spies' log: forward passes with
    (training, grad_enabled, batch size), optimizer/model zero_grad and step calls, in order)
    and ``weights`` (the model's parameters afterwards, in ``parameters()`` order).
    """
    model = setup.build_model()
    optimizer = setup.optimizer_for(model, model.log)
    kwargs: dict[str, Any] = {}
    if setup.criterion is not None:
        kwargs["criterion"] = setup.criterion_object()
    if setup.pass_device:
        kwargs["device"] = "cpu"
    train = _student_function(student, "train_model")
    loader = setup.loader_for(model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(setup.dropout_seed)
        with detector:
            value = train(model, optimizer, loader, num_epochs, **kwargs)
    return value, {"events": list(model.log), "weights": _weights(model)}


@op
def run_evaluation(student: Any, detector: Any, setup: LoopSetup) -> tuple[Any, dict]:
    """``student.evaluate_model(model, loader[, device])`` on ``setup`` (the model starts in ``setup.start_mode``).

    Value: what ``evaluate_model`` returned. Extra: ``events`` (forward passes with their modes),
    ``weights_changed`` (names of parameters whose values changed) and ``grads_left`` (names of
    parameters left holding a non-zero ``.grad``).
    """
    model = setup.build_model()
    before = _weights(model)
    evaluate = _student_function(student, "evaluate_model")
    loader = setup.loader_for(model)
    kwargs = {"device": "cpu"} if setup.pass_device else {}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(setup.dropout_seed)
        with detector:
            value = evaluate(model, loader, **kwargs)
    changed = [name for (name, p), old in zip(model.named_parameters(), before) if not torch.equal(p.detach(), old)]
    return value, {"events": list(model.log), "weights_changed": changed, "grads_left": _leftover_grads(model)}
