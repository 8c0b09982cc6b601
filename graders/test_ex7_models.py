"""Public checks for exercise 7: PlainNN, MNIST_CNN, SmallCNN and count_parameters.

The models run in the sandbox worker (``cnnkit.sandbox.ops``: ``model_structure``,
``model_forward``, ``count_parameters_of``). The grader chooses the weights, loads them into
your layers by position, and compares your forward pass with the documented layer list
written here with ``torch.nn.functional``. Small batches keep it fast.

Dropout in train mode is graded by what it does, never by matching torch's random stream (any
correct dropout keeps full marks: ``self.dropout``, ``F.dropout``, the student's exercise-5
``dropout``): the grader chooses weights that make every dropout decision visible in the
logits (``DropoutProbe``) and checks where the zeros fall, how the kept values are scaled, and
that the dropped fraction is p, to within ``tolerances.DROPOUT_SIGMAS`` standard deviations.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import torch
import torch.nn.functional as F

from cnnkit import spec, tolerances
from cnnkit.curriculum.ex7_models import build_count_model
from cnnkit.grading.checks import Mistake, check_int, check_tensor, fail
from cnnkit.sandbox import StudentCodeError

Shape = tuple[int, ...]
Forward = Callable[[list[torch.Tensor], torch.Tensor], torch.Tensor]

# The article's layers (name, shape), in the order its __init__ creates them (= the order they are used).
PLAIN_LAYERS: list[tuple[str, Shape]] = [
    ("fc1.weight", (512, 784)), ("fc1.bias", (512,)), ("fc2.weight", (256, 512)), ("fc2.bias", (256,)),
    ("fc3.weight", (10, 256)), ("fc3.bias", (10,)),
]
MNIST_CNN_LAYERS: list[tuple[str, Shape]] = [
    ("conv1.weight", (32, 1, 3, 3)), ("conv1.bias", (32,)), ("conv2.weight", (64, 32, 3, 3)), ("conv2.bias", (64,)),
    ("fc1.weight", (128, 12544)), ("fc1.bias", (128,)), ("fc2.weight", (10, 128)), ("fc2.bias", (10,)),
]
ARTICLE_LAYERS = {"PlainNN": PLAIN_LAYERS, "MNIST_CNN": MNIST_CNN_LAYERS}
# The documented parameter shapes of each model, in the order its layers are used.
PLAIN_SHAPES: list[Shape] = [shape for _, shape in PLAIN_LAYERS]
MNIST_CNN_SHAPES: list[Shape] = [shape for _, shape in MNIST_CNN_LAYERS]
SMALL_SHAPES: list[Shape] = [(16, 1, 3, 3), (16,), (32, 16, 3, 3), (32,), (64, 1568), (64,), (10, 64), (10,)]
DOCUMENTED_COUNTS = spec.exercise("ex7_models").parameter_counts


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
    """Eval mode: dropout is the identity."""
    h = F.linear(cnn_features(w, x, relu1, relu2).flatten(1), w[4], w[5])
    return F.linear(F.relu(h) if relu3 else h, w[6], w[7])


def small_cnn_forward(w: list[torch.Tensor], x: torch.Tensor, relu3: bool = True, pool2: bool = True) -> torch.Tensor:
    h = F.max_pool2d(F.relu(F.conv2d(x, w[0], w[1], padding=1)), 2)
    h = F.relu(F.conv2d(h, w[2], w[3], padding=1))
    h = F.linear((F.max_pool2d(h, 2) if pool2 else h).flatten(1), w[4], w[5])
    return F.linear(F.relu(h) if relu3 else h, w[6], w[7])


def logit_hints(expected: torch.Tensor) -> list[Mistake]:
    """Outputs that are not logits (hints: ``HINTS`` in ``cnnkit/curriculum/ex7_models.py``)."""
    return [
        Mistake("output_softmax", lambda: expected.softmax(dim=1)),
        Mistake("output_log_softmax", lambda: expected.log_softmax(dim=1)),
        Mistake("relu_after_last_layer", lambda: expected.relu()),
    ]


# What a size error inside each model's forward most likely is (the layer sizes the model documents).
SHAPE_MISTAKES = {"PlainNN": "plain_nn_flatten", "MNIST_CNN": "mnist_cnn_pool_once", "SmallCNN": "small_cnn_pool_twice"}


def student_forward(sub, class_name: str, weights: list[torch.Tensor], x: torch.Tensor, *, train: bool = False,
                    seed: int = 0, repeats: int = 1) -> torch.Tensor:
    """Run ``class_name`` in the worker with ``weights`` (a list: by position; a dict: by name, like
    ``load_state_dict``); explain weight mismatches and shape errors."""
    what = f"{class_name}.forward"
    try:
        got, extra = sub.op("model_forward", class_name, weights, x, train=train, seed=seed, repeats=repeats)
    except StudentCodeError as error:
        if error.exc_type == "RuntimeError" and ("shape" in str(error) or "size" in str(error)):
            fail(what, f"failed on a batch {tuple(x.shape)}: {error}", mistake=SHAPE_MISTAKES[class_name])
        raise
    if extra.get("mismatch"):
        fail(f"{class_name}.__init__", f"the layers do not match the documented ones: {extra['mismatch']}")
    return got


def parameter_count(shapes: list[Shape]) -> int:
    return sum(torch.Size(shape).numel() for shape in shapes)


# -- dropout in train mode, made visible ---------------------------------------------------------
PROBED_UNITS = 10  # logit i reads hidden unit i of the layer dropout acts on


@dataclass(frozen=True)
class DropoutProbe:
    """Weights and images that make every dropout decision of a model visible in its logits.

    The last layer reads hidden unit i (i < 10) of the layer dropout acts on through an identity
    (its other weights are 0) plus a bias ``bias[i]``, and those units are kept well above 0 by a
    large bias of their own. So in eval mode logit i is ``active[:, i] + bias[i]``, and in train mode
    it is ``m * active[:, i] + bias[i]``, where ``m`` is the product of the dropout factors applied to
    that unit: 0 when dropped, ``1 / (1 - p)`` per dropout that kept it. Dropout anywhere else (on
    the input, on the logits, before fc1) gives values that are neither.
    """

    class_name: str
    weights: list[torch.Tensor]
    x: torch.Tensor
    active: torch.Tensor  # (N, 10): eval-mode activation of each read unit (> 0)
    bias: torch.Tensor  # (10,): the last layer's bias
    p: float  # drop probability of each dropout
    layers: int  # dropouts acting on a read unit one after the other (PlainNN 2, MNIST_CNN 1)
    place: str  # where the article applies it, for the feedback

    @property
    def keep_factor(self) -> float:
        return (1.0 / (1.0 - self.p)) ** self.layers

    @property
    def drop_rate(self) -> float:
        """Probability that a read unit ends up 0: dropped by at least one of the dropouts."""
        return 1.0 - (1.0 - self.p) ** self.layers

    @property
    def case(self) -> str:
        return (f"x {tuple(self.x.shape)}, model.train(), weights chosen so that logit i reads hidden unit i "
                f"(i < {PROBED_UNITS}) of the layer dropout acts on")


def _read_out(rows: int, columns: int, bias: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A last layer whose output i is its input i (i < 10) plus ``bias[i]``."""
    weight = torch.zeros(rows, columns)
    weight[:PROBED_UNITS, :PROBED_UNITS] = torch.eye(PROBED_UNITS)
    return weight, bias


