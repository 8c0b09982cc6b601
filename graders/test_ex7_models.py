"""Public checks for exercise 7: PlainNN, MNIST_CNN, SmallCNN and count_parameters.

The models run in the sandbox worker (``cnnkit.sandbox.ops``: ``model_structure``,
``model_forward``, ``count_parameters_of``). The grader chooses the weights, loads them into
your layers by position, and compares your forward pass with the documented layer list
written here with ``torch.nn.functional``. Small batches keep it fast.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F

from cnnkit import tolerances
from cnnkit.checks import Hint, check_int, check_tensor, fail
from cnnkit.sandbox import StudentCodeError
from cnnkit.sandbox.ops import build_count_model

Shape = tuple[int, ...]
Forward = Callable[[list[torch.Tensor], torch.Tensor], torch.Tensor]

# The documented parameter shapes of each model, in the order its layers are used.
PLAIN_SHAPES: list[Shape] = [(512, 784), (512,), (256, 512), (256,), (10, 256), (10,)]
MNIST_CNN_SHAPES: list[Shape] = [(32, 1, 3, 3), (32,), (64, 32, 3, 3), (64,), (128, 12544), (128,), (10, 128), (10,)]
SMALL_SHAPES: list[Shape] = [(16, 1, 3, 3), (16,), (32, 16, 3, 3), (32,), (64, 1568), (64,), (10, 64), (10,)]
DOCUMENTED_COUNTS = {"PlainNN": 535_818, "MNIST_CNN": 1_625_866, "SmallCNN": 105_866}


def random_weights(shapes: list[Shape], seed: int) -> list[torch.Tensor]:
    """Weights ~ N(0, 1/fan_in) (activations stay O(1), about half of them negative), biases ~ N(0, 0.1^2)."""
    generator = torch.Generator().manual_seed(seed)
    weights = []
    for shape in shapes:
        scale = 0.1 if len(shape) == 1 else (torch.Size(shape[1:]).numel()) ** -0.5
        weights.append(torch.randn(shape, generator=generator) * scale)
    return weights


def images(batch: int, seed: int) -> torch.Tensor:
    """(batch, 1, 28, 28) float32 standard-normal 'images'."""
    return torch.randn((batch, 1, 28, 28), generator=torch.Generator().manual_seed(seed))


# -- the documented forward passes, written with torch.nn.functional ------------------------------
def plain_forward(w: list[torch.Tensor], x: torch.Tensor, relu1: bool = True, relu2: bool = True) -> torch.Tensor:
    h = F.linear(x.flatten(1), w[0], w[1])
    h = F.linear(F.relu(h) if relu1 else h, w[2], w[3])
    return F.linear(F.relu(h) if relu2 else h, w[4], w[5])


def cnn_features(w: list[torch.Tensor], x: torch.Tensor, relu1: bool = True, relu2: bool = True) -> torch.Tensor:
    """conv-ReLU-conv-ReLU-pool -> (N, 64, 14, 14)."""
    h = F.conv2d(x, w[0], w[1], padding=1)
    h = F.conv2d(F.relu(h) if relu1 else h, w[2], w[3], padding=1)
    return F.max_pool2d(F.relu(h) if relu2 else h, 2)


def mnist_cnn_forward(w: list[torch.Tensor], x: torch.Tensor, relu1: bool = True, relu2: bool = True,
                      relu3: bool = True) -> torch.Tensor:
    """Eval mode: the two dropouts are the identity."""
    h = F.linear(cnn_features(w, x, relu1, relu2).flatten(1), w[4], w[5])
    return F.linear(F.relu(h) if relu3 else h, w[6], w[7])


def small_cnn_forward(w: list[torch.Tensor], x: torch.Tensor, relu3: bool = True, pool2: bool = True) -> torch.Tensor:
    h = F.max_pool2d(F.relu(F.conv2d(x, w[0], w[1], padding=1)), 2)
    h = F.relu(F.conv2d(h, w[2], w[3], padding=1))
    h = F.linear((F.max_pool2d(h, 2) if pool2 else h).flatten(1), w[4], w[5])
    return F.linear(F.relu(h) if relu3 else h, w[6], w[7])


def logit_hints(expected: torch.Tensor) -> list[Hint]:
    return [
        Hint("the output looks like probabilities: return logits (no softmax at the end; "
             "nn.CrossEntropyLoss applies log-softmax itself)", lambda: expected.softmax(dim=1)),
        Hint("the output looks like log-probabilities: return logits (no log_softmax at the end)",
             lambda: expected.log_softmax(dim=1)),
        Hint("a ReLU after the last layer: logits must be able to be negative", lambda: expected.relu()),
    ]


def student_forward(sub, class_name: str, weights: list[torch.Tensor], x: torch.Tensor, *, shape_hint: str,
                    train: bool = False, seed: int = 0) -> torch.Tensor:
    """Run ``class_name`` in the worker with ``weights``; explain weight mismatches and shape errors."""
    what = f"{class_name}.forward"
    try:
        got, extra = sub.op("model_forward", class_name, weights, x, train=train, seed=seed)
    except StudentCodeError as error:
        if error.exc_type == "RuntimeError" and ("shape" in str(error) or "size" in str(error)):
            fail(what, f"failed on a batch {tuple(x.shape)}: {error}", hint=shape_hint)
        raise
    if extra.get("mismatch"):
        fail(f"{class_name}.__init__", f"the layers do not match the documented ones: {extra['mismatch']}")
    return got


def parameter_count(shapes: list[Shape]) -> int:
    return sum(torch.Size(shape).numel() for shape in shapes)


# -- PlainNN -----------------------------------------------------------------------------------
@pytest.mark.points(2)
@pytest.mark.parametrize("batch", [1, 3])
def test_plain_nn_forward(sub, batch):
    """PlainNN: fc3(relu(fc2(relu(fc1(flatten(x)))))), batch of 1 and of 3."""
    w, x = random_weights(PLAIN_SHAPES, seed=batch), images(batch, seed=10 + batch)
    expected = plain_forward(w, x)
    got = student_forward(sub, "PlainNN", w, x,
                          shape_hint="flatten each image to 784 numbers and keep the batch axis: x.flatten(1)")
    check_tensor(got, expected, what="PlainNN.forward (expected fc3(relu(fc2(relu(fc1(flatten(x)))))))",
                 case=f"x {tuple(x.shape)}, seeded weights", tol=tolerances.MODEL32, hints=[
                     Hint("ReLU missing after fc1", lambda: plain_forward(w, x, relu1=False)),
                     Hint("ReLU missing after fc2", lambda: plain_forward(w, x, relu2=False)),
                     Hint("no ReLU at all: without it the three layers collapse into one linear map",
                          lambda: plain_forward(w, x, relu1=False, relu2=False)),
                     *logit_hints(expected)])


# -- MNIST_CNN --------------------------------------------------------------------------------
MNIST_CNN_SHAPE_HINT = ("pool exactly once, after the second conv-ReLU: 28x28 -> 14x14, so fc1 receives "
                        "64*14*14 = 12,544 features (pooling twice gives 7x7 = 3,136; never pooling gives 50,176)")


@pytest.mark.points(2)
def test_mnist_cnn_forward(sub):
    """MNIST_CNN in eval mode on a batch of 2 (dropout is the identity in eval mode)."""
    w, x = random_weights(MNIST_CNN_SHAPES, seed=3), images(2, seed=4)
    expected = mnist_cnn_forward(w, x)
    got = student_forward(sub, "MNIST_CNN", w, x, shape_hint=MNIST_CNN_SHAPE_HINT)
    check_tensor(got, expected, what="MNIST_CNN.forward (expected fc2(relu(fc1(flatten(pool(relu(conv2(relu(conv1(x)))))))))",
                 case=f"x {tuple(x.shape)}, seeded weights, eval mode", tol=tolerances.MODEL32, hints=[
                     Hint("ReLU missing after conv1", lambda: mnist_cnn_forward(w, x, relu1=False)),
                     Hint("ReLU missing after conv2", lambda: mnist_cnn_forward(w, x, relu2=False)),
                     Hint("ReLU missing after fc1", lambda: mnist_cnn_forward(w, x, relu3=False)),
                     *logit_hints(expected)])


# -- SmallCNN ---------------------------------------------------------------------------------
@pytest.mark.points(1)
def test_small_cnn_layers(sub):
    """SmallCNN's parameters, in creation order: conv1 16x1x3x3, conv2 32x16x3x3, fc1 64x1568, fc2 10x64."""
    structure, _ = sub.op("model_structure", "SmallCNN")
    got = [tuple(shape) for _, shape, _ in structure["parameters"]]
    names = [name for name, _, _ in structure["parameters"]]
    total = f"{parameter_count(got):,} parameters in all, expected {DOCUMENTED_COUNTS['SmallCNN']:,}"
    for index, (name, shape, expected) in enumerate(zip(names, got, SMALL_SHAPES)):
        if shape != expected:
            fail("SmallCNN.__init__", f"parameter {index} ({name}) has shape {shape}, expected {expected} ({total})",
                 hint="create conv1 (1->16), conv2 (16->32), fc1 (32*7*7=1568 -> 64), fc2 (64 -> 10) "
                      "in this order, all with biases")
    if len(got) != len(SMALL_SHAPES):
        fail("SmallCNN.__init__", f"{len(got)} parameter tensors, expected {len(SMALL_SHAPES)} "
             f"(shapes {SMALL_SHAPES})", hint="four layers with a weight and a bias each; pooling and ReLU have none")
    check_int(parameter_count(got), DOCUMENTED_COUNTS["SmallCNN"], what="SmallCNN parameter count")


