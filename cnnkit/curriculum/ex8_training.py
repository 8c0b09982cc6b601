"""Exercise 8's worker operations: run the student's training and evaluation loops on a ``LoopSetup``
(seeded data, a seeded kit model, ``KitSGD``) with spies that log modes, grad mode, zero_grad and
step. The trusted side rebuilds the same setup and recomputes everything it checks; what student
code does to these objects inside the worker cannot change those recomputations. ``HINTS``: what
the feedback says about the mistakes its graders recognise (``cnnkit.grading.hints``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from cnnkit.curriculum.ex7_models import mlp
from cnnkit.grading.hints import HintText
from cnnkit.sandbox.ops import op, student_attribute

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
    "mlp": (lambda: mlp((12, 16, 4)), (12,), 4),
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


@op(calls=("train_model",))
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
    train = student_attribute(student, "train_model")
    loader = setup.loader_for(model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(setup.dropout_seed)
        with detector:
            value = train(model, optimizer, loader, num_epochs, **kwargs)
    return value, {"events": list(model.log), "weights": _weights(model)}


@op(calls=("evaluate_model",))
def run_evaluation(student: Any, detector: Any, setup: LoopSetup) -> tuple[Any, dict]:
    """``student.evaluate_model(model, loader[, device])`` on ``setup`` (the model starts in ``setup.start_mode``).

    Value: what ``evaluate_model`` returned. Extra: ``events`` (forward passes with their modes),
    ``weights_changed`` (names of parameters whose values changed) and ``grads_left`` (names of
    parameters left holding a non-zero ``.grad``).
    """
    model = setup.build_model()
    before = _weights(model)
    evaluate = student_attribute(student, "evaluate_model")
    loader = setup.loader_for(model)
    kwargs = {"device": "cpu"} if setup.pass_device else {}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(setup.dropout_seed)
        with detector:
            value = evaluate(model, loader, **kwargs)
    changed = [name for (name, p), old in zip(model.named_parameters(), before) if not torch.equal(p.detach(), old)]
    return value, {"events": list(model.log), "weights_changed": changed, "grads_left": _leftover_grads(model)}


# =============================================================================================
# Hints (graders/test_ex8_training.py and the hidden checks recognise the mistakes; the words are here)
# =============================================================================================
_WEIGHTED_MEAN = ("add up each batch's loss times its batch size, and divide by the number of samples at the end "
                  "of the epoch")
_EVAL_MODE = "switch the model to eval mode (Module.eval) before the first batch"

HINTS: Mapping[str, HintText] = {
    # -- train_model --
    "losses_as_tensors": HintText(
        "the losses are tensors: train_model returns plain Python floats, one per epoch",
        "turn each 0-d loss tensor into a number with Tensor.item"),
    "last_batch_loss": HintText(
        "that is each epoch's last batch loss: the epoch's loss is the mean over all of its samples",
        _WEIGHTED_MEAN),
    "loss_sum_not_mean": HintText(
        "that is the sum of the batch losses: the epoch's loss is the mean per sample", _WEIGHTED_MEAN),
    "unweighted_batch_mean": HintText(
        "each batch counted equally: a short last batch holds fewer samples, so each batch loss weighs as much as "
        "its samples",
        _WEIGHTED_MEAN),
    "no_zero_grad": HintText(
        "gradients accumulated across steps: backward adds to the gradients already stored, so each step needs "
        "fresh ones",
        "reset the gradients (Optimizer.zero_grad) before each backward pass"),
    "criterion_ignored": HintText(
        "the criterion argument was ignored: use the one given, and the default cross-entropy only when it is None",
        "choose the criterion once, before the loop, from the argument"),
    "trained_in_eval_mode": HintText(
        "training ran in eval mode, with dropout off: the model may arrive in eval mode, or be switched to it "
        "between epochs (by an evaluation)",
        "switch the model to training mode (Module.train) at the start of every epoch, not once before the loop"),
    # -- evaluate_model --
    "accuracy_not_float": HintText(
        "the accuracy is a Python float, a percentage, not a tensor or an int",
        "turn the counts into numbers with Tensor.item and divide as floats"),
    "accuracy_as_fraction": HintText(
        "that is a fraction: the accuracy is in percent", "multiply the fraction of correct predictions by 100"),
    "evaluated_in_train_mode": HintText(
        "evaluation ran with dropout on: a model is evaluated in eval mode", _EVAL_MODE),
    "accuracy_counting": HintText(
        "the accuracy is off: a prediction is the class with the largest logit, and the accuracy is the share of "
        "correct predictions among all samples",
        "take the argmax over the class axis, compare it with the targets, add up the correct ones over all "
        "batches, and divide by the number of samples (the last batch may be short)"),
    "evaluated_with_graph": HintText(
        "evaluation recorded a graph for autograd: nothing is back-propagated, so the graph only costs memory "
        "and time",
        "evaluate inside a torch.no_grad block"),
    "evaluation_changed_model": HintText(
        "evaluation must leave the model as it was: no backward pass, no optimizer step",
        "run forward passes only when evaluating"),
}