def plain_probe(batch: int, seed: int) -> DropoutProbe:
    """PlainNN: fc2 passes units 0-9 of fc1 through (relu of a kept positive value is itself), fc3 reads them."""
    w, x = random_weights(PLAIN_SHAPES, seed), images(batch, seed + 1)
    bias = torch.linspace(-2.0, -1.1, PROBED_UNITS)
    w[1][:PROBED_UNITS] = 5.0  # units 0-9 of fc1: about N(5, 1), positive
    w[2], w[3] = _read_out(256, 512, torch.zeros(256))
    w[4], w[5] = _read_out(10, 256, bias)
    active = F.relu(F.linear(x.flatten(1), w[0], w[1]))[:, :PROBED_UNITS]
    return DropoutProbe("PlainNN", w, x, active, bias, p=0.5, layers=2,
                        place="after each of the two hidden ReLUs (self.dropout, p=0.5, used twice)")


def cnn_probe(batch: int, seed: int) -> DropoutProbe:
    """MNIST_CNN: fc2 reads units 0-9 of fc1's ReLU."""
    w, x = random_weights(MNIST_CNN_SHAPES, seed), images(batch, seed + 1)
    bias = torch.linspace(-2.0, -1.1, PROBED_UNITS)
    w[5][:PROBED_UNITS] = 5.0
    w[6], w[7] = _read_out(10, 128, bias)
    active = F.relu(F.linear(cnn_features(w, x).flatten(1), w[4], w[5]))[:, :PROBED_UNITS]
    return DropoutProbe("MNIST_CNN", w, x, active, bias, p=0.25, layers=1,
                        place="once, after fc1's ReLU and before fc2 (self.dropout, p=0.25)")


