"""Exercise 4: activation functions.

A stack of linear layers (and convolutions are linear) is still one linear map. An
element-wise non-linearity between layers is what lets a network bend its decision surface:

    relu(x)    = max(x, 0)                 cheap, no saturation for x > 0: the default in CNNs
    sigmoid(x) = 1 / (1 + exp(-x))         squashes to (0, 1)
    tanh(x)    = (exp(x) - exp(-x)) / (exp(x) + exp(-x))    squashes to (-1, 1), zero-centred

Written naively, the last two overflow: ``exp(1000)`` is ``inf`` in any float type, and
``inf / inf`` is NaN. A stable version only ever exponentiates a *non-positive* number,
``exp(-|x|)``, which lies in (0, 1], and picks the algebraically equal form per sign of x.
Your functions must return finite, correct values for x = +-1000 and keep ``x``'s shape and
dtype. They must also be differentiable (gradients finite at +-1000 too).
"""

from __future__ import annotations

import torch


def relu(x: torch.Tensor) -> torch.Tensor:
    """Rectified linear unit, element-wise ``max(x, 0)``. Any shape -> same shape and dtype.

    Hint: ``torch.where`` or ``clamp``.
    """
    ### BEGIN SOLUTION
    return torch.where(x > 0, x, torch.zeros_like(x))
    ### END SOLUTION


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, element-wise, finite for any finite x.

    Hint: ``1 / (1 + exp(-x))`` is safe for x >= 0 and the equal ``exp(x) / (1 + exp(x))``
    is safe for x < 0. ``torch.where`` picks one per element, but it still evaluates (and
    back-propagates through) *both*: feed each branch only its own half of the inputs,
    ``torch.where(x >= 0, x, 0)`` or ``torch.where(x < 0, x, 0)``, so that neither branch
    ever sees a huge exponent. (``exp(-|x|)`` and ``clamp`` look tempting but give the wrong
    gradient at exactly 0, where their own gradient is 0.)
    """
    ### BEGIN SOLUTION
    positive = 1 / (1 + torch.exp(-torch.where(x >= 0, x, 0.0)))
    exp_negative = torch.exp(torch.where(x < 0, x, 0.0))
    negative = exp_negative / (1 + exp_negative)
    return torch.where(x >= 0, positive, negative)
    ### END SOLUTION


def tanh(x: torch.Tensor) -> torch.Tensor:
    """Hyperbolic tangent, element-wise, finite for any finite x and accurate near 0.

    Hint: for x >= 0, ``tanh(x) = (1 - exp(-2x)) / (1 + exp(-2x))``, and tanh is odd:
    ``tanh(-x) = -tanh(x)``. ``torch.expm1(t)`` computes ``exp(t) - 1`` without losing digits
    when t is tiny. Split the input into halves for ``torch.where`` as in ``sigmoid``.
    """
    ### BEGIN SOLUTION
    positive = torch.where(x >= 0, x, 0.0)
    negative = torch.where(x < 0, x, 0.0)
    tanh_positive = -torch.expm1(-2 * positive) / (1 + torch.exp(-2 * positive))
    tanh_negative = torch.expm1(2 * negative) / (1 + torch.exp(2 * negative))
    return torch.where(x >= 0, tanh_positive, tanh_negative)
    ### END SOLUTION