@pytest.mark.points(2)
def test_small_cnn_forward(sub):
    """SmallCNN: two conv-ReLU-pool stages (16 then 32 channels), fc1-ReLU, fc2; batch of 3."""
    w, x = random_weights(SMALL_SHAPES, seed=5), images(3, seed=6)
    expected = small_cnn_forward(w, x)
    got = student_forward(sub, "SmallCNN", w, x, shape_hint="pool after each conv-ReLU: 28 -> 14 -> 7, "
                          "so fc1 receives 32*7*7 = 1,568 features")
    check_tensor(got, expected, what="SmallCNN.forward", case=f"x {tuple(x.shape)}, seeded weights",
                 tol=tolerances.MODEL32, hints=[
                     Hint("ReLU missing after fc1", lambda: small_cnn_forward(w, x, relu3=False)),
                     *logit_hints(expected)])


# -- count_parameters ---------------------------------------------------------------------------
def trusted_count(kind: str, frozen: tuple[int, ...] = ()) -> int:
    return sum(p.numel() for p in build_count_model(kind, frozen).parameters() if p.requires_grad)


def count_hints(kind: str, frozen: tuple[int, ...]) -> list[Hint]:
    model = build_count_model(kind, frozen)
    return [
        Hint("frozen parameters (requires_grad=False) were counted: count only trainable ones",
             lambda: sum(p.numel() for p in model.parameters())),
        Hint("buffers were counted (state_dict() holds buffers such as BatchNorm's running mean, "
             "and a shared layer twice): use model.parameters()",
             lambda: sum(t.numel() for t in model.state_dict().values())),
        Hint("that is the number of parameter *tensors*: add up p.numel() instead",
             lambda: sum(1 for p in model.parameters() if p.requires_grad)),
    ]


