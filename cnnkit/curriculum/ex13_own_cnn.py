"""Exercise 13's worker operations: the student's ``torch.autograd.Function``s and ``OwnSmallCNN``.

A module object cannot travel back to the trusted side, so everything that needs the student's
classes runs here, in the worker, and returns plain data (outputs, gradients, node names):

* ``own_function_gradients``: a Function's ``apply`` on the grader's inputs, then its backward with the
  grader's gradients (fresh, expanded, or one tensor shared by two outputs); the inputs it changed in place.
* ``own_cnn_gradients``: ``OwnSmallCNN`` with the grader's weights, ``own_cross_entropy_loss``,
  the backward pass, the gradients of every parameter and of the input, and the graph's nodes.
* ``own_cnn_training``: ``train_own_cnn`` on batches the grader sends; the trained weights come
  back and the trusted side measures the accuracy itself.

Backward passes run under ``BackwardGuard``: the Functions' ``backward`` methods must compute the
gradients themselves, so autograd inside them (``torch.autograd.grad``, ``Tensor.backward``,
aten's ``*_backward`` kernels) is recorded and stopped, and the exercise's forbidden APIs are
reported to the worker's detector as everywhere else. The engine is started with
``torch.autograd.graph._engine_run_backward`` (no ``__torch_function__`` of its own), so the guard
stays on the mode stack while autograd calls the student's methods.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

from cnnkit import spec
from cnnkit.curriculum.ex7_models import _instantiate, load_by_name
from cnnkit.curriculum.ex8_training import KitSGD
from cnnkit.grading.hints import HintText
from cnnkit.sandbox.detector import input_histories, records_a_graph
from cnnkit.sandbox.ops import op
from cnnkit.sandbox.ops import student_attribute as _student_function

MODULE = "ex13_own_cnn"
# Autograd nodes that only move numbers (views, reshapes, copies): allowed between the Functions.
SHAPE_NODE_PREFIXES: tuple[str, ...] = (
    "ViewBackward", "ReshapeAliasBackward", "UnsafeViewBackward", "AsStridedBackward", "PermuteBackward",
    "TransposeBackward", "TBackward", "CloneBackward", "SqueezeBackward", "UnsqueezeBackward", "ToCopyBackward",
    "AliasBackward", "UnflattenBackward",
)
NodeRow = tuple[str, str]  # (kind, name): kind "function" (a student Function), "shape", "leaf", "autograd"

#: This exercise's hints, by check or mistake id (``cnnkit.grading.hints``).
HINTS: dict[str, HintText] = {
    "writes_grad_out": HintText(
        "a backward method must leave grad_out as it came: autograd may hand the same gradient tensor to several "
        "layers (y1 + y2), or one number expanded to the output's shape (y.sum().backward()), so writing into it "
        "changes other layers' gradients, or all of its elements at once",
        "build the gradient as a new tensor (a product with a mask, torch.where), or clone grad_out before "
        "writing into it"),
    "epochs": HintText(
        "train_own_cnn trains for num_epochs epochs, as train_model does, and returns one mean loss per epoch",
        "pass num_epochs on to train_model"),
    "relu_passes_negatives": HintText(
        "ReLU's gradient is 1 where its input was positive and 0 elsewhere: the negative inputs pass no gradient",
        "keep in the context where the input was positive, and multiply grad_out by that mask"),
    "relu_gradient_at_zero": HintText(
        "at an input of exactly 0 ReLU's gradient is 0 (PyTorch's choice): zero belongs with the negatives",
        "build the mask with a strict comparison"),
    "linear_grad_x_transposed": HintText(
        "the gradient for x maps each output gradient back through the weights: it has x's shape (N, in)",
        "a matrix product of grad_out with the weight matrix as it is, not transposed"),
    "linear_grad_weight_transposed": HintText(
        "the gradient for the weight has the weight's shape (out, in): one entry per output and input pair",
        "a matrix product of grad_out's transpose with x"),
    "linear_bias_averaged": HintText(
        "each image's gradient adds to the bias's gradient: the batch's contributions are summed, not averaged",
        "sum grad_out over the batch dimension"),
    "loss_ignores_grad_loss": HintText(
        "the chain rule: the gradient arriving at the loss (grad_loss, 1 when the loss is the last step) multiplies "
        "everything the loss's backward returns", "scale exercise 12's gradient by grad_loss"),
    "loss_not_averaged": HintText("the loss is the batch's mean, not its sum", "divide the summed loss by N"),
    "not_a_function": HintText(
        "each layer is a torch.autograd.Function: a class with a static forward and a static backward method "
        "(each taking the context first), used through its apply method",
        "subclass torch.autograd.Function, write both static methods, call ClassName.apply"),
    "relu_on_logits": HintText("the network's last layer gives logits, which may be negative: no ReLU after it",
                               "apply ReLU after the hidden layers only"),
    "gradient_not_reaching_parameters": HintText(
        "autograd reaches a parameter only when your Function is applied to the parameter itself: a copy (or its "
        ".data) is a tensor autograd does not connect to the model", "pass self.conv1.weight (and the others) "
        "directly to the Functions' apply"),
    "autograd_differentiates_a_layer": HintText(
        "a layer called as a plain function is differentiated by autograd, not by your backward method",
        "call each layer through its Function's apply"),
    "not_learning": HintText(
        "a network that learns goes well below ln(10) in one epoch: the optimizer may not see the gradients",
        "check that the loss's backward reaches the parameters' .grad before each optimizer step"),
}


class AutogradInBackward(RuntimeError):
    """Raised inside a student ``backward`` that calls autograd instead of computing the gradient."""


class BackwardGuard(TorchFunctionMode):
    """Active while autograd runs the student's ``backward`` methods.

    Autograd calls (names with ``backward``, ``torch.autograd.grad``, and any torch function that
    records a graph, which the engine called directly or a ``grad_fn`` would then run) are recorded in
    ``autograd`` and refused; a call that returns one of its inputs unchanged (``x.contiguous()``)
    records nothing and is let through. The exercise's forbidden APIs go to ``detector.calls`` (the
    worker then reports the exercise as forbidden, as for any other call).
    """

    def __init__(self, detector: Any) -> None:
        super().__init__()
        self.detector = detector
        self.autograd: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "") or str(func)
        qualified = f"{getattr(func, '__module__', None) or 'torch'}.{name}"
        if name == "__get__":  # a property such as Tensor.T
            qualified = f"Tensor.{getattr(getattr(func, '__self__', None), '__name__', 'attribute')}"
        if spec.is_forbidden(MODULE, name):
            self.detector.calls.append(qualified.replace("torch._C._nn", "torch.nn.functional"))
            raise AutogradInBackward(f"{qualified} is forbidden in {MODULE}")
        if "backward" in name.lower() or name in spec.AUTOGRAD_NAMES:
            self.autograd.append(qualified)
            raise AutogradInBackward(f"{qualified} inside a backward method: compute the gradient yourself")
        histories = input_histories(args, kwargs)
        result = func(*args, **(kwargs or {}))
        if records_a_graph(result, histories):
            # A graph recorded inside backward (enable_grad) is for autograd's engine or a grad_fn called directly.
            self.autograd.append(f"a graph recorded through {qualified}")
            raise AutogradInBackward(f"autograd inside a backward method ({qualified} recorded a graph)")
        return result


def run_backward(outputs: tuple[torch.Tensor, ...], grads: tuple[torch.Tensor, ...], guard: BackwardGuard) -> None:
    """Back-propagate ``grads`` from ``outputs`` into the leaves' ``.grad``, the student's methods under ``guard``
    (and the exercise's detector, whose operator layer sees what their torch calls run, modes disabled or not)."""
    with guard.detector, guard:
        torch.autograd.graph._engine_run_backward(outputs, grads, False, False, (), allow_unreachable=True,
                                                  accumulate_grad=True)


# The engine's words when a backward method returns the wrong number or shapes of gradients.
ENGINE_COMPLAINTS = ("returned an invalid gradient", "returned an incorrect number of gradients")


def engine_complaint(error: BaseException) -> str | None:
    """The engine's message when ``error`` says a backward method returned the wrong gradients, else None."""
    text = str(error)
    if isinstance(error, RuntimeError) and any(words in text for words in ENGINE_COMPLAINTS):
        return (f"autograd refused what backward returned: {text.splitlines()[0]} (return one gradient per "
                "input of forward, in forward's order, each with that input's shape; None for non-tensors)")
    return None


def _is_student_function(node: Any) -> type | None:
    """The student's Function class behind an autograd node, or None."""
    cls = getattr(node, "_forward_cls", None)
    if isinstance(cls, type) and issubclass(cls, torch.autograd.Function) and not cls.__module__.startswith("torch"):
        return cls
    return None


def graph_nodes(root: Any) -> list[NodeRow]:
    """Every node of the autograd graph below ``root`` (each once, from the output down)."""
    rows: list[NodeRow] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        name = type(node).__name__
        cls = _is_student_function(node)
        if cls is not None:
            rows.append(("function", cls.__name__))
        elif name == "AccumulateGrad":
            rows.append(("leaf", name))
        elif name.startswith(SHAPE_NODE_PREFIXES):
            rows.append(("shape", name))
        else:
            rows.append(("autograd", name))
        stack.extend(next_node for next_node, _ in getattr(node, "next_functions", ()))
    return rows


def _function_class(student: Any, name: str) -> tuple[Any, str | None]:
    cls = _student_function(student, name)
    if not (isinstance(cls, type) and issubclass(cls, torch.autograd.Function)):
        return None, f"{name} is a {type(cls).__name__}, not a subclass of torch.autograd.Function"
    return cls, None


#: One ``apply`` of a Function: its arguments, and the gradient its output receives in the backward pass.
Application = tuple[list[Any], torch.Tensor]
#: An input a Function changed in place: (the application's index, "argument i" or "grad_out").
Mutation = tuple[int, str]


def _leaves(args: list[Any]) -> list[Any]:
    """``args`` with every tensor that requires a gradient replaced by a fresh leaf of the same values."""
    return [arg.detach().clone().requires_grad_() if isinstance(arg, torch.Tensor) and arg.requires_grad else arg
            for arg in args]


def _received(leaves: list[list[Any]], grads: list[torch.Tensor]) -> list[tuple[Mutation, torch.Tensor]]:
    """Every tensor the Functions receive, named: each application's tensor arguments and its ``grad_out``."""
    named = [((index, f"argument {position}"), arg) for index, args in enumerate(leaves)
             for position, arg in enumerate(args) if isinstance(arg, torch.Tensor)]
    return named + [((index, "grad_out"), grad) for index, grad in enumerate(grads)]


def changed_in_place(received: list[tuple[Mutation, torch.Tensor]], before: list[torch.Tensor]) -> list[Mutation]:
    """The received tensors whose values are no longer those of their snapshot ``before``."""
    return [name for (name, tensor), old in zip(received, before) if not torch.equal(tensor.detach(), old)]


# The error torch raises when a backward method writes into an expanded gradient with an operation that checks.
WRITES_INTO_EXPANDED = "more than one element of the written-to tensor refers to a single memory location"


def _output_problem(class_name: str, out: Any, grad: torch.Tensor) -> str | None:
    """Why ``out`` cannot be back-propagated with ``grad``, else None."""
    if not isinstance(out, torch.Tensor):
        return f"{class_name}.apply returned a {type(out).__name__}, not a tensor"
    if out.grad_fn is None:
        return f"{class_name}.apply returned a tensor autograd cannot trace back"
    if tuple(out.shape) != tuple(grad.shape):
        return f"{class_name}.apply returned shape {tuple(out.shape)}, expected {tuple(grad.shape)}"
    return None


@op
def own_function_gradients(student: Any, detector: Any, class_name: str,
                           applications: list[Application]) -> tuple[Any, dict]:
    """``student.class_name.apply(*args)`` for each application, then one backward pass through all outputs.

    Each output receives its application's gradient as the grader built it: an expanded tensor stays
    expanded and one tensor given to several outputs stays one tensor, as autograd does
    (``y.sum().backward()`` hands ``y``'s node ``torch.ones(()).expand(y.shape)``; ``y1 + y2`` hands
    both nodes the same gradient). Tensor arguments with ``requires_grad=True`` get gradients.

    Value: the outputs (detached), one per application. Extra: ``problem`` (why no backward pass
    could run, else None), ``node`` (the first output's autograd node as a graph row), ``grads``
    (per application, one per argument, None where none), ``autograd`` (autograd calls the backward
    methods made), ``mutated`` (``Mutation``s: inputs of forward or backward changed in place).
    """
    cls, problem = _function_class(student, class_name)
    if problem:
        return None, {"problem": problem}
    leaves = [_leaves(args) for args, _ in applications]
    grads = [grad for _, grad in applications]
    received = _received(leaves, grads)
    before = [tensor.detach().clone() for _, tensor in received]
    with detector:
        outs = [cls.apply(*args) for args in leaves]
    problems = [_output_problem(class_name, out, grad) for out, grad in zip(outs, grads)]
    detached = [out.detach() if isinstance(out, torch.Tensor) else out for out in outs]
    if any(problems):
        node = graph_nodes(outs[0].grad_fn)[0] if isinstance(outs[0], torch.Tensor) and outs[0].grad_fn else None
        return detached, {"problem": next(p for p in problems if p), "node": node}
    node = graph_nodes(outs[0].grad_fn)[0]
    guard = BackwardGuard(detector)
    try:
        run_backward(tuple(outs), tuple(grad.to(out.dtype) for out, grad in zip(outs, grads)), guard)
    except BaseException as error:
        if guard.autograd or detector.calls:
            return detached, {"problem": None, "node": node, "grads": [], "autograd": sorted(set(guard.autograd)),
                              "mutated": []}
        if engine_complaint(error):
            return detached, {"problem": engine_complaint(error), "node": node}
        if WRITES_INTO_EXPANDED in str(error):
            return detached, {"problem": None, "node": node, "grads": [], "autograd": [], "mutated": [
                (index, "grad_out") for index, grad in enumerate(grads) if 0 in grad.stride()]}
        raise
    result = [[leaf.grad.detach().clone() if isinstance(leaf, torch.Tensor) and leaf.requires_grad
               and leaf.grad is not None else None for leaf in args] for args in leaves]
    return detached, {"problem": None, "node": node, "grads": result, "autograd": [],
                      "mutated": changed_in_place(received, before)}


@op(calls=("OwnSmallCNN", "own_cross_entropy_loss"))
def own_cnn_gradients(student: Any, detector: Any, state: dict[str, torch.Tensor], x: torch.Tensor,
                      targets: torch.Tensor) -> tuple[Any, dict]:
    """``OwnSmallCNN`` in ``x``'s dtype with weights ``state`` (by name), the loss, then the backward pass.

    Value: the logits (detached; None on a weight mismatch). Extra: ``mismatch``, ``loss`` (what
    ``own_cross_entropy_loss`` returned, detached), ``problem`` (why no backward pass could run),
    ``grads`` (parameter name -> gradient or None), ``grad_x``, ``graph`` (the loss's autograd
    nodes, ``graph_nodes``), ``autograd`` (autograd calls made inside backward methods) and ``mutated`` (the
    parameters, or "the input images", that the forward or backward pass changed in place).
    """
    model = _instantiate(student, detector, "OwnSmallCNN").to(x.dtype)
    mismatch = load_by_name(model, state)
    if mismatch is not None:
        return None, {"mismatch": mismatch}
    loss_function = _student_function(student, "own_cross_entropy_loss")
    x = x.detach().clone().requires_grad_()
    received = [(name, parameter) for name, parameter in model.named_parameters()] + [("the input images", x)]
    before = [tensor.detach().clone() for _, tensor in received]
    with detector:
        logits = model(x)
        loss = loss_function(logits, targets)
    extra: dict[str, Any] = {"mismatch": None, "problem": None, "autograd": []}
    detached = logits.detach() if isinstance(logits, torch.Tensor) else logits
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0 or loss.grad_fn is None:
        what = f"a {type(loss).__name__}" if not isinstance(loss, torch.Tensor) else (
            f"a tensor of shape {tuple(loss.shape)}" if loss.dim() else "a 0-d tensor autograd cannot trace back")
        return detached, {**extra, "problem": f"own_cross_entropy_loss returned {what}; expected a 0-d tensor "
                          "with a gradient (CrossEntropyFunction.apply(logits, targets))"}
    extra["loss"] = loss.detach()
    extra["graph"] = graph_nodes(loss.grad_fn)
    guard = BackwardGuard(detector)
    try:
        run_backward((loss,), (torch.ones((), dtype=loss.dtype),), guard)
    except BaseException as error:
        if guard.autograd or detector.calls:
            return detached, {**extra, "autograd": sorted(set(guard.autograd))}
        if engine_complaint(error):
            return detached, {**extra, "problem": engine_complaint(error)}
        raise
    extra["grads"] = {name: (p.grad.detach().clone() if p.grad is not None else None)
                      for name, p in model.named_parameters()}
    extra["grad_x"] = x.grad.detach().clone() if x.grad is not None else None
    extra["mutated"] = [name for (name, tensor), old in zip(received, before) if not torch.equal(tensor.detach(), old)]
    return detached, extra


@op(calls=("train_own_cnn",))
def own_cnn_training(student: Any, detector: Any, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
                     num_epochs: int, lr: float, momentum: float, seed: int) -> tuple[Any, dict]:
    """``train_own_cnn(OwnSmallCNN(), KitSGD(lr, momentum), batches, num_epochs)``, the model seeded with ``seed``.

    Value: what ``train_own_cnn`` returned. Extra ``state``: the trained weights by name (float32);
    ``steps``: how many times the optimizer stepped (one per batch and epoch when every epoch ran).
    """
    log: list[tuple[Any, ...]] = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _instantiate(student, detector, "OwnSmallCNN")
        optimizer = KitSGD(model.parameters(), lr=lr, momentum=momentum, log=log)
        train = _student_function(student, "train_own_cnn")
        with detector:
            value = train(model, optimizer, list(batches), num_epochs)
    state = {name: tensor.detach().to(torch.float32).clone() for name, tensor in model.state_dict().items()}
    return value, {"state": state, "steps": sum(event == ("optimizer.step",) for event in log)}



@op(calls=("OwnSmallCNN", "own_cross_entropy_loss", "train_own_cnn"))
def own_cnn_chain(student: Any, detector: Any) -> tuple[Any, dict]:
    """What ``cnnkit.grading.chain`` compares with the reference earlier modules and with the student's own:
    the network's loss and gradients on a fixed batch (weights seeded by parameter name), and one short
    training run's losses and weights."""
    from cnnkit.grading.chain import seeded_weights

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(4, 1, 28, 28, generator=generator, dtype=torch.float64)
    targets = torch.tensor([0, 3, 7, 9])
    model = seeded_weights(_instantiate(student, detector, "OwnSmallCNN"))
    logits, extra = own_cnn_gradients(student, detector, dict(model.state_dict()), x, targets)
    batches = [(x[:2].float(), targets[:2]), (x[2:].float(), targets[2:])]
    losses, trained = own_cnn_training(student, detector, batches, 1, 0.05, 0.0, 0)
    return logits, {"loss": extra.get("loss"), "grads": extra.get("grads"), "problem": extra.get("problem"),
                    "losses": losses, "state": trained["state"]}