def _close(got: torch.Tensor, expected: torch.Tensor) -> torch.Tensor:
    tol = tolerances.MODEL32
    return (got - expected).abs() <= tol.atol + tol.rtol * expected.abs()


def _factor_mistake(factors: torch.Tensor, probe: DropoutProbe) -> str:
    """The known mistake (its id) when the factors kept units were multiplied by all come from one; "" if none."""
    kept = factors[factors.abs() > 1e-3]
    if kept.numel() == 0:
        return ""
    other_p = 0.5 if probe.p == 0.25 else 0.25
    mistakes = [  # each wrong answer: the factor every kept unit would be multiplied by
        Mistake("dropout_not_rescaled", lambda: 1.0),
        Mistake("dropout_scaled_by_keep_probability", lambda: (1.0 - probe.p) ** probe.layers),
        Mistake("dropout_other_p", lambda: (1.0 / (1.0 - other_p)) ** probe.layers),
    ]
    if probe.layers == 2:
        mistakes.append(Mistake("dropout_applied_once", lambda: 1.0 / (1.0 - probe.p)))
    return next((mistake.id for mistake in mistakes
                 if bool(_close(kept, torch.full_like(kept, mistake.wrong_answer())).all())), "")


def check_dropout(probe: DropoutProbe, got: torch.Tensor, pass_name: str = "") -> torch.Tensor:
    """Check one train-mode forward pass of ``probe``'s model; returns the dropped mask (N, 10)."""
    what = f"{probe.class_name}.forward in train mode{pass_name}"
    expected_shape = tuple(probe.active.shape)
    if not isinstance(got, torch.Tensor) or tuple(got.shape) != expected_shape or got.dtype != torch.float32:
        described = f"a tensor {tuple(got.shape)} {got.dtype}" if isinstance(got, torch.Tensor) else type(got).__name__
        fail(what, f"returned {described}; expected float32 logits {expected_shape}", probe.case)
    if not bool(torch.isfinite(got).all()):
        fail(what, "the output holds NaN or inf", probe.case)
    valid = probe.active > 0.5
    dropped = _close(got, probe.bias.expand_as(got))
    kept = _close(got, probe.bias + probe.keep_factor * probe.active)
    factors = (got - probe.bias) / probe.active
    if bool((_close(got, probe.bias + probe.active) | ~valid).all()):
        fail(what, f"the output equals the eval-mode output: no dropout was applied; the article applies it "
             f"{probe.place}", probe.case, mistake="no_dropout_in_train")
    other = valid & ~dropped & ~kept
    if bool(other.any()):
        n, i = (int(v) for v in other.nonzero()[0])
        logits_dropped = _close(got, torch.zeros_like(got)) | _close(got, probe.keep_factor * (probe.active + probe.bias))
        on_logits = bool(logits_dropped[valid].all())
        fail(what, f"logit [{n}, {i}] is {float(got[n, i]):.5f}; a dropped unit gives {float(probe.bias[i]):.5f} "
             f"(the bias alone), a kept one {float(probe.bias[i] + probe.keep_factor * probe.active[n, i]):.5f} "
             f"(its eval-mode value {float(probe.active[n, i]):.5f} x {probe.keep_factor:g}, the 1 / (1 - p) of "
             f"each dropout it went through)", probe.case,
             mistake=_factor_mistake(factors[valid & ~dropped], probe)
             or ("dropout_on_logits" if on_logits else "dropout_elsewhere"))
    count = int(valid.sum())
    rate = float((dropped & valid).sum()) / count
    spread = tolerances.DROPOUT_SIGMAS * math.sqrt(probe.drop_rate * (1 - probe.drop_rate) / count)
    if abs(rate - probe.drop_rate) > spread:
        fail(what, f"{rate:.1%} of the {count} probed activations were dropped; expected {probe.drop_rate:.1%} "
             f"(+- {spread:.1%}): p={probe.p}" + (f", applied {probe.layers} times" if probe.layers > 1 else ""),
             probe.case, mistake="dropout_rate")
    decided = (dropped & valid).float() - (kept & valid).float()  # +1 dropped, -1 kept, 0 not probed
    for i in range(PROBED_UNITS):
        column = decided[valid[:, i], i]
        if column.numel() > 20 and bool((column == column[0]).all()):
            fail(what, f"hidden unit {i} is {'dropped' if column[0] > 0 else 'kept'} in every one of the "
                 f"{column.numel()} samples of the batch", probe.case, mistake="mask_shared_by_batch")
    return dropped & valid


