"""Exercise 13: a CNN built from your own layers, forward and backward.

You have written every piece of a CNN's forward pass (``conv2d``, ``max_pool2d``, ``relu``,
``cross_entropy``: exercises 2, 3, 4 and 6) and the backward passes of the hard ones
(``conv2d_backward``, ``max_pool2d_backward``, ``cross_entropy_backward``: exercises 10 to 12).
Here they become layers autograd can use: a ``torch.autograd.Function`` pairs a forward pass with
the backward pass that goes with it.

    class Double(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):                 # runs without autograd recording anything inside
            return 2 * x
        @staticmethod
        def backward(ctx, grad_out):         # dL/dx from dL/dout
            return 2 * grad_out

    y = Double.apply(x)                      # never Double()(x) nor Double.forward(...)

``forward(ctx, *inputs)`` computes the output and keeps on ``ctx`` what the backward pass needs
(``ctx.save_for_backward(*tensors)`` for tensors, read back as ``ctx.saved_tensors``; plain
attributes such as ``ctx.stride = stride`` for the rest). ``backward(ctx, grad_out)`` returns one
gradient per input of ``forward``, in the same order, with each input's shape; ``None`` for inputs
that are not tensors needing a gradient (stride, kernel size, targets). When the loss calls
``backward()``, autograd calls your ``backward`` methods, last layer first: it no longer
differentiates the layers itself.

The five layers (shapes as in the earlier exercises):

* ``Conv2dFunction.apply(x, weight, bias, stride, padding)``: your ``conv2d``;
  backward: your ``conv2d_backward`` -> ``(grad_x, grad_weight, grad_bias, None, None)``.
* ``MaxPool2dFunction.apply(x, kernel_size, stride)``: your ``max_pool2d``;
  backward: your ``max_pool2d_backward`` -> ``(grad_x, None, None)``.
* ``ReLUFunction.apply(x)``: your ``relu``; backward: ``grad_out`` where ``x > 0``, else 0
  (0 at ``x == 0`` too, as PyTorch).
* ``LinearFunction.apply(x, weight, bias)``: ``x @ weight.T + bias`` for x (N, in), weight
  (out, in), bias (out,); its backward is new here: derive the three gradients from
  ``out[n, o] = sum_i x[n, i] * weight[o, i] + bias[o]`` as exercise 10 did for the convolution
  (each has the shape of its input; check them with your exercise-9 gradient checker).
* ``CrossEntropyFunction.apply(logits, targets)``: your ``cross_entropy`` (the batch mean, a 0-d
  tensor); backward: ``grad_loss * cross_entropy_backward(logits, targets)`` and ``None`` for the
  targets (``grad_loss`` is the 0-d gradient arriving at the loss, 1 when the loss is the end).

``OwnSmallCNN`` is exercise 7's ``SmallCNN`` (conv 1->16, ReLU, 2x2 max-pool, conv 16->32, ReLU,
2x2 max-pool, flatten, linear 1568->64, ReLU, linear 64->10) with the same parameters under the
same names (``conv1.weight``, ``conv1.bias``, ..., ``fc2.bias``), so a ``SmallCNN``'s state dict
loads into it and back. Its ``forward`` uses only your Functions (``flatten``/``reshape`` between
them is fine: it moves no numbers). ``own_cross_entropy_loss`` is the loss to train it with, and
``train_own_cnn`` trains it with your exercise-8 ``train_model``.

Torch's convolutions, pooling, ReLU, linear layers, softmax and cross-entropy are forbidden here,
including inside your Functions: every layer of this network is yours.

A ``backward`` method must leave ``grad_out`` (and the tensors it saved) as they came: autograd
may hand one gradient tensor to several layers (``y1 + y2`` sends the same tensor to both), or a
single number expanded to the output's shape (``y.sum().backward()`` sends
``torch.ones(()).expand(y.shape)``), so writing into it changes another layer's gradient, or all
its elements at once. Build each gradient as a new tensor.

What is checked: each Function's output and gradients against autograd of torch's layer (float64
to 1e-6 relative; float32 to 1e-4, dtype kept), with the gradient coming from your ``backward``
(its autograd node, and no autograd inside it), also with an expanded ``grad_out`` and with one
``grad_out`` shared by two outputs, and no input (``grad_out`` included) changed in place;
``OwnSmallCNN``'s logits, loss, parameter gradients and input gradient against ``SmallCNN`` with
the same weights (float32 and float64); that the network's graph holds only your Functions (no
layer differentiated by autograd); the state dict's names and shapes; and that ``train_own_cnn``
trains ``num_epochs`` epochs (one loss per epoch, one optimizer step per batch and epoch) and
teaches it to read digits: one epoch on the embedded MNIST sample (63 steps of SGD, batch 32) must
read at least 70 % of its 500 test digits (the reference: about 90 %, in about 5 s). That epoch
must finish within the 60 s limit of one call, so your earlier layers must be vectorised (unfold,
matmul, fold): a Python loop over every pixel is too slow here, though it passed its own exercise.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from ex2_conv2d import conv2d
from ex3_pooling import max_pool2d
from ex4_activations import relu
from ex6_softmax import cross_entropy
from ex8_training import train_model
from ex10_conv_backward import conv2d_backward
from ex11_pool_backward import max_pool2d_backward
from ex12_softmax_ce_backward import cross_entropy_backward
from torch import nn

IntOrPair = int | tuple[int, int]
Gradient = torch.Tensor | None


class Conv2dFunction(torch.autograd.Function):
    """Your ``conv2d`` with your ``conv2d_backward`` as its gradient."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, stride: IntOrPair = 1,
                padding: IntOrPair = 0) -> torch.Tensor:
        """x (N, C_in, H, W), weight (C_out, C_in, kH, kW), bias (C_out,) -> (N, C_out, H_out, W_out)."""
        ### BEGIN SOLUTION
        ctx.save_for_backward(x, weight)
        ctx.stride, ctx.padding = stride, padding
        return conv2d(x, weight, bias, stride, padding)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[Gradient, ...]:
        """grad_out (N, C_out, H_out, W_out) -> (grad_x, grad_weight, grad_bias, None, None)."""
        ### BEGIN SOLUTION
        x, weight = ctx.saved_tensors
        grad_x, grad_weight, grad_bias = conv2d_backward(grad_out, x, weight, ctx.stride, ctx.padding)
        return grad_x, grad_weight, grad_bias, None, None
        ### END SOLUTION


