"""Exercise 7: the article's two MNIST models, and a small CNN of the kit's own.

``PlainNN`` and ``MNIST_CNN`` are the article's models ("Model 1" and "Model 2"): their
``__init__`` below is the article's, layer for layer and name for name, so weights saved from
the article's code load into yours (``model.load_state_dict``). You write ``forward``, in the
article's order. ``SmallCNN`` is not in the article: the kit adds it to show what the article's
CNN could have been.

``PlainNN`` (the article's Model 1) flattens each 1x28x28 image into 784 numbers:

    flatten (N, 784), fc1 (N, 512), ReLU, dropout, fc2 (N, 256), ReLU, dropout, fc3 (N, 10)

One ``self.dropout = nn.Dropout(0.5)`` module is used twice: a module with no parameters can
be called as often as you like, and each call draws a new mask. Every pixel has its own weight
into every hidden unit, and the net knows nothing about which pixels are neighbours.

``MNIST_CNN`` (the article's Model 2):

    conv1 (N, 32, 28, 28), ReLU, conv2 (N, 64, 28, 28), ReLU, pool (N, 64, 14, 14),
    flatten (N, 12544), fc1 (N, 128), ReLU, dropout (p = 0.25), fc2 (N, 10)

with ``self.dropout = nn.Dropout(0.25)`` applied **once**, after fc1's ReLU and before fc2.

Where the article is right, and where it is wrong (the kit keeps its models and corrects its text):

1. Output size. The article writes H_out = (H_in - k + 2p) / s + 1. The size is the *floor*
   of that division: (28 - 2) / 2 + 1 = 14, but (7 - 2) / 2 + 1 = 3.5 has no meaning, a
   7x7 map pooled 2x2 gives floor(5 / 2) + 1 = 3 (exercise 1).
2. 14x14, not 7x7. Both 3x3 convolutions have padding 1, so they keep 28x28, and the model
   pools **once**: 28x28 -> 14x14. The article's comment "after two poolings, the 28x28 image
   becomes 7x7" is wrong, while its code (``64 * 14 * 14``) is right.
3. Parameters. The article says the CNN has fewer parameters. Count them:

       PlainNN:   784*512+512 + 512*256+256 + 256*10+10                  =   535,818
       MNIST_CNN: (1*9+1)*32 + (32*9+1)*64 + 64*14*14*128+128 + 128*10+10 = 1,625,866  (3x more)

   Almost all of MNIST_CNN's weights sit in ``fc1`` (12,544 features x 128 units).
4. Dropout at inference. The article says weights are scaled by 1 - p at inference. That is
   the original formulation; ``nn.Dropout`` (and your exercise 5) is *inverted* dropout: in
   training the kept activations are scaled by 1 / (1 - p), and eval mode is the identity.

The article is right about the rest: the layers, their sizes, ReLU, where the dropout goes,
the single pooling, and logits out (``nn.CrossEntropyLoss`` applies log-softmax itself).

The contract of both ``forward`` methods (what the grader checks):

* input (N, 1, 28, 28), output (N, 10) logits (no softmax), for any batch size N;
* eval mode (``model.eval()``): dropout is the identity, so the output is the layers above
  without dropout;
* train mode (``model.train()``): dropout zeroes each activation of each sample independently
  with probability p, and scales the kept ones by 1 / (1 - p), at exactly the places listed
  above; every forward pass draws a new mask. ``self.dropout``, ``F.dropout(x, p,
  self.training)`` or your own exercise-5 ``dropout(x, p, self.training)`` all do this. The
  grader checks it statistically, so any random source is fine.

Flattening: the article's ``x.view(-1, 64 * 14 * 14)`` works on the tensors the grader sends,
but ``.view`` needs a contiguous tensor, and ``cnnkit compare`` trains with channels-last
tensors (faster convolutions), where it fails. ``torch.flatten(x, 1)`` (or ``x.reshape(...)``)
works for both, and keeps the batch size instead of inferring it from ``-1``.

``SmallCNN`` (the kit's addition) pools twice (the article's own 7x7 walkthrough) and uses
fewer channels, which shrinks ``fc1`` 16x: a fifth of the plain net's parameters (105,866),
no dropout:

    conv 1->16 (3x3, padding 1), ReLU, 2x2 max-pool     1x28x28 -> 16x14x14
    conv 16->32 (3x3, padding 1), ReLU, 2x2 max-pool    -> 32x7x7
    flatten (32*7*7 = 1568), linear -> 64, ReLU, linear -> 10
"""

# Exercise 7: A plain net and two CNNs. Worth 11 points: the public checks in
# graders/ give part of them; hidden checks of the same contract on more inputs, run when you
# submit, give the rest.
# Fill in every `raise NotImplementedError(...)`. Check your work with
#     pytest graders -m ex7_models
# Submit this file as ex7_models.py (see README.md, "Submitting").
# Rules every exercise shares:
#   - Never modify an argument in place (no `x += ...`, `x[...] = ...` or `x.mul_(...)` on an
#     input): the checks compare every input before and after each call.
#   - Return exactly the type and shape the contract names (a Python int where it says int, a tensor
#     of the input's dtype and device where it says tensor).
# Imports allowed: torch, torch.nn, torch.nn.functional, numpy, math, itertools, functools,
#     collections, collections.abc, dataclasses, typing, time, __future__, torch.nn.init, and your
#     own earlier exercises (ex1_output_size to ex6_softmax). Anything else (sys, os, ctypes,
#     importlib, torch's private or internal modules, exec/eval, ...) is flagged for review and
#     scores 0; the check reads your source before it runs.
# (Generated from solutions/ex7_models.py by `cnnkit stubs`.)

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class PlainNN(nn.Module):
    """The article's Model 1: 784 -> 512 -> 256 -> 10, ReLU then dropout (p=0.5) after each hidden layer."""

    def __init__(self) -> None:
        super().__init__()
        # The article's layers and names: keep them (the grader and load_state_dict rely on them).
        self.fc1 = nn.Linear(28 * 28, 512)
        self.fc2 = nn.Linear(512, 256)
        self.fc3 = nn.Linear(256, 10)
        self.dropout = nn.Dropout(0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) -> (N, 784) -> fc1, ReLU, dropout -> (N, 512) -> fc2, ReLU, dropout -> (N, 256) -> fc3 -> (N, 10)."""
        raise NotImplementedError("ex7_models: write PlainNN.forward")


class MNIST_CNN(nn.Module):
    """The article's Model 2: conv-ReLU-conv-ReLU-pool (14x14), flatten, fc1-ReLU, dropout (p=0.25), fc2."""

    def __init__(self) -> None:
        super().__init__()
        # The article's layers and names: keep them (the grader and load_state_dict rely on them).
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        # One pooling: 28x28 -> 14x14 (the article's comment says 7x7; its code is right).
        self.fc1 = nn.Linear(64 * 14 * 14, 128)
        self.fc2 = nn.Linear(128, 10)
        self.dropout = nn.Dropout(0.25)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) -> (N, 10).

        conv1, ReLU -> (N, 32, 28, 28); conv2, ReLU -> (N, 64, 28, 28); pool -> (N, 64, 14, 14);
        flatten -> (N, 12544); fc1, ReLU -> (N, 128); dropout; fc2 -> (N, 10).
        """
        raise NotImplementedError("ex7_models: write MNIST_CNN.forward")


class SmallCNN(nn.Module):
    """The kit's own design (not in the article), from the layer list in the module docstring: 105,866 parameters.

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
