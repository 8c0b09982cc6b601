"""Public checks for exercise 13: your layers as ``torch.autograd.Function``s, and a CNN made of them.

Your classes run in the sandbox worker (``cnnkit.curriculum.ex13_own_cnn``): each Function is applied
to the grader's inputs and back-propagated there, with autograd switched off inside your
``backward`` methods (they must compute the gradient themselves). The oracle is PyTorch's own
layers (``F.conv2d``, ``F.max_pool2d``, ``F.relu``, ``F.linear``, ``F.cross_entropy``) and
exercise 7's ``SmallCNN`` written below with them, differentiated by autograd here, on the
grader's side. The training run's weights come back, and the grader measures their accuracy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
import torch
import torch.nn.functional as F

from cnnkit import tolerances
from cnnkit.grading.checks import Mistake, check_tensor, fail
from cnnkit.grading.strategies import tensor
from cnnkit.mnist.data import Batches, sample_batches
from cnnkit.tolerances import Tolerance

Shape = tuple[int, ...]
State = dict[str, torch.Tensor]

# SmallCNN's parameters (exercise 7), in the order its layers are used.
SMALL_LAYERS: list[tuple[str, Shape]] = [
    ("conv1.weight", (16, 1, 3, 3)), ("conv1.bias", (16,)), ("conv2.weight", (32, 16, 3, 3)), ("conv2.bias", (32,)),
    ("fc1.weight", (64, 1568)), ("fc1.bias", (64,)), ("fc2.weight", (10, 64)), ("fc2.bias", (10,)),
]
FUNCTIONS = ("Conv2dFunction", "MaxPool2dFunction", "ReLUFunction", "LinearFunction", "CrossEntropyFunction")
# Where each Function's parts come from (for the feedback).
SOURCES = {
    "Conv2dFunction": "conv2d (exercise 2) and conv2d_backward (exercise 10)",
    "MaxPool2dFunction": "max_pool2d (exercise 3) and max_pool2d_backward (exercise 11)",
    "ReLUFunction": "relu (exercise 4)",
    "LinearFunction": "x @ weight.T + bias",
    "CrossEntropyFunction": "cross_entropy (exercise 6) and cross_entropy_backward (exercise 12)",
}
# One epoch on the embedded sample: 63 steps of SGD; the reference reaches about 87 %.
TRAINING = {"batch_size": 32, "lr": 0.05, "momentum": 0.9, "num_epochs": 1}
LEAST_ACCURACY = 70.0
GRADIENT32 = Tolerance(rtol=1e-3, atol=1e-5)  # float32 gradients through four layers


# -- the Functions, one at a time ------------------------------------------------------------------
#: torch's (output, grad_out, gradient of each argument or None) for one application of a Function.
Expected = tuple[torch.Tensor, torch.Tensor, list[torch.Tensor | None]]
#: How the gradients reach the Function's backward (autograd hands over all three).
LAYOUTS = {
    "fresh": "",
    "expanded": "grad_out = torch.ones(()).expand(output shape), what y.sum().backward() hands to y's node",
    "shared": "applied twice (the second time to the negated tensors), both outputs back-propagated with one "
              "and the same grad_out tensor, as autograd does for y1 + y2",
}


@dataclass(frozen=True)
class FunctionCase:
    """``name.apply(*args)`` back-propagated with ``grad_out``; ``oracle`` is torch's layer."""

    name: str
    args: tuple[Any, ...]  # tensors with requires_grad=True get gradients
    oracle: Callable[..., torch.Tensor]
    about: str
    grad_scale: float = 1.0  # grad_out's scale (the loss's incoming gradient for CrossEntropyFunction)
    hints: Callable[[FunctionCase, torch.Tensor], list[list[Mistake]]] = field(default=lambda case, grad_out: [])
    layout: str = "fresh"  # a key of LAYOUTS

    def __repr__(self) -> str:
        return f"{self.name}.apply({self.about})" + (f", {LAYOUTS[self.layout]}" if LAYOUTS[self.layout] else "")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def with_layout(self, layout: str) -> FunctionCase:
        return replace(self, layout=layout)

    def negated(self) -> FunctionCase:
        """The same call on the negated tensors (other maxima, other ReLU masks), same non-tensor arguments."""
        args = tuple((-a.detach()).requires_grad_() if isinstance(a, torch.Tensor) and a.requires_grad else a
                     for a in self.args)
        return replace(self, args=args, about=f"the negated tensors of {self.about}")

    def grad_out(self, out_shape: Shape, dtype: torch.dtype) -> torch.Tensor:
        if self.layout == "expanded":
            return torch.full((), self.grad_scale, dtype=dtype).expand(out_shape)
        if not out_shape:
            return torch.tensor(self.grad_scale, dtype=dtype)
        return tensor(out_shape, 99, dtype) * self.grad_scale

    def expected(self, grad_out: torch.Tensor | None = None) -> Expected:
        """(torch's output, grad_out, torch's gradient of each argument or None); ``grad_out`` made here if None."""
        leaves = [a.detach().clone().requires_grad_() if isinstance(a, torch.Tensor) and a.requires_grad else a
                  for a in self.args]
        out = self.oracle(*leaves)
        grad_out = self.grad_out(tuple(out.shape), out.dtype) if grad_out is None else grad_out
        wanted = [isinstance(leaf, torch.Tensor) and leaf.requires_grad for leaf in leaves]
        grads = iter(torch.autograd.grad(out, [leaf for leaf, w in zip(leaves, wanted) if w], grad_out))
        return out.detach(), grad_out, [next(grads) if w else None for w in wanted]

    def calls(self) -> list[tuple[FunctionCase, Expected]]:
        """The applications this case sends, each with torch's (output, grad_out, gradients)."""
        first = self.expected()
        if self.layout != "shared":
            return [(self, first)]
        second = self.negated()
        return [(self, first), (second, second.expected(grad_out=first[1]))]  # the very same grad_out tensor


