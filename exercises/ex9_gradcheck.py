"""Exercise 9: a numerical gradient checker, to test the backward passes you write next.

The next exercises compute gradients by hand. Before trusting a hand-written gradient, compare
it with one estimated from function values alone. For a scalar function ``f`` of a tensor
``x``, the **central difference** estimates each partial derivative from two evaluations:

    df/dx[i]  ~  ( f(x + eps * e_i) - f(x - eps * e_i) ) / (2 * eps)

where ``e_i`` is 1 at element ``i`` and 0 elsewhere. Its error shrinks like ``eps^2``; the
one-sided difference ``(f(x + eps e_i) - f(x)) / eps`` is only accurate to ``eps`` (with
``eps = 1e-3`` that is the difference between 6 and 3 correct digits). Work in float64: in
float32 the rounding error of ``f`` divided by ``2 * eps`` swamps the estimate.

The checker **must not modify** ``x``: the caller goes on using it. Perturbing ``x`` in place
and subtracting ``eps`` back afterwards is not enough, because ``(x + eps) - eps`` is not
always ``x`` in floating point; perturb a copy, or save and restore the exact value.

To compare two gradients, use the largest elementwise **relative error**

    relative_error(a, b) = max_i |a_i - b_i| / max(|a_i| + |b_i|, 1e-8)

(the ``1e-8`` floor keeps entries where both are 0 from dividing by 0). A correct backward
pass in float64 typically gives 1e-10 or less; 1e-4 or more means a bug.

Using it on your own layers, e.g. the weights of a convolution::

    f = lambda w: (conv2d(x, w) * g).sum()      # the loss whose gradient is your grad_weight
    relative_error(numerical_gradient(f, w), conv2d_backward(g, x, w)[1])

Autograd (``backward()``, ``torch.autograd.grad``, ``torch.func``) is forbidden here: the point
is an estimate that does not trust any backward pass.

What is checked: on functions with known gradients (a sum of cubes, weighted sines,
log-sum-exp, a convolution layer's loss as a function of its weights), float64 tensors of 1 to
4 axes, any contiguity, the estimate at the default ``eps`` is within 1e-5 relative (1e-6
absolute) of the true gradient; with ``eps`` of 1e-2 to 1e-5 it equals the central-difference
formula to 1e-7 relative; ``f`` may return a 0-d tensor or a Python float; ``x`` is bit for bit
unchanged. ``relative_error`` matches its formula to 1e-7 and returns a Python float.
"""

# Exercise 9: A numerical gradient checker. Worth 10 points: the public checks in
# graders/ give part of them; hidden checks of the same contract on more inputs, run when you
# submit, give the rest.
# Fill in every `raise NotImplementedError(...)`. Check your work with
#     pytest graders -m ex9_gradcheck
# Submit this file as ex9_gradcheck.py (see README.md, "Submitting").
# Rules every exercise shares:
#   - Never modify an argument in place (no `x += ...`, `x[...] = ...` or `x.mul_(...)` on an
#     input): the checks compare every input before and after each call.
#   - Return exactly the type and shape the contract names (a Python int where it says int, a tensor
#     of the input's dtype and device where it says tensor).
# Imports allowed: torch, torch.nn, torch.nn.functional, numpy, math, itertools, functools,
#     collections, collections.abc, dataclasses, typing, time, __future__, and your own earlier
#     exercises (ex1_output_size to ex8_training). Anything else (sys, os, ctypes, importlib,
#     torch's private or internal modules, exec/eval, ...) is flagged for review and scores 0; the
#     check reads your source before it runs.
# Forbidden here (detected while your code runs; using one scores 0 on this exercise):
#     torch functions and modules whose name contains *backward*:
#     the exercise is to estimate gradients from function values alone; torch.autograd (backward(), torch.autograd.grad, torch.func) is forbidden too.
# (Generated from solutions/ex9_gradcheck.py by `cnnkit stubs`.)

from __future__ import annotations

from collections.abc import Callable

import torch

ScalarFunction = Callable[[torch.Tensor], "torch.Tensor | float"]


def numerical_gradient(f: ScalarFunction, x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Central-difference estimate of the gradient of ``f`` at ``x``.

    Args:
        f: a function of one tensor of ``x``'s shape returning a scalar (a 0-d tensor or a
            Python float). Call it with tensors of exactly ``x``'s shape.
        x: the point, any shape, float64 recommended. Not modified.
        eps: the step.

    Returns:
        Tensor of ``x``'s shape and dtype: entry ``i`` is
        ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``.
    """
    raise NotImplementedError("ex9_gradcheck: write numerical_gradient")


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """Largest elementwise relative error, ``max_i |a_i - b_i| / max(|a_i| + |b_i|, 1e-8)``.

    Args:
        a, b: tensors of the same shape.

    Returns:
        A Python float (0.0 when ``a`` equals ``b``).
    """
    raise NotImplementedError("ex9_gradcheck: write relative_error")
