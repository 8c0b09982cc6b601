"""Exercise 13's worker operations: the student's ``torch.autograd.Function``s and ``OwnSmallCNN``.

A module object cannot travel back to the trusted side, so everything that needs the student's
classes runs here, in the worker, and returns plain data (outputs, gradients, node names):

* ``own_function_gradients``: one Function's ``apply`` on the grader's inputs, then its backward.
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


class AutogradInBackward(RuntimeError):
    """Raised inside a student ``backward`` that calls autograd instead of computing the gradient."""


class BackwardGuard(TorchFunctionMode):
    """Active while autograd runs the student's ``backward`` methods.

    Autograd calls (names with ``backward``, ``torch.autograd.grad``, and any torch function that
    records a graph, which the engine called directly or a ``grad_fn`` would then run) are recorded in
    ``autograd`` and refused; the exercise's forbidden APIs go to ``detector.calls`` (the worker
    then reports the exercise as forbidden, as for any other call).
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
        result = func(*args, **(kwargs or {}))
        if isinstance(result, torch.Tensor) and result.grad_fn is not None:
            # A graph recorded inside backward (enable_grad) is for autograd's engine or a grad_fn called directly.
            self.autograd.append(f"a graph recorded through {qualified}")
            raise AutogradInBackward(f"autograd inside a backward method ({qualified} recorded a graph)")
        return result


def run_backward(outputs: tuple[torch.Tensor, ...], grads: tuple[torch.Tensor, ...], guard: BackwardGuard) -> None:
    """Back-propagate ``grads`` from ``outputs`` into the leaves' ``.grad``, the student's methods under ``guard``."""
    with guard:
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


@op
def own_function_gradients(student: Any, detector: Any, class_name: str, args: list[Any],
                           grad_out: torch.Tensor) -> tuple[Any, dict]:
    """``student.class_name.apply(*args)`` then its backward with ``grad_out``.

    Tensor arguments that arrive with ``requires_grad=True`` get gradients. Value: the output
    (detached). Extra: ``problem`` (why no backward pass could run, else None), ``node`` (the
    output's autograd node as a graph row), ``grads`` (one per argument, None where none),
    ``autograd`` (autograd calls the backward method made).
    """
    cls, problem = _function_class(student, class_name)
    if problem:
        return None, {"problem": problem}
    leaves = [arg.detach().clone().requires_grad_() if isinstance(arg, torch.Tensor) and arg.requires_grad else arg
              for arg in args]
    with detector:
        out = cls.apply(*leaves)
    if not isinstance(out, torch.Tensor):
        return out, {"problem": f"{class_name}.apply returned a {type(out).__name__}, not a tensor"}
    if out.grad_fn is None:
        return out.detach(), {"problem": f"{class_name}.apply returned a tensor autograd cannot trace back"}
    node = graph_nodes(out.grad_fn)[0]
    if tuple(out.shape) != tuple(grad_out.shape):
        return out.detach(), {"problem": f"{class_name}.apply returned shape {tuple(out.shape)}, expected "
                              f"{tuple(grad_out.shape)}", "node": node}
    guard = BackwardGuard(detector)
    try:
        run_backward((out,), (grad_out.to(out.dtype),), guard)
    except BaseException as error:
        if guard.autograd or detector.calls:
            return out.detach(), {"problem": None, "node": node, "grads": [], "autograd": sorted(set(guard.autograd))}
        if engine_complaint(error):
            return out.detach(), {"problem": engine_complaint(error), "node": node}
        raise
    grads = [leaf.grad.detach().clone() if isinstance(leaf, torch.Tensor) and leaf.requires_grad
             and leaf.grad is not None else None for leaf in leaves]
    return out.detach(), {"problem": None, "node": node, "grads": grads, "autograd": []}


@op(calls=("OwnSmallCNN", "own_cross_entropy_loss"))
def own_cnn_gradients(student: Any, detector: Any, state: dict[str, torch.Tensor], x: torch.Tensor,
                      targets: torch.Tensor) -> tuple[Any, dict]:
    """``OwnSmallCNN`` in ``x``'s dtype with weights ``state`` (by name), the loss, then the backward pass.

    Value: the logits (detached; None on a weight mismatch). Extra: ``mismatch``, ``loss`` (what
    ``own_cross_entropy_loss`` returned, detached), ``problem`` (why no backward pass could run),
    ``grads`` (parameter name -> gradient or None), ``grad_x``, ``graph`` (the loss's autograd
    nodes, ``graph_nodes``) and ``autograd`` (autograd calls made inside backward methods).
    """
    model = _instantiate(student, detector, "OwnSmallCNN").to(x.dtype)
    mismatch = load_by_name(model, state)
    if mismatch is not None:
        return None, {"mismatch": mismatch}
    loss_function = _student_function(student, "own_cross_entropy_loss")
    x = x.detach().clone().requires_grad_()
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
    return detached, extra


@op(calls=("train_own_cnn",))
def own_cnn_training(student: Any, detector: Any, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
                     num_epochs: int, lr: float, momentum: float, seed: int) -> tuple[Any, dict]:
    """``train_own_cnn(OwnSmallCNN(), KitSGD(lr, momentum), batches, num_epochs)``, the model seeded with ``seed``.

    Value: what ``train_own_cnn`` returned. Extra ``state``: the trained weights by name (float32).
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _instantiate(student, detector, "OwnSmallCNN")
        optimizer = KitSGD(model.parameters(), lr=lr, momentum=momentum)
        train = _student_function(student, "train_own_cnn")
        with detector:
            value = train(model, optimizer, list(batches), num_epochs)
    state = {name: tensor.detach().to(torch.float32).clone() for name, tensor in model.state_dict().items()}
    return value, {"state": state}