def grad(shape: Shape, seed: int, dtype: torch.dtype = torch.float64, scale: float = 1.0) -> torch.Tensor:
    """A tensor that gets a gradient."""
    return tensor(shape, seed, dtype, scale=scale).requires_grad_()


def relu_hints(case: FunctionCase, grad_out: torch.Tensor) -> list[list[Mistake]]:
    x = case.args[0].detach()
    return [[Mistake("relu_passes_negatives", lambda: grad_out),
             Mistake("relu_gradient_at_zero", lambda: grad_out * (x >= 0))]]


def linear_hints(case: FunctionCase, grad_out: torch.Tensor) -> list[list[Mistake]]:
    x, weight = case.args[0].detach(), case.args[1].detach()
    return [
        [Mistake("linear_grad_x_transposed", lambda: grad_out @ weight.T)],
        [Mistake("linear_grad_weight_transposed", lambda: x.T @ grad_out)],
        [Mistake("linear_bias_averaged", lambda: grad_out.mean(dim=0))],
    ]


def cross_entropy_hints(case: FunctionCase, grad_out: torch.Tensor) -> list[list[Mistake]]:
    logits, targets = case.args[0].detach(), case.args[1]

    def unscaled() -> torch.Tensor:
        one_hot = F.one_hot(targets, logits.shape[1]).to(logits.dtype)
        return (torch.softmax(logits, dim=1) - one_hot) / logits.shape[0]

    return [[Mistake("loss_ignores_grad_loss", unscaled)]]


def function_cases(dtype: torch.dtype = torch.float64) -> list[FunctionCase]:
    """One small case per Function (public)."""
    targets = torch.tensor([2, 0, 3, 3, 1])
    return [
        FunctionCase("Conv2dFunction", (grad((2, 3, 6, 5), 1, dtype), grad((4, 3, 3, 2), 2, dtype),
                                        grad((4,), 3, dtype), 1, 1),
                     lambda x, w, b, s, p: F.conv2d(x, w, b, s, p),
                     "x (2, 3, 6, 5), weight (4, 3, 3, 2), bias (4,), stride=1, padding=1"),
        FunctionCase("MaxPool2dFunction", (grad((2, 3, 6, 6), 4, dtype), 2, None),
                     lambda x, k, s: F.max_pool2d(x, k, s), "x (2, 3, 6, 6), kernel_size=2, stride=None"),
        FunctionCase("ReLUFunction", (grad((3, 4, 5), 5, dtype),), F.relu, "x (3, 4, 5)", hints=relu_hints),
        FunctionCase("LinearFunction", (grad((5, 7), 6, dtype), grad((3, 7), 7, dtype), grad((3,), 8, dtype)),
                     F.linear, "x (5, 7), weight (3, 7), bias (3,)", hints=linear_hints),
        FunctionCase("CrossEntropyFunction", (grad((5, 4), 9, dtype), targets), F.cross_entropy,
                     "logits (5, 4), targets [2, 0, 3, 3, 1], grad_loss 2.5", grad_scale=2.5,
                     hints=cross_entropy_hints),
    ]