def check_article_layers(sub, class_name: str) -> None:
    """The article's layers, names and shapes (the given __init__), so the article's saved weights load by name."""
    structure, _ = sub.op("model_structure", class_name)
    got = [(name, tuple(shape)) for name, shape, _ in structure["parameters"]]
    expected = ARTICLE_LAYERS[class_name]
    if got != expected:
        wrong = next((f"{g[0]} {g[1]} where the article has {e[0]} {e[1]}" for g, e in zip(got, expected) if g != e),
                     f"{len(got)} parameter tensors instead of {len(expected)}")
        fail(f"{class_name}.__init__", f"the parameters are not the article's: {wrong}",
             mistake="article_layers_changed")


# -- PlainNN -----------------------------------------------------------------------------------
@pytest.mark.points(1.25)
@pytest.mark.parametrize("batch", [1, 3])
def test_plain_nn_forward(sub, batch):
    """PlainNN in eval mode: fc3(relu(fc2(relu(fc1(flatten(x)))))) (dropout is the identity), batch of 1 and of 3."""
    check_article_layers(sub, "PlainNN")
    w, x = random_weights(PLAIN_SHAPES, seed=batch), images(batch, seed=10 + batch)
    expected = plain_forward(w, x)
    got = student_forward(sub, "PlainNN", w, x)
    check_tensor(got, expected, what="PlainNN.forward in eval mode (expected fc3(relu(fc2(relu(fc1(flatten(x)))))))",
                 case=f"x {tuple(x.shape)}, seeded weights, model.eval()", tol=tolerances.MODEL32, hints=[
                     Mistake("relu_missing_after_fc1", lambda: plain_forward(w, x, relu1=False)),
                     Mistake("relu_missing_after_fc2", lambda: plain_forward(w, x, relu2=False)),
                     Mistake("no_relu", lambda: plain_forward(w, x, relu1=False, relu2=False)),
                     *logit_hints(expected)])


@pytest.mark.points(1)
def test_plain_nn_dropout_in_train_mode(sub):
    """PlainNN in train mode: dropout p=0.5 after each hidden ReLU (kept x2 each time, so x4 or 0), fresh per sample."""
    probe = plain_probe(batch=256, seed=20)
    got = student_forward(sub, "PlainNN", probe.weights, probe.x, train=True, seed=21)
    check_dropout(probe, got)


# -- MNIST_CNN --------------------------------------------------------------------------------
@pytest.mark.points(1.25)
def test_mnist_cnn_forward(sub):
    """MNIST_CNN in eval mode on a batch of 2 (dropout is the identity in eval mode)."""
    check_article_layers(sub, "MNIST_CNN")
    w, x = random_weights(MNIST_CNN_SHAPES, seed=3), images(2, seed=4)
    expected = mnist_cnn_forward(w, x)
    got = student_forward(sub, "MNIST_CNN", w, x)
    check_tensor(got, expected, what="MNIST_CNN.forward in eval mode (expected fc2(relu(fc1(flatten(pool(relu(conv2(relu(conv1(x)))))))))",
                 case=f"x {tuple(x.shape)}, seeded weights, model.eval()", tol=tolerances.MODEL32, hints=[
                     Mistake("relu_missing_after_conv1", lambda: mnist_cnn_forward(w, x, relu1=False)),
                     Mistake("relu_missing_after_conv2", lambda: mnist_cnn_forward(w, x, relu2=False)),
                     Mistake("relu_missing_after_fc1", lambda: mnist_cnn_forward(w, x, relu3=False)),
                     *logit_hints(expected)])


