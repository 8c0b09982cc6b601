"""Functions with known gradients, for grading exercise 9's gradient checker.

Each is a picklable callable ``f(x) -> 0-d tensor`` (or a Python float) that the grader sends
to the sandbox worker, where the student's ``numerical_gradient(f, x)`` calls it; ``gradient(x)``
is its exact gradient, computed on the trusted side. They hold their constants (weights, a
shape) so that a checker that calls ``f`` on a reshaped or flattened ``x`` fails loudly.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from cnnkit.grading.strategies import tensor


@dataclass(frozen=True)
class SumOfCubes:
    """``f(x) = sum(x^3)``; gradient ``3 x^2``. Its third derivative makes one-sided differences visibly wrong."""

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return (x * x * x).sum()

    def gradient(self, x: torch.Tensor) -> torch.Tensor:
        return 3 * x * x

    def __repr__(self) -> str:
        return "f(x) = sum(x^3)"


@dataclass(frozen=True)
class WeightedSine:
    """``f(x) = sum(W * sin(x))`` with ``W`` of a fixed shape; gradient ``W * cos(x)``."""

    shape: tuple[int, ...]
    seed: int

    def weights(self) -> torch.Tensor:
        return tensor(self.shape, self.seed)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape) != self.shape:
            raise ValueError(f"f expects x of shape {self.shape}, got {tuple(x.shape)} (call f on x's shape)")
        return (self.weights() * torch.sin(x)).sum()

    def gradient(self, x: torch.Tensor) -> torch.Tensor:
        return self.weights() * torch.cos(x)

    def __repr__(self) -> str:
        return f"f(x) = sum(W * sin(x)), W {self.shape}"


@dataclass(frozen=True)
class LogSumExp:
    """``f(x) = log(sum(exp(x)))`` over all entries; gradient: the softmax of all entries."""

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        top = x.max()
        return top + torch.log(torch.exp(x - top).sum())

    def gradient(self, x: torch.Tensor) -> torch.Tensor:
        exps = torch.exp(x - x.max())
        return exps / exps.sum()

    def __repr__(self) -> str:
        return "f(x) = log(sum(exp(x)))"


@dataclass(frozen=True)
class PythonFloat:
    """``f(x) = sum(x^2) / 2`` returned as a Python float; gradient ``x``."""

    def __call__(self, x: torch.Tensor) -> float:
        return float((x * x).sum()) / 2

    def gradient(self, x: torch.Tensor) -> torch.Tensor:
        return x.clone()

    def __repr__(self) -> str:
        return "f(x) = sum(x^2) / 2, returned as a Python float"


@dataclass(frozen=True)
class ConvLoss:
    """``f(w) = sum(G * conv2d(X, w))``: a convolution layer's loss as a function of its weights.

    What a student checks their own layer with. Gradient: PyTorch's, by autograd (trusted side).
    """

    x_shape: tuple[int, int, int, int]
    weight_shape: tuple[int, int, int, int]
    seed: int
    stride: int = 1
    padding: int = 0

    def _inputs(self) -> tuple[torch.Tensor, torch.Tensor]:
        x = tensor(self.x_shape, self.seed)
        out = torch.nn.functional.conv2d(x, torch.zeros(self.weight_shape, dtype=x.dtype), None, self.stride,
                                         self.padding)
        return x, tensor(tuple(out.shape), self.seed + 1)

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        x, g = self._inputs()
        return (torch.nn.functional.conv2d(x, w, None, self.stride, self.padding) * g).sum()

    def gradient(self, w: torch.Tensor) -> torch.Tensor:
        x, g = self._inputs()
        # f is linear in w: its gradient is the weight gradient of the convolution for grad_out g.
        return torch.nn.grad.conv2d_weight(x, self.weight_shape, g, self.stride, self.padding)

    def __repr__(self) -> str:
        return (f"f(w) = sum(G * conv2d(X, w, stride={self.stride}, padding={self.padding})), "
                f"X {self.x_shape}, w {self.weight_shape}")