COUNT_CASES = [
    ("linear", (), "nn.Linear(7, 3)"),
    ("mlp", (), "Linear(5, 4), ReLU, Linear(4, 3), ReLU, Linear(3, 2)"),
    ("no_parameters", (), "nn.Sequential(nn.ReLU(), nn.Flatten()): no parameters"),
    ("conv_batchnorm", (), "Conv2d(2, 3, 3), BatchNorm2d(3) (BatchNorm has buffers, which are not parameters)"),
    ("shared", (), "one Linear(4, 4) used twice in a Sequential (count it once)"),
    ("mlp", (0, 1), "the same MLP with its first layer frozen (requires_grad=False)"),
]


@pytest.mark.points(1)
def test_count_parameters(sub):
    """count_parameters on small kit models: plain, frozen, parameter-free, with buffers, shared."""
    for kind, frozen, description in COUNT_CASES:
        got, _ = sub.op("count_parameters_of", kind, frozen)
        check_int(got, trusted_count(kind, frozen), what="count_parameters", case=description,
                  hints=count_hints(kind, frozen))


@pytest.mark.points(1)
@pytest.mark.parametrize("class_name", ["PlainNN", "MNIST_CNN"])
def test_documented_counts(sub, class_name):
    """count_parameters(PlainNN()) = 535,818 and count_parameters(MNIST_CNN()) = 1,625,866."""
    got, _ = sub.op("count_parameters_of", f"student:{class_name}")
    check_int(got, DOCUMENTED_COUNTS[class_name], what="count_parameters", case=f"{class_name}()")
