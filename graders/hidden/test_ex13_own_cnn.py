"""Hidden checks for exercise 13: odd arguments for each Function, float32, larger batches, another training run."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from cnnkit import tolerances
from cnnkit.grading.checks import fail
from graders.test_ex13_own_cnn import (
    GRADIENT32,
    LEAST_ACCURACY,
    SMALL_LAYERS,
    FunctionCase,
    NetworkCase,
    check_function,
    check_graph,
    check_network,
    check_training,
    cross_entropy_hints,
    grad,
    linear_hints,
    relu_hints,
    run_network,
)

ODD_CASES = [
    FunctionCase("Conv2dFunction", (grad((1, 2, 7, 6), 11), grad((3, 2, 3, 2), 12), grad((3,), 13), (2, 1), (1, 0)),
                 lambda x, w, b, s, p: F.conv2d(x, w, b, s, p),
                 "x (1, 2, 7, 6), weight (3, 2, 3, 2), bias (3,), stride=(2, 1), padding=(1, 0)"),
    FunctionCase("Conv2dFunction", (grad((2, 1, 5, 5), 14), grad((2, 1, 2, 2), 15), grad((2,), 16), 3, 0),
                 lambda x, w, b, s, p: F.conv2d(x, w, b, s, p),
                 "x (2, 1, 5, 5), weight (2, 1, 2, 2), bias (2,), stride=3 (pixels no window reads), padding=0"),
    FunctionCase("MaxPool2dFunction", (grad((2, 2, 7, 7), 17), 3, 2), lambda x, k, s: F.max_pool2d(x, k, s),
                 "x (2, 2, 7, 7), kernel_size=3, stride=2 (overlapping windows)"),
    FunctionCase("MaxPool2dFunction", (grad((1, 3, 5, 8), 18), (2, 3), None), lambda x, k, s: F.max_pool2d(x, k, s),
                 "x (1, 3, 5, 8), kernel_size=(2, 3), stride=None (unread last row and columns)"),
    FunctionCase("ReLUFunction", (torch.tensor([[-1.5, 0.0, 2.0], [0.0, 3.0, -0.0]], dtype=torch.float64)
                                  .requires_grad_(),), F.relu, "x [[-1.5, 0, 2], [0, 3, -0]] (exact zeros)",
                 hints=relu_hints),
    FunctionCase("LinearFunction", (grad((1, 4), 19), grad((6, 4), 20), grad((6,), 21)), F.linear,
                 "x (1, 4) (batch 1), weight (6, 4), bias (6,)", hints=linear_hints),
    FunctionCase("CrossEntropyFunction", (grad((6, 3), 22, scale=1e4), torch.tensor([0, 1, 2, 2, 1, 0])),
                 F.cross_entropy, "logits (6, 3) of scale 1e4, targets [0, 1, 2, 2, 1, 0], grad_loss 0.5",
                 grad_scale=0.5, hints=cross_entropy_hints),
]


@pytest.mark.points(1.5)
@pytest.mark.parametrize("case", ODD_CASES, ids=[f"{c.name}-{i}" for i, c in enumerate(ODD_CASES)])
def test_function_odd_arguments(sub, case):
    """Pair and large strides, overlapping and gapped pooling, exact zeros for ReLU, batch 1, logits of 1e4."""
    check_function(sub, case)


FLOAT32_CASES = [
    FunctionCase("Conv2dFunction", (grad((2, 3, 5, 5), 23, torch.float32), grad((2, 3, 3, 3), 24, torch.float32),
                                    grad((2,), 25, torch.float32), 1, 1),
                 lambda x, w, b, s, p: F.conv2d(x, w, b, s, p), "float32 x (2, 3, 5, 5), weight (2, 3, 3, 3), padding=1"),
    FunctionCase("LinearFunction", (grad((4, 5), 26, torch.float32), grad((3, 5), 27, torch.float32),
                                    grad((3,), 28, torch.float32)), F.linear, "float32 x (4, 5), weight (3, 5)"),
]


@pytest.mark.points(0.5)
@pytest.mark.parametrize("case", FLOAT32_CASES, ids=[c.name for c in FLOAT32_CASES])
def test_function_float32(sub, case):
    """float32 in, float32 out, gradients within float32 tolerance."""
    check_function(sub, case, tolerances.FLOAT32)


@pytest.mark.points(0.5)
def test_parameters_are_small_cnns(sub):
    """OwnSmallCNN's parameters: SmallCNN's names and shapes, all trainable; a SmallCNN state dict runs in it."""
    structure, _ = sub.op("model_structure", "OwnSmallCNN")
    got = [(name, tuple(shape)) for name, shape, _ in structure["parameters"]]
    if got != SMALL_LAYERS:
        fail("OwnSmallCNN.__init__", f"its parameters are {got}; expected SmallCNN's {SMALL_LAYERS}")
    if not all(trainable for _, _, trainable in structure["parameters"]):
        fail("OwnSmallCNN.__init__", "some parameters do not require gradients")
    if structure["buffers"]:
        fail("OwnSmallCNN.__init__", f"it has buffers {structure['buffers']}; SmallCNN has none")
    # ... and a SmallCNN's state dict, loaded by name, gives SmallCNN's logits.
    check_network(sub, NetworkCase(2, 44, torch.float32), tolerances.MODEL32, grads=False)


@pytest.mark.points(1.5)
@pytest.mark.parametrize("case", [NetworkCase(8, 40), NetworkCase(1, 41), NetworkCase(5, 42, torch.float32)],
                         ids=["batch8", "batch1", "float32"])
def test_gradients_more_batches(sub, case):
    """float64 batches of 8 and 1, and float32: every gradient as autograd's of SmallCNN."""
    tol = tolerances.GRADIENT64 if case.dtype == torch.float64 else GRADIENT32
    check_network(sub, case, tol)


@pytest.mark.points(0.5)
def test_every_layer_is_yours_float32(sub):
    """The graph of a float32 batch holds only your Functions too."""
    case = NetworkCase(3, 43, torch.float32)
    _, extra = run_network(sub, case)
    check_graph(extra["graph"], case)


@pytest.mark.points(1.5)
def test_training_two_epochs_another_shuffle(sub):
    """Another seed (initial weights and shuffle), batches of 64, two epochs over 1,000 digits: num_epochs is honoured
    (two losses, the second lower; 32 optimizer steps) and the network still reads the digits."""
    check_training(sub, seed=7, batch_size=64, least=LEAST_ACCURACY, num_epochs=2, digits=1000)
