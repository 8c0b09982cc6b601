"""Functions with known gradients, for grading exercise 9's gradient checker.

Each is a picklable callable ``f(x) -> 0-d tensor`` (or a Python float) that the grader sends
to the sandbox worker, where the student's ``numerical_gradient(f, x)`` calls it; ``gradient(x)``
is its exact gradient, computed on the trusted side. They hold their constants (weights, a
shape) so that a checker that calls ``f`` on a reshaped or flattened ``x`` fails loudly.
``HINTS``: what the feedback says about the mistakes its graders recognise (``cnnkit.grading.hints``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from cnnkit.grading.hints import HintText
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


# Hints (graders/test_ex9_gradcheck.py and the hidden checks recognise the mistakes; the words are here).
HINTS: Mapping[str, HintText] = {
    "one_sided_difference": HintText(
        "that is a one-sided difference: its error shrinks only like eps, the central difference's like eps "
        "squared",
        "evaluate f a step eps above and a step eps below the entry, and divide the difference of the two "
        "values by the distance between the two points"),
    "missing_factor_two": HintText(
        "off by a factor 2: the two points the central difference compares are 2 eps apart",
        "divide the difference of the two values by twice eps"),
    "perturbed_whole_tensor": HintText(
        "each entry of the gradient moves one element of x only (along its own unit vector), not the whole "
        "tensor",
        "loop over the elements of a flattened copy of x, moving one element at a time"),
    "x_changed_by_round_trip": HintText(
        "x changed: in floating point, adding eps and subtracting it again does not always give back the "
        "same number",
        "perturb a copy of x, or put back the saved original value after each evaluation"),
    "relative_error_zero_over_zero": HintText(
        "0 / 0 is NaN: where both entries are 0, the sum of their absolute values is 0",
        "floor the denominator at a small number (1e-8, as the docstring says) before dividing"),
}
