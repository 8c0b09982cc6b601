"""Exercise 7: the article's two MNIST models, and a small CNN you design.

``PlainNN`` flattens each 1x28x28 image into 784 numbers and feeds them through fully
connected layers: every input pixel has its own weight into every hidden unit, and the net
knows nothing about which pixels are neighbours.

``MNIST_CNN`` is the article's CNN: two 3x3 convolutions (padding 1, so the 28x28 size is kept)
with ReLU, **one** 2x2 max-pool (28x28 -> **14x14**; the article's comment says 7x7, but that
would need a second pooling layer), then fully connected layers. Count its parameters and you
find the other thing the article gets wrong: its CNN is *not* smaller than the plain net.

    PlainNN:   784*512+512 + 512*256+256 + 256*10+10                  =   535,818
    MNIST_CNN: (1*9+1)*32 + (32*9+1)*64 + 64*14*14*128+128 + 128*10+10 = 1,625,866  (3x more)

Almost all of MNIST_CNN's weights sit in ``fc1``, which connects 64*14*14 = 12,544 features to
128 units. Pooling twice (the article's own 7x7 walkthrough) shrinks that layer 4x; fewer
channels shrink it further. ``SmallCNN`` does both and needs a fifth of the plain net's
parameters (105,866):

    conv 1->16 (3x3, padding 1), ReLU, 2x2 max-pool     1x28x28 -> 16x14x14
    conv 16->32 (3x3, padding 1), ReLU, 2x2 max-pool    -> 32x7x7
    flatten (32*7*7 = 1568), linear -> 64, ReLU, linear -> 10

All three take a batch (N, 1, 28, 28) and return logits (N, 10): no softmax at the end,
``nn.CrossEntropyLoss`` applies log-softmax itself.
"""

# Exercise 7: A plain net and two CNNs.
# Fill in every `raise NotImplementedError(...)`. Check your work with
#     pytest graders -m ex7_models
# (Generated from solutions/ex7_models.py by `cnnkit stubs`.)

from __future__ import annotations

import torch
from torch import nn


class PlainNN(nn.Module):
    """Fully connected net: 784 -> 512 -> 256 -> 10 with ReLU between layers."""

    def __init__(self) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(28 * 28, 512)
        self.fc2 = nn.Linear(512, 256)
        self.fc3 = nn.Linear(256, 10)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) images -> (N, 10) logits: flatten, fc1, ReLU, fc2, ReLU, fc3."""
        raise NotImplementedError("ex7_models: write PlainNN.forward")


class MNIST_CNN(nn.Module):
    """The article's CNN: conv-ReLU-conv-ReLU-pool (14x14), dropout, fc-ReLU, dropout, fc."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.dropout1 = nn.Dropout(0.25)
        self.fc1 = nn.Linear(64 * 14 * 14, 128)
        self.dropout2 = nn.Dropout(0.5)
        self.fc2 = nn.Linear(128, 10)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) -> (N, 10).

        conv1, ReLU -> (N, 32, 28, 28); conv2, ReLU -> (N, 64, 28, 28); pool -> (N, 64, 14, 14);
        dropout1; flatten -> (N, 12544); fc1, ReLU -> (N, 128); dropout2; fc2 -> (N, 10).
        """
        raise NotImplementedError("ex7_models: write MNIST_CNN.forward")


class SmallCNN(nn.Module):
    """Your design, from the layer list in the module docstring: 105,866 parameters.

    Create the layers in ``__init__`` in the order they are used (conv1, conv2, then the two
    linear layers); the grader copies weights into your layers in that order.
    """

    def __init__(self) -> None:
        super().__init__()
        raise NotImplementedError("ex7_models: write SmallCNN.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) -> (N, 16, 14, 14) -> (N, 32, 7, 7) -> (N, 1568) -> (N, 64) -> (N, 10)."""
        raise NotImplementedError("ex7_models: write SmallCNN.forward")


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars in ``model`` (parameters with ``requires_grad``), as an int.

    Hint: every parameter is a tensor; ``p.numel()`` counts its entries.
    """
    raise NotImplementedError("ex7_models: write count_parameters")
