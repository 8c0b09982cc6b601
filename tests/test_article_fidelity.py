"""The kit's PlainNN and MNIST_CNN are the article's, layer for layer and step for step.

The article's two models are typed in below from its text (``shared/docs/source-article.txt``,
"Model 1" and "Model 2"), independently of ``solutions/ex7_models.py``. The test compares the
module structure (names, types, shapes, dropout rates) and the forward order, traced with
``torch.fx`` (every module call and function, in order), with the kit's solutions. The only
difference allowed is how the features are flattened: the article's ``x.view(-1, ...)`` and the
kit's ``torch.flatten(x, 1)`` compute the same thing (the kit's also works on the channels-last
tensors ``cnnkit compare`` trains with).
"""

from __future__ import annotations

import sys

import pytest
import torch
import torch.fx
import torch.nn as nn
import torch.nn.functional as F

from cnnkit import (
    paths,  # -- the article's code, as printed -------------------------------------------------------------
)


class PlainNN(nn.Module):
    def __init__(self):
        super(PlainNN, self).__init__()
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


class MNIST_CNN(nn.Module):
    def __init__(self):
        super(MNIST_CNN, self).__init__()
        # Convolutional layer 1: input channels=1, output channels=32, kernel size=3.
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3, padding=1)
        # Convolutional layer 2: input channels=32, output channels=64, kernel size=3.
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)
        # Max pooling layer (2x2) will reduce spatial dimensions.
        self.pool = nn.MaxPool2d(2, 2)
        # After two poolings, the 28x28 image becomes 7x7.
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


ARTICLE = {"PlainNN": PlainNN, "MNIST_CNN": MNIST_CNN}


@pytest.fixture(scope="module")
def kit():
    """The kit's reference ``ex7_models`` (solutions/)."""
    sys.modules.pop("ex7_models", None)
    sys.path.insert(0, str(paths.SOLUTIONS_DIR))
    try:
        import ex7_models
    finally:
        sys.path.remove(str(paths.SOLUTIONS_DIR))
    return ex7_models


def structure(model: nn.Module) -> list[tuple]:
    """Every submodule: name, type, and what defines it (shapes, kernel/stride/padding, dropout p)."""
    rows = []
    for name, module in model.named_modules():
        if not name:
            continue
        detail: tuple = ()
        if isinstance(module, nn.Linear):
            detail = (module.in_features, module.out_features, module.bias is not None)
        elif isinstance(module, nn.Conv2d):
            detail = (module.in_channels, module.out_channels, module.kernel_size, module.stride, module.padding)
        elif isinstance(module, nn.MaxPool2d):
            detail = (module.kernel_size, module.stride, module.padding)
        elif isinstance(module, nn.Dropout):
            detail = (module.p, module.inplace)
        rows.append((name, type(module).__name__, detail))
    return rows


def forward_steps(model: nn.Module) -> list[str]:
    """The forward pass as traced by torch.fx: module calls by name, functions by name, flattening as one step."""
    steps = []
    for node in torch.fx.symbolic_trace(model).graph.nodes:
        if node.op == "call_module":
            steps.append(f"module {node.target}")
        elif node.op == "call_function":
            name = getattr(node.target, "__name__", str(node.target))
            steps.append("flatten" if name == "flatten" else f"function {name}")
        elif node.op == "call_method":
            steps.append("flatten" if node.target in ("view", "reshape", "flatten") else f"method {node.target}")
    return steps


@pytest.mark.parametrize("name", ["PlainNN", "MNIST_CNN"])
def test_module_structure_is_the_articles(kit, name):
    assert structure(getattr(kit, name)()) == structure(ARTICLE[name]())


@pytest.mark.parametrize("name", ["PlainNN", "MNIST_CNN"])
def test_forward_order_is_the_articles(kit, name):
    assert forward_steps(getattr(kit, name)()) == forward_steps(ARTICLE[name]())


def test_forward_order_as_expected_from_the_text():
    """The traced order itself, so that a tracing change cannot make both sides agree on nothing."""
    assert forward_steps(MNIST_CNN()) == [
        "module conv1", "function relu", "module conv2", "function relu", "module pool", "flatten",
        "module fc1", "function relu", "module dropout", "module fc2",
    ]
    assert forward_steps(PlainNN()).count("module dropout") == 2


@pytest.mark.parametrize("name", ["PlainNN", "MNIST_CNN"])
def test_same_weights_same_outputs_in_both_modes(kit, name):
    """The article's state_dict loads into the kit's model; eval-mode logits and train-mode masks agree."""
    torch.manual_seed(0)
    article = ARTICLE[name]()
    ours = getattr(kit, name)()
    ours.load_state_dict(article.state_dict(), strict=True)
    x = torch.randn(4, 1, 28, 28)
    with torch.no_grad():
        assert torch.allclose(ours.eval()(x), article.eval()(x), atol=1e-6)
        for model in (ours, article):
            model.train()
        torch.manual_seed(1)
        expected = article(x)
        torch.manual_seed(1)
        assert torch.allclose(ours(x), expected, atol=1e-6)  # same layers, same order: same random stream


def test_small_cnn_is_the_kits_own(kit):
    assert "kit" in kit.SmallCNN.__doc__ and "not in the article" in kit.SmallCNN.__doc__