class MaxPool2dFunction(torch.autograd.Function):
    """Your ``max_pool2d`` with your ``max_pool2d_backward`` as its gradient."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, kernel_size: IntOrPair, stride: IntOrPair | None = None) -> torch.Tensor:
        """x (N, C, H, W) -> (N, C, H_out, W_out); ``stride=None`` means the kernel size."""
        ### BEGIN SOLUTION
        ctx.save_for_backward(x)
        ctx.kernel_size, ctx.stride = kernel_size, stride
        return max_pool2d(x, kernel_size, stride)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[Gradient, ...]:
        """grad_out (N, C, H_out, W_out) -> (grad_x (N, C, H, W), None, None)."""
        ### BEGIN SOLUTION
        (x,) = ctx.saved_tensors
        return max_pool2d_backward(grad_out, x, ctx.kernel_size, ctx.stride), None, None
        ### END SOLUTION


class ReLUFunction(torch.autograd.Function):
    """Your ``relu``; its gradient passes ``grad_out`` where the input was positive."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        """x (any shape) -> relu(x), same shape."""
        ### BEGIN SOLUTION
        ctx.save_for_backward(x)
        return relu(x)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> torch.Tensor:
        """grad_out (x's shape) -> grad_x: grad_out where x > 0, 0 elsewhere (x == 0 included)."""
        ### BEGIN SOLUTION
        (x,) = ctx.saved_tensors
        return grad_out * (x > 0).to(grad_out.dtype)
        ### END SOLUTION


class LinearFunction(torch.autograd.Function):
    """A fully connected layer, ``x @ weight.T + bias``, with its gradients written by hand."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """x (N, in), weight (out, in), bias (out,) -> (N, out)."""
        ### BEGIN SOLUTION
        ctx.save_for_backward(x, weight)
        return x @ weight.T + bias
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[Gradient, ...]:
        """grad_out (N, out) -> (grad_x (N, in), grad_weight (out, in), grad_bias (out,))."""
        ### BEGIN SOLUTION
        x, weight = ctx.saved_tensors
        return grad_out @ weight, grad_out.T @ x, grad_out.sum(dim=0)
        ### END SOLUTION


class CrossEntropyFunction(torch.autograd.Function):
    """Your ``cross_entropy`` (the batch mean) with your ``cross_entropy_backward`` as its gradient."""

    @staticmethod
    def forward(ctx: Any, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """logits (N, C), targets (N,) integers -> the mean loss, a 0-d tensor."""
        ### BEGIN SOLUTION
        ctx.save_for_backward(logits, targets)
        return cross_entropy(logits, targets)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Any, grad_loss: torch.Tensor) -> tuple[Gradient, ...]:
        """grad_loss (0-d) -> (grad_logits (N, C), None): the chain rule scales by grad_loss."""
        ### BEGIN SOLUTION
        logits, targets = ctx.saved_tensors
        return grad_loss * cross_entropy_backward(logits, targets), None
        ### END SOLUTION


class OwnSmallCNN(nn.Module):
    """Exercise 7's ``SmallCNN`` (same parameter names and shapes), run on your Functions only.

    ``nn.Conv2d`` and ``nn.Linear`` below only hold the parameters (initialised as PyTorch does);
    ``forward`` never calls them: it applies your Functions to their ``weight`` and ``bias``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(32 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) -> (N, 16, 14, 14) -> (N, 32, 7, 7) -> (N, 1568) -> (N, 64) -> (N, 10) logits."""
        ### BEGIN SOLUTION
        x = MaxPool2dFunction.apply(ReLUFunction.apply(Conv2dFunction.apply(x, self.conv1.weight, self.conv1.bias, 1, 1)), 2)
        x = MaxPool2dFunction.apply(ReLUFunction.apply(Conv2dFunction.apply(x, self.conv2.weight, self.conv2.bias, 1, 1)), 2)
        x = ReLUFunction.apply(LinearFunction.apply(torch.flatten(x, 1), self.fc1.weight, self.fc1.bias))
        return LinearFunction.apply(x, self.fc2.weight, self.fc2.bias)
        ### END SOLUTION


def own_cross_entropy_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The mean cross-entropy of logits (N, C) and targets (N,) through ``CrossEntropyFunction``: a 0-d tensor.

    A criterion for ``train_model``: ``criterion(logits, targets) -> scalar``.
    """
    ### BEGIN SOLUTION
    return CrossEntropyFunction.apply(logits, targets)
    ### END SOLUTION


def train_own_cnn(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loader: Iterable[tuple[torch.Tensor, torch.Tensor]],
    num_epochs: int,
) -> list[float]:
    """Train ``model`` (an ``OwnSmallCNN``) with your ``train_model`` and ``own_cross_entropy_loss``.

    Returns what ``train_model`` returns: one mean training loss per epoch.
    """
    ### BEGIN SOLUTION
    return train_model(model, optimizer, loader, num_epochs, criterion=own_cross_entropy_loss)
    ### END SOLUTION
