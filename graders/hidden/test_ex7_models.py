"""Hidden checks for exercise 7: the reference models as a second oracle, dropout in train mode, freezing."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from cnnkit import tolerances
from cnnkit.checks import Hint, check_int, check_tensor
from cnnkit.sandbox.ops import load_by_position
from graders.test_ex7_models import (
    DOCUMENTED_COUNTS,
    MNIST_CNN_SHAPE_HINT,
    MNIST_CNN_SHAPES,
    PLAIN_SHAPES,
    SMALL_SHAPES,
    count_hints,
    images,
    logit_hints,
    random_weights,
    student_forward,
    trusted_count,
)

SHAPES = {"PlainNN": PLAIN_SHAPES, "MNIST_CNN": MNIST_CNN_SHAPES, "SmallCNN": SMALL_SHAPES}
SHAPE_HINTS = {
    "PlainNN": "flatten each image to 784 numbers and keep the batch axis: x.flatten(1)",
    "MNIST_CNN": MNIST_CNN_SHAPE_HINT,
    "SmallCNN": "pool after each conv-ReLU: 28 -> 14 -> 7, so fc1 receives 32*7*7 = 1,568 features",
}


def reference_output(ref, class_name: str, weights: list[torch.Tensor], x: torch.Tensor, train: bool = False,
                     seed: int = 0) -> torch.Tensor:
    """The reference model with ``weights``, run like the worker's ``model_forward`` op."""
    model = getattr(ref, class_name)()
    assert load_by_position(model, weights) is None
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        return model.train(train)(x)


@pytest.mark.points(0.5)
@pytest.mark.parametrize("class_name, batch", [("PlainNN", 4), ("MNIST_CNN", 3), ("SmallCNN", 4)])
def test_forward_matches_reference(sub, ref, class_name, batch):
    """Other weights and images than the public test; the reference solution is the oracle."""
    w, x = random_weights(SHAPES[class_name], seed=100 + batch), images(batch, seed=200 + batch) * 2.0
    expected = reference_output(ref, class_name, w, x)
    got = student_forward(sub, class_name, w, x, shape_hint=SHAPE_HINTS[class_name])
    check_tensor(got, expected, what=f"{class_name}.forward", case=f"x {tuple(x.shape)}, seeded weights",
                 tol=tolerances.MODEL32, hints=logit_hints(expected))


@pytest.mark.points(0.5)
def test_mnist_cnn_dropout_in_train_mode(sub, ref):
    """In train mode MNIST_CNN applies dropout1 (p=0.25) after pooling and dropout2 (p=0.5) after fc1-ReLU."""
    w, x = random_weights(MNIST_CNN_SHAPES, seed=7), images(2, seed=8)
    expected = reference_output(ref, "MNIST_CNN", w, x, train=True, seed=11)
    got = student_forward(sub, "MNIST_CNN", w, x, shape_hint=MNIST_CNN_SHAPE_HINT, train=True, seed=11)
    check_tensor(got, expected, what="MNIST_CNN.forward in train mode", tol=tolerances.MODEL32,
                 case="x (2, 1, 28, 28), seeded weights, model.train(), torch.manual_seed(11)", hints=[
                     Hint("dropout is never applied: use self.dropout1 after pooling and self.dropout2 after "
                          "fc1's ReLU", lambda: reference_output(ref, "MNIST_CNN", w, x)),
                 ])


count_cases = st.one_of(
    st.tuples(st.just("mlp"), st.sets(st.integers(0, 5)).map(lambda s: tuple(sorted(s)))),
    st.tuples(st.just("conv_batchnorm"), st.sets(st.integers(0, 3)).map(lambda s: tuple(sorted(s)))),
)


@pytest.mark.points(0.5)
@given(case=count_cases)
def test_count_parameters_with_any_frozen_subset(sub, case):
    """Any subset of parameters frozen (positions in model.parameters() order)."""
    kind, frozen = case
    expected = trusted_count(kind, frozen)
    got, _ = sub.op("count_parameters_of", kind, frozen)
    check_int(got, expected, what="count_parameters", case=f"kit model {kind!r}, parameters {list(frozen)} frozen",
              hints=count_hints(kind, frozen))


@pytest.mark.points(0.5)
@pytest.mark.parametrize("frozen", [(), (0, 1)])
def test_count_parameters_of_small_cnn(sub, frozen):
    """count_parameters(SmallCNN()) = 105,866; with conv1 frozen, 160 fewer."""
    got, extra = sub.op("count_parameters_of", "student:SmallCNN", frozen)
    expected = DOCUMENTED_COUNTS["SmallCNN"] - (160 if frozen else 0)
    check_int(got, expected, what="count_parameters", case=f"SmallCNN(){' with conv1 frozen' if frozen else ''}")