def check_function(sub: Any, case: FunctionCase, tol: Tolerance = tolerances.GRADIENT64) -> None:
    """Output and gradients of ``case`` equal torch's, the gradients from the student's backward; no input changed."""
    calls = case.calls()
    got, extra = sub.op("own_function_gradients", case.name,
                        [(list(call.args), grad_out) for call, (_, grad_out, _) in calls])
    if extra.get("problem"):
        shape = "autograd refused" not in extra["problem"]  # else the engine's message says what to fix
        fail(case.name, extra["problem"], case, check="function", mistake="not_a_function" if shape else "")
    for (call, (expected_out, _, _)), out in zip(calls, got):
        check_tensor(out, expected_out, what=f"{case.name}.forward", case=call, tol=tol,
                     hints=[Mistake("loss_not_averaged", lambda: expected_out * call.args[0].shape[0])]
                     if case.name == "CrossEntropyFunction" else ())
    kind, node = extra["node"]
    if kind != "function" or node != case.name:
        fail(f"{case.name}.apply", f"the output's autograd node is {node}, not your {case.name}'s backward", case)
    if extra["autograd"]:
        fail(f"{case.name}.backward", f"it called autograd ({', '.join(extra['autograd'])}): compute the gradient "
             f"yourself, from {SOURCES[case.name]}", case)
    check_untouched(case, extra["mutated"])
    for (call, (_, grad_out, expected_grads)), grads in zip(calls, extra["grads"]):
        hints = call.hints(call, grad_out)
        for index, (value, wanted) in enumerate(zip(grads, expected_grads)):
            if wanted is None:
                continue
            check_tensor(value, wanted, what=f"{case.name}.backward: the gradient of argument {index}", case=call,
                         tol=tol, hints=hints[index] if index < len(hints) else ())


def check_untouched(case: FunctionCase, mutated: list[tuple[int, str]]) -> None:
    """No tensor the Function received (the arguments of forward, ``grad_out``) was changed in place."""
    names = sorted({name for _, name in mutated})
    if "grad_out" in names:
        fail(f"{case.name}.backward", "changed grad_out in place; autograd may hand one gradient tensor to several "
             "layers, or an expanded one", case, check="mutated", mistake="writes_grad_out")
    if names:
        arguments = ", ".join(name.replace("argument", "forward argument") for name in names)
        fail(case.name, f"forward or backward changed its {arguments} in place; a layer's inputs belong to the "
             "layers before it (or to the caller)", case, check="mutated")


@pytest.mark.points(1.5)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_matches_torch(sub, name):
    """Each Function alone, float64: the output of torch's layer, and autograd's gradients from your backward."""
    check_function(sub, next(case for case in function_cases() if case.name == name))


@pytest.mark.points(1)
@pytest.mark.parametrize("layout", ["expanded", "shared"])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_backward_with_expanded_and_shared_gradients(sub, name, layout):
    """grad_out as autograd hands it over: expanded (.sum().backward()), and one tensor shared by two outputs."""
    check_function(sub, next(case for case in function_cases() if case.name == name).with_layout(layout))


# -- the whole network ---------------------------------------------------------------------------
def small_cnn_state(seed: int, dtype: torch.dtype = torch.float32) -> State:
    """SmallCNN weights ~ N(0, 1/fan_in) (about half the units active), biases ~ N(0, 0.1^2)."""
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for name, shape in SMALL_LAYERS:
        scale = 0.1 if len(shape) == 1 else torch.Size(shape[1:]).numel() ** -0.5
        state[name] = (torch.randn(shape, generator=generator) * scale).to(dtype)
    return state