@pytest.mark.points(1)
def test_mnist_cnn_dropout_in_train_mode(sub):
    """MNIST_CNN in train mode: dropout p=0.25 once, after fc1's ReLU (kept x4/3 or 0), fresh per sample."""
    probe = cnn_probe(batch=64, seed=22)
    got = student_forward(sub, "MNIST_CNN", probe.weights, probe.x, train=True, seed=23)
    check_dropout(probe, got)


# -- SmallCNN ---------------------------------------------------------------------------------
@pytest.mark.points(0.5)
def test_small_cnn_layers(sub):
    """SmallCNN's parameters, in creation order: conv1 16x1x3x3, conv2 32x16x3x3, fc1 64x1568, fc2 10x64."""
    structure, _ = sub.op("model_structure", "SmallCNN")
    got = [tuple(shape) for _, shape, _ in structure["parameters"]]
    names = [name for name, _, _ in structure["parameters"]]
    total = f"{parameter_count(got):,} parameters in all, expected {DOCUMENTED_COUNTS['SmallCNN']:,}"
    for index, (name, shape, expected) in enumerate(zip(names, got, SMALL_SHAPES)):
        if shape != expected:
            fail("SmallCNN.__init__", f"parameter {index} ({name}) has shape {shape}, expected {expected} ({total})",
                 mistake="small_cnn_layer_shapes")
    if len(got) != len(SMALL_SHAPES):
        fail("SmallCNN.__init__", f"{len(got)} parameter tensors, expected {len(SMALL_SHAPES)} "
             f"(shapes {SMALL_SHAPES})", mistake="small_cnn_layer_count")
    check_int(parameter_count(got), DOCUMENTED_COUNTS["SmallCNN"], what="SmallCNN parameter count")


@pytest.mark.points(0.5)
def test_small_cnn_forward(sub):
    """SmallCNN: two conv-ReLU-pool stages (16 then 32 channels), fc1-ReLU, fc2; batch of 3."""
    w, x = random_weights(SMALL_SHAPES, seed=5), images(3, seed=6)
    expected = small_cnn_forward(w, x)
    got = student_forward(sub, "SmallCNN", w, x)
    check_tensor(got, expected, what="SmallCNN.forward", case=f"x {tuple(x.shape)}, seeded weights",
                 tol=tolerances.MODEL32, hints=[
                     Mistake("relu_missing_after_fc1", lambda: small_cnn_forward(w, x, relu3=False)),
                     *logit_hints(expected)])


# -- count_parameters ---------------------------------------------------------------------------
def trusted_count(kind: str, frozen: tuple[int, ...] = ()) -> int:
    return sum(p.numel() for p in build_count_model(kind, frozen).parameters() if p.requires_grad)


def count_hints(kind: str, frozen: tuple[int, ...]) -> list[Mistake]:
    """Known wrong counts of the kit model ``kind``."""
    model = build_count_model(kind, frozen)
    return [
        Mistake("counted_frozen", lambda: sum(p.numel() for p in model.parameters())),
        Mistake("counted_buffers", lambda: sum(t.numel() for t in model.state_dict().values())),
        Mistake("counted_tensors", lambda: sum(1 for p in model.parameters() if p.requires_grad)),
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


@pytest.mark.points(0.5)
@pytest.mark.parametrize("class_name", ["PlainNN", "MNIST_CNN"])
def test_documented_counts(sub, class_name):
    """count_parameters(PlainNN()) = 535,818 and count_parameters(MNIST_CNN()) = 1,625,866."""
    got, _ = sub.op("count_parameters_of", f"student:{class_name}")
    check_int(got, DOCUMENTED_COUNTS[class_name], what="count_parameters", case=f"{class_name}()")
