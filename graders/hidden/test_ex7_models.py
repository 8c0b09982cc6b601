"""Hidden checks for exercise 7: the reference and the article's own code as oracles, fresh dropout masks, freezing.

``ArticlePlainNN`` and ``ArticleCNN`` are the article's two models typed in from its text
("Model 1", "Model 2"), independently of the kit's solutions: weights saved from them must load
into the student's models by name, and give the same eval-mode logits.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from cnnkit import tolerances
from cnnkit.curriculum.ex7_models import load_by_position
from cnnkit.grading.checks import check_int, check_tensor, fail
from graders.test_ex7_models import (
    DOCUMENTED_COUNTS,
    MNIST_CNN_SHAPES,
    PLAIN_SHAPES,
    SMALL_SHAPES,
    check_dropout,
    cnn_probe,
    count_hints,
    images,
    logit_hints,
    plain_probe,
    random_weights,
    student_forward,
    trusted_count,
)

SHAPES = {"PlainNN": PLAIN_SHAPES, "MNIST_CNN": MNIST_CNN_SHAPES, "SmallCNN": SMALL_SHAPES}


def reference_output(ref, class_name: str, weights: list[torch.Tensor], x: torch.Tensor, train: bool = False,
                     seed: int = 0) -> torch.Tensor:
    """The reference model with ``weights``, run like the worker's ``model_forward`` op."""
    model = getattr(ref, class_name)()
    assert load_by_position(model, weights) is None
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        return model.train(train)(x)


@pytest.mark.points(1)
@pytest.mark.parametrize("class_name, batch", [("PlainNN", 4), ("MNIST_CNN", 3), ("SmallCNN", 4)])
def test_forward_matches_reference(sub, ref, class_name, batch):
    """Other weights and images than the public test; the reference solution is the oracle."""
    w, x = random_weights(SHAPES[class_name], seed=100 + batch), images(batch, seed=200 + batch) * 2.0
    expected = reference_output(ref, class_name, w, x)
    got = student_forward(sub, class_name, w, x)
    check_tensor(got, expected, what=f"{class_name}.forward", case=f"x {tuple(x.shape)}, seeded weights",
                 tol=tolerances.MODEL32, hints=logit_hints(expected))


# -- the article's code, as printed -----------------------------------------------------------------
class ArticlePlainNN(nn.Module):
    def __init__(self):
        super(ArticlePlainNN, self).__init__()
        # Input size is 28*28 = 784
        self.fc1 = nn.Linear(28 * 28, 512)
        self.fc2 = nn.Linear(512, 256)
        self.fc3 = nn.Linear(256, 10)
        self.dropout = nn.Dropout(0.5)

    def forward(self, x):
        # Flatten the image: x shape = [batch_size, 1, 28, 28] -> [batch_size, 784]
        x = x.view(-1, 28 * 28)
        x = F.relu(self.fc1(x))
        x = self.dropout(x)
        x = F.relu(self.fc2(x))
        x = self.dropout(x)
        x = self.fc3(x)
        return x


class ArticleCNN(nn.Module):
    def __init__(self):
        super(ArticleCNN, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(64 * 14 * 14, 128)
        self.fc2 = nn.Linear(128, 10)
        self.dropout = nn.Dropout(0.25)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = self.pool(x)  # Reduces spatial dimensions.
        x = x.view(-1, 64 * 14 * 14)  # Flatten the tensor.
        x = F.relu(self.fc1(x))
        x = self.dropout(x)
        x = self.fc2(x)
        return x


ARTICLE = {"PlainNN": ArticlePlainNN, "MNIST_CNN": ArticleCNN}


@pytest.mark.points(1)
@pytest.mark.parametrize("class_name", ["PlainNN", "MNIST_CNN"])
def test_article_weights_load_and_agree(sub, class_name):
    """A state_dict saved from the article's model loads by name (strict) and gives the article's eval-mode logits."""
    torch.manual_seed(30)
    article = ARTICLE[class_name]().eval()
    x = images(3, seed=31) * 1.5
    with torch.no_grad():
        expected = article(x)
    state = {name: tensor.clone() for name, tensor in article.state_dict().items()}
    got = student_forward(sub, class_name, state, x)
    check_tensor(got, expected, what=f"{class_name}.forward with the article's saved weights, eval mode",
                 case=f"x {tuple(x.shape)}, model.load_state_dict(state_dict of the article's {class_name})",
                 tol=tolerances.MODEL32, hints=logit_hints(expected))


PROBES = {"PlainNN": plain_probe, "MNIST_CNN": cnn_probe}


@pytest.mark.points(1)
@pytest.mark.parametrize("class_name, batch", [("PlainNN", 128), ("MNIST_CNN", 48)])
def test_new_mask_at_every_forward(sub, class_name, batch):
    """Two train-mode forward passes of one model: each is correct dropout, and their masks differ."""
    probe = PROBES[class_name](batch=batch, seed=40)
    got = student_forward(sub, class_name, probe.weights, probe.x, train=True, seed=41, repeats=2)
    first = check_dropout(probe, got[0], " (first of two passes)")
    second = check_dropout(probe, got[1], " (second of two passes)")
    if torch.equal(first, second):
        fail(f"{class_name}.forward in train mode", "two forward passes of the same model dropped exactly the same "
             "units", f"{probe.case}, two passes in a row", mistake="mask_repeated")


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
