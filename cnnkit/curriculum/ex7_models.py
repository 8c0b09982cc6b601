"""Exercise 7's worker operations: build the student's ``nn.Module`` classes in the worker (a module
object cannot travel back), report their parameter shapes, run them with weights the grader chose
(loaded by position, or by name like ``load_state_dict``; in eval or train mode, one or several
forward passes), and count the parameters of kit-built models. ``HINTS``: what the feedback says
about the mistakes its graders recognise (``cnnkit.grading.hints``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from cnnkit.grading.hints import HintText
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


# =============================================================================================
# Hints (graders/test_ex7_models.py and the hidden checks recognise the mistakes; the words are here)
# =============================================================================================
_LOGITS = "end forward with the last linear layer: nothing after it"
_DROPOUT_MODULE = ("call the model's own dropout module (it follows the model's train and eval mode), or "
                   "exercise 5's dropout with the model's training flag")
_POOL_THEN_FLATTEN = "then flatten every axis but the batch axis (torch.flatten from axis 1) before fc1"

HINTS: Mapping[str, HintText] = {
    # -- the layers and the forward passes --
    "article_layers_changed": HintText(
        "the layers are not the article's: its saved weights load by name, so __init__ keeps its layers and "
        "their attribute names",
        "keep the __init__ the exercise gives and write only forward"),
    "plain_nn_flatten": HintText(
        "a layer got a tensor of the wrong size: PlainNN's fc1 takes each 28x28 image as 784 numbers, one row "
        "per image",
        "flatten every axis but the batch axis before fc1 (torch.flatten from axis 1)"),
    "mnist_cnn_pool_once": HintText(
        "a layer got a tensor of the wrong size: MNIST_CNN pools exactly once, after the second conv-ReLU, so "
        "28x28 becomes 14x14 and fc1 receives 64*14*14 = 12,544 features (pooling twice gives 3,136; never "
        "pooling, 50,176)",
        f"apply the pooling layer once, after the second conv-ReLU, {_POOL_THEN_FLATTEN}"),
    "small_cnn_pool_twice": HintText(
        "a layer got a tensor of the wrong size: SmallCNN pools after each conv-ReLU, 28 -> 14 -> 7, so fc1 "
        "receives 32*7*7 = 1,568 features",
        f"pool after each of the two conv-ReLU stages, {_POOL_THEN_FLATTEN}"),
    "relu_missing_after_fc1": HintText(
        "the ReLU after fc1 is missing: every hidden layer's output goes through a ReLU before the next layer",
        "apply F.relu (or the model's ReLU module) to fc1's output"),
    "relu_missing_after_fc2": HintText(
        "the ReLU after fc2 is missing: every hidden layer's output goes through a ReLU before the next layer",
        "apply F.relu (or the model's ReLU module) to fc2's output"),
    "relu_missing_after_conv1": HintText(
        "the ReLU after conv1 is missing: each convolution's output goes through a ReLU",
        "apply F.relu (or the model's ReLU module) to conv1's output"),
    "relu_missing_after_conv2": HintText(
        "the ReLU after conv2 is missing: each convolution's output goes through a ReLU, before the pooling",
        "apply F.relu (or the model's ReLU module) to conv2's output"),
    "no_relu": HintText(
        "no ReLU at all: without a nonlinearity the three linear layers collapse into one linear map",
        "apply a ReLU to the output of every hidden layer (fc1 and fc2)"),
    "output_softmax": HintText(
        "the output looks like probabilities: the model returns logits, and nn.CrossEntropyLoss applies "
        "log-softmax itself", _LOGITS),
    "output_log_softmax": HintText(
        "the output looks like log-probabilities: the model returns raw logits, and the loss normalises them",
        _LOGITS),
    "relu_after_last_layer": HintText(
        "a ReLU after the last layer: logits must be able to be negative", _LOGITS),
    # -- dropout in train mode --
    "no_dropout_in_train": HintText(
        "no dropout in train mode: dropout is the identity only in eval mode; in training it drops units "
        "(PlainNN after each of its two hidden ReLUs, MNIST_CNN once after fc1's ReLU)",
        _DROPOUT_MODULE),
    "dropout_not_rescaled": HintText(
        "kept activations were not rescaled: inverted dropout divides them by 1 - p in training",
        _DROPOUT_MODULE),
    "dropout_scaled_by_keep_probability": HintText(
        "kept activations were multiplied by 1 - p: inverted dropout divides by 1 - p in training (the article's "
        "'scale by 1 - p' is the original dropout's rule, at inference)",
        _DROPOUT_MODULE),
    "dropout_other_p": HintText(
        "the dropout rate is the other model's: PlainNN drops with p = 0.5, MNIST_CNN with p = 0.25",
        "use the dropout module the given __init__ creates"),
    "dropout_applied_once": HintText(
        "dropout was applied once: the article applies PlainNN's dropout after both hidden ReLUs (fc1's and "
        "fc2's)",
        "call the same dropout module twice, after each hidden ReLU: each call draws a new mask"),
    "dropout_on_logits": HintText(
        "the logits themselves were zeroed: dropout acts on hidden units, never on the output",
        "apply dropout before the last linear layer, never after it"),
    "dropout_elsewhere": HintText(
        "dropout acts somewhere else than the article places it: the value is neither what a dropped nor what "
        "a kept unit gives, so dropout changed the activations themselves (on the input, or on the flattened "
        "features)",
        "apply dropout to the hidden activations only: PlainNN after each hidden ReLU, MNIST_CNN once after "
        "fc1's ReLU"),
    "dropout_rate": HintText(
        "the share of dropped units is not the model's: PlainNN drops with p = 0.5 after each of its two hidden "
        "ReLUs (a unit survives both with probability 1/4), MNIST_CNN with p = 0.25, once",
        "use the dropout module the given __init__ creates, at exactly the places the article applies it"),
    "mask_shared_by_batch": HintText(
        "one mask was shared by the whole batch: every sample needs its own random decisions",
        "draw the mask for the whole activation tensor, batch axis included"),
    "mask_repeated": HintText(
        "two forward passes dropped exactly the same units: dropout draws a new mask at every call",
        "do not re-seed a generator inside forward; the dropout module draws a fresh mask each time"),
    # -- SmallCNN's layers and count_parameters --
    "small_cnn_layer_shapes": HintText(
        "SmallCNN's layers are not the documented ones: two 3x3 convolutions (1 to 16, then 16 to 32 channels), "
        "then fc1 from 32*7*7 = 1,568 features to 64 units and fc2 from 64 to 10, all with biases",
        "create the four layers in the order they are used: the parameter list follows creation order"),
    "small_cnn_layer_count": HintText(
        "SmallCNN has four layers with parameters (two convolutions, two linear layers), each with a weight "
        "and a bias; pooling and ReLU have none",
        "create exactly those four layers in __init__, and no other layer with parameters"),
    "counted_frozen": HintText(
        "frozen parameters were counted: count only the ones training updates (requires_grad)",
        "filter the model's parameters by their requires_grad flag before adding up their sizes"),
    "counted_buffers": HintText(
        "buffers (BatchNorm's running statistics) were counted, or a shared layer twice: a state dict holds both",
        "iterate over Module.parameters, which holds each parameter once and no buffers"),
    "counted_tensors": HintText(
        "that is the number of parameter tensors: count their elements",
        "add up each parameter's Tensor.numel"),
}
