"""Exercise 4: activation functions.

A stack of linear layers (and convolutions are linear) is still one linear map. An
element-wise non-linearity between layers is what lets a network bend its decision surface:

    relu(x)    = max(x, 0)                 cheap, no saturation for x > 0: the default in CNNs
    sigmoid(x) = 1 / (1 + exp(-x))         squashes to (0, 1)
    tanh(x)    = (exp(x) - exp(-x)) / (exp(x) + exp(-x))    squashes to (-1, 1), zero-centred

Written naively, the last two overflow: ``exp(1000)`` is ``inf`` in any float type, and
``inf / inf`` is NaN. A stable version never exponentiates a large positive number: for each
sign of x it uses an algebraically equal form whose exponent is <= 0.

Worked examples (float64):

    sigmoid([-700, 0, 2])      = [9.8597e-305, 0.5, 0.880797]
    tanh([1e-300, 0.5, -1000]) = [1e-300, 0.462117, -1.0]

What is checked, for each function:
    * values: finite and equal to PyTorch's for any finite x (+-1000 included), for any shape
      (0-d and empty too) and memory layout (non-contiguous views too), with ``x``'s shape and
      dtype (float32 stays float32);
    * accuracy in float64: relative error below 1e-9 everywhere, **also where the result is
      tiny**: ``tanh(1e-300)`` is 1e-300 and ``sigmoid(-700)`` is 9.86e-305, not 0. Formulas that
      subtract two numbers close to 1 there (``1 - exp(-2x)``, ``2 * sigmoid(2x) - 1``,
      ``1 - sigmoid(-x)``) lose those digits;
    * gradients through autograd: PyTorch's, finite at +-1000, and right at exactly x = 0
      (sigmoid'(0) = 0.25, tanh'(0) = 1). Note that torch's gradient of ``abs`` at 0, and of
      ``clamp`` at its bound, is 0: a formula that routes x through them loses the slope at 0.
      relu has no derivative at 0: any value in [0, 1] is accepted there.
"""

from __future__ import annotations

import torch


def relu(x: torch.Tensor) -> torch.Tensor:
    """Rectified linear unit, element-wise ``max(x, 0)``. Any shape -> same shape and dtype."""
    ### BEGIN SOLUTION
    return torch.where(x > 0, x, torch.zeros_like(x))
    ### END SOLUTION


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, element-wise; any shape -> same shape and dtype.

    Finite for any finite x, accurate far in the tails (relative error below 1e-9 in float64,
    sigmoid(-700) ~ 9.86e-305), gradient 0.25 at exactly 0. Note that ``torch.where`` evaluates
    and back-propagates through *both* of its branches, also where a branch is not selected.
    """
    ### BEGIN SOLUTION
    positive = 1 / (1 + torch.exp(-torch.where(x >= 0, x, 0.0)))
    exp_negative = torch.exp(torch.where(x < 0, x, 0.0))
    negative = exp_negative / (1 + exp_negative)
    return torch.where(x >= 0, positive, negative)
    ### END SOLUTION


def tanh(x: torch.Tensor) -> torch.Tensor:
    """Hyperbolic tangent, element-wise; any shape -> same shape and dtype.

    Finite for any finite x, accurate near 0 (relative error below 1e-9 in float64: tanh(1e-300)
    is 1e-300), gradient 1 at exactly 0. tanh is odd: ``tanh(-x) = -tanh(x)``.
    """
    ### BEGIN SOLUTION
    positive = torch.where(x >= 0, x, 0.0)
    negative = torch.where(x < 0, x, 0.0)
    tanh_positive = -torch.expm1(-2 * positive) / (1 + torch.exp(-2 * positive))
    tanh_negative = torch.expm1(2 * negative) / (1 + torch.exp(2 * negative))
    return torch.where(x >= 0, tanh_positive, tanh_negative)
    ### END SOLUTION