def small_cnn(state: State, x: torch.Tensor) -> torch.Tensor:
    """Exercise 7's SmallCNN with torch's layers: the oracle."""
    h = F.max_pool2d(F.relu(F.conv2d(x, state["conv1.weight"], state["conv1.bias"], padding=1)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, state["conv2.weight"], state["conv2.bias"], padding=1)), 2)
    h = F.relu(F.linear(h.flatten(1), state["fc1.weight"], state["fc1.bias"]))
    return F.linear(h, state["fc2.weight"], state["fc2.bias"])


@dataclass(frozen=True)
class NetworkCase:
    batch: int
    seed: int
    dtype: torch.dtype = torch.float64

    def __repr__(self) -> str:
        return (f"OwnSmallCNN with SmallCNN's weights (seed {self.seed}), {self.batch} images (N, 1, 28, 28) "
                f"{str(self.dtype).replace('torch.', '')}, own_cross_entropy_loss")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def inputs(self) -> tuple[State, torch.Tensor, torch.Tensor]:
        generator = torch.Generator().manual_seed(self.seed + 1)
        x = torch.randn((self.batch, 1, 28, 28), generator=generator).to(self.dtype)
        targets = torch.randint(0, 10, (self.batch,), generator=generator)
        return small_cnn_state(self.seed, self.dtype), x, targets

    def expected(self) -> tuple[torch.Tensor, torch.Tensor, State, torch.Tensor]:
        """(logits, loss, parameter gradients by name, input gradient) by autograd of torch's layers."""
        state, x, targets = self.inputs()
        leaves = {name: value.clone().requires_grad_() for name, value in state.items()}
        x = x.clone().requires_grad_()
        logits = small_cnn(leaves, x)
        loss = F.cross_entropy(logits, targets)
        grads = torch.autograd.grad(loss, [*leaves.values(), x])
        return logits.detach(), loss.detach(), dict(zip(leaves, grads[:-1])), grads[-1]


def run_network(sub: Any, case: NetworkCase) -> tuple[torch.Tensor, dict]:
    """The worker's ``own_cnn_gradients`` on ``case``; fails on weight mismatches and missing backward passes."""
    state, x, targets = case.inputs()
    logits, extra = sub.op("own_cnn_gradients", state, x, targets)
    if extra.get("mismatch"):
        fail("OwnSmallCNN.__init__", f"its parameters are not SmallCNN's: {extra['mismatch']}", case)
    if extra.get("problem"):
        fail("own_cross_entropy_loss" if "own_cross_entropy_loss" in extra["problem"] else "OwnSmallCNN backward",
             extra["problem"], case)
    if extra.get("autograd"):
        fail("OwnSmallCNN backward", f"a backward method called autograd ({', '.join(extra['autograd'])}): each "
             "Function's backward computes its gradient itself", case)
    if extra.get("mutated"):
        fail("OwnSmallCNN", f"the forward or backward pass changed {', '.join(extra['mutated'])} in place", case,
             check="mutated")
    return logits, extra


def check_network(sub: Any, case: NetworkCase, tol: Tolerance, grads: bool = True) -> None:
    """Logits and loss (and, with ``grads``, every gradient) of ``case`` equal torch's SmallCNN's."""
    logits, extra = run_network(sub, case)
    expected_logits, expected_loss, expected_grads, expected_grad_x = case.expected()
    check_tensor(logits, expected_logits, what="OwnSmallCNN.forward (the logits)", case=case, tol=tol,
                 hints=[Mistake("relu_on_logits", lambda: expected_logits.relu())])
    check_tensor(extra["loss"], expected_loss, what="own_cross_entropy_loss", case=case, tol=tol)
    if not grads:
        return
    for name, wanted in expected_grads.items():
        got = extra["grads"].get(name)
        if got is None:
            fail("OwnSmallCNN backward", f"no gradient reached {name}", case, check="missing",
                 mistake="gradient_not_reaching_parameters")
        check_tensor(got, wanted, what=f"the gradient of {name}", case=case, tol=tol)
    if extra["grad_x"] is None:
        fail("OwnSmallCNN backward", "no gradient reached the input images", case)
    check_tensor(extra["grad_x"], expected_grad_x, what="the gradient of the input images", case=case, tol=tol)


@pytest.mark.points(0.5)
def test_forward_matches_small_cnn(sub):
    """float32, 4 images: SmallCNN's logits and loss with the same weights."""
    check_network(sub, NetworkCase(4, 10, torch.float32), tolerances.MODEL32, grads=False)


