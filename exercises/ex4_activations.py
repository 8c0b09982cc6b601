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

# Exercise 4: Activation functions. Worth 9 points: the public checks in
# graders/ give part of them; hidden checks of the same contract on more inputs, run when you
# submit, give the rest.
# Fill in every `raise NotImplementedError(...)`. Check your work with
#     pytest graders -m ex4_activations
# Submit this file as ex4_activations.py (see README.md, "Submitting").
# Rules every exercise shares:
#   - Never modify an argument in place (no `x += ...`, `x[...] = ...` or `x.mul_(...)` on an
#     input): the checks compare every input before and after each call.
#   - Return exactly the type and shape the contract names (a Python int where it says int, a tensor
#     of the input's dtype and device where it says tensor).
# Imports allowed: torch, torch.nn, torch.nn.functional, numpy, math, itertools, functools,
#     collections, collections.abc, dataclasses, typing, time, __future__, and your own earlier
#     exercises (ex1_output_size to ex3_pooling). Anything else (sys, os, ctypes, importlib, torch's
#     private or internal modules, exec/eval, ...) is flagged for review and scores 0; the check
#     reads your source before it runs.
# Forbidden here (detected while your code runs; using one scores 0 on this exercise):
#     torch functions and modules whose name contains *relu*, *sigmoid*, *tanh*, *expit*, *hardtanh*, *threshold*, *glu*, *silu*, *mish*, *gelu*, *softmax*, *softmin*:
#     the exercise is to write the activations from exp, where, clamp and arithmetic.
# (Generated from solutions/ex4_activations.py by `cnnkit stubs`.)

from __future__ import annotations

import torch


def relu(x: torch.Tensor) -> torch.Tensor:
    """Rectified linear unit, element-wise ``max(x, 0)``. Any shape -> same shape and dtype."""
    raise NotImplementedError("ex4_activations: write relu")


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, element-wise; any shape -> same shape and dtype.

    Finite for any finite x, accurate far in the tails (relative error below 1e-9 in float64,
    sigmoid(-700) ~ 9.86e-305), gradient 0.25 at exactly 0. Note that ``torch.where`` evaluates
    and back-propagates through *both* of its branches, also where a branch is not selected.
    """
    raise NotImplementedError("ex4_activations: write sigmoid")


def tanh(x: torch.Tensor) -> torch.Tensor:
    """Hyperbolic tangent, element-wise; any shape -> same shape and dtype.

    Finite for any finite x, accurate near 0 (relative error below 1e-9 in float64: tanh(1e-300)
    is 1e-300), gradient 1 at exactly 0. tanh is odd: ``tanh(-x) = -tanh(x)``.
    """
    raise NotImplementedError("ex4_activations: write tanh")
