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
    ### BEGIN SOLUTION
    point = x.detach().clone().contiguous()
    flat = point.view(-1)
    grad = torch.empty_like(flat)
    for index in range(flat.numel()):
        original = float(flat[index])
        flat[index] = original + eps
        above = float(f(point))
        flat[index] = original - eps
        below = float(f(point))
        flat[index] = original  # restore the exact value, not original + eps - eps
        grad[index] = (above - below) / (2 * eps)
    return grad.view(x.shape)
    ### END SOLUTION


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """Largest elementwise relative error, ``max_i |a_i - b_i| / max(|a_i| + |b_i|, 1e-8)``.

    Args:
        a, b: tensors of the same shape.

    Returns:
        A Python float (0.0 when ``a`` equals ``b``).
    """
    ### BEGIN SOLUTION
    difference = (a - b).abs()
    scale = (a.abs() + b.abs()).clamp(min=1e-8)
    return float((difference / scale).max())
    ### END SOLUTION