@pytest.mark.points(1.5)
def test_gradients_match_small_cnn(sub):
    """float64, 3 images: the loss's gradient with respect to every parameter and to the input, as autograd's."""
    check_network(sub, NetworkCase(3, 20), tolerances.GRADIENT64)


def check_graph(graph: list[tuple[str, str]], case: Any) -> None:
    """The loss's autograd graph holds only the student's Functions (and views, and the parameters)."""
    foreign = sorted({name for kind, name in graph if kind == "autograd"})
    if foreign:
        fail("OwnSmallCNN", f"autograd differentiates part of the network itself ({', '.join(foreign)}): every "
             "layer and the loss must be one of your Functions, applied with .apply", case, check="graph",
             mistake="autograd_differentiates_a_layer")
    used = {name for kind, name in graph if kind == "function"}
    missing = [name for name in FUNCTIONS if name not in used]
    if missing:
        fail("OwnSmallCNN", f"{', '.join(missing)} never appear in the loss's graph", case)


@pytest.mark.points(0.5)
def test_every_layer_is_yours(sub):
    """The loss's autograd graph: only your five Functions, between views of their outputs."""
    case = NetworkCase(2, 30)
    _, extra = run_network(sub, case)
    check_graph(extra["graph"], case)


# -- training ---------------------------------------------------------------------------------------
def sample_accuracy(state: State) -> float:
    """Percent of the sample's 500 test digits SmallCNN with ``state`` reads right (torch's layers)."""
    _, test = sample_batches(batch_size=TRAINING["batch_size"], seed=0)
    correct = total = 0
    with torch.no_grad():
        for images, labels in test:
            correct += int((small_cnn(state, images).argmax(dim=1) == labels).sum())
            total += len(labels)
    return 100.0 * correct / total


def check_training(sub: Any, seed: int, batch_size: int, least: float, num_epochs: int = 1,
                   digits: int | None = None) -> None:
    """``train_own_cnn`` for ``num_epochs`` epochs on the sample's first ``digits`` training digits (all: None):
    the losses it returns, the optimizer's steps, and the trained weights' test accuracy."""
    train, _ = sample_batches(batch_size=batch_size, seed=seed)
    if digits is not None:
        train = Batches(train.images[:digits], train.labels[:digits], batch_size, shuffle=True, seed=seed)
    settings = {**TRAINING, "batch_size": batch_size, "num_epochs": num_epochs}
    count = f"{digits:,} of the embedded sample's digits" if digits else "the embedded sample (2,000 digits)"
    case = (f"train_own_cnn(OwnSmallCNN() seeded {seed}, SGD(lr={settings['lr']}, momentum={settings['momentum']}), "
            f"{count} in batches of {batch_size}, num_epochs={num_epochs})")
    losses, extra = sub.op("own_cnn_training", train, num_epochs, settings["lr"], settings["momentum"], seed)
    if not isinstance(losses, list) or len(losses) != num_epochs or not all(isinstance(v, float) for v in losses):
        fail("train_own_cnn", f"returned {losses!r}; expected a list with one float per epoch (train_model's), "
             f"{num_epochs} here", case, check="epochs")
    steps = num_epochs * len(train)
    if extra["steps"] != steps:
        fail("train_own_cnn", f"the optimizer stepped {extra['steps']} times; {num_epochs} epoch(s) of {len(train)} "
             f"batches make {steps}", case, check="epochs")
    if not losses[0] < 2.0:
        fail("train_own_cnn", f"the first epoch's mean loss is {losses[0]:.4g}; a network that learns goes well below "
             "ln(10) = 2.30 in one epoch", case, check="learns", mistake="not_learning")
    if num_epochs > 1 and not losses[-1] < losses[0]:
        fail("train_own_cnn", f"the epochs' mean losses {[round(v, 4) for v in losses]} did not go down", case)
    accuracy = sample_accuracy(extra["state"])
    if accuracy < least:
        fail("train_own_cnn", f"the trained network reads {accuracy:.1f} % of the 500 test digits; expected at "
             f"least {least:g} % (the reference: about 90 %)", case)


@pytest.mark.points(1)
def test_training_reads_digits(sub):
    """One epoch on the embedded sample with your train_model: the test digits are read well above chance."""
    check_training(sub, seed=0, batch_size=TRAINING["batch_size"], least=LEAST_ACCURACY)
