"""Exercise 12: the gradient of the softmax cross-entropy loss, by hand.

A classifier's training starts its backward pass at the loss. For logits ``z`` (N, C) and
targets ``t`` (N,), the mean cross-entropy of exercise 6 is

    L = (1/N) * sum_n ( logsumexp(z[n]) - z[n, t[n]] )

Differentiate one row: ``d logsumexp(z[n]) / d z[n, k] = softmax(z[n])_k`` and
``d z[n, t[n]] / d z[n, k]`` is 1 when ``k = t[n]``, else 0. So

    dL/dz = (softmax(z) - one_hot(t)) / N

Every row sums to 0 (probability mass moves from the wrong classes to the right one), and the
``1/N`` comes from the mean over the batch: forgetting it makes the gradient N times too large,
as if the loss were summed (the learning rate would have to shrink with the batch size).

Compute ``softmax`` stably, as in exercise 6: subtract each row's maximum before ``exp``, so
logits of 1e4 give a finite, exact gradient. Autograd, torch's softmax and cross-entropy are
forbidden here (``torch.logsumexp`` is allowed).

What is checked: equality with autograd's gradient of ``F.cross_entropy`` (float64 to 1e-6
relative, 1e-8 absolute; float32 to 1e-4, dtype kept) for 1 to 64 rows, 1 to 20 classes,
logits of scale 1 to 1e30, int64 or int32 targets.
"""

# Exercise 12: The gradient of softmax cross-entropy. Worth 8 points: the public checks in
# graders/ give part of them; hidden checks of the same contract on more inputs, run when you
# submit, give the rest.
# Fill in every `raise NotImplementedError(...)`. Check your work with
#     pytest graders -m ex12_softmax_ce_backward
# Submit this file as ex12_softmax_ce_backward.py (see README.md, "Submitting").
# Rules every exercise shares:
#   - Never modify an argument in place (no `x += ...`, `x[...] = ...` or `x.mul_(...)` on an
#     input): the checks compare every input before and after each call.
#   - Return exactly the type and shape the contract names (a Python int where it says int, a tensor
#     of the input's dtype and device where it says tensor).
# Imports allowed: torch, torch.nn, torch.nn.functional, numpy, math, itertools, functools,
#     collections, collections.abc, dataclasses, typing, time, __future__, and your own earlier
#     exercises (ex1_output_size to ex11_pool_backward). Anything else (sys, os, ctypes, importlib,
#     torch's private or internal modules, exec/eval, ...) is flagged for review and scores 0; the
#     check reads your source before it runs.
# Forbidden here (detected while your code runs; using one scores 0 on this exercise):
#     torch functions and modules whose name contains *softmax*, *cross_entropy*, *nll_loss*, *backward*, *softmin*:
#     the exercise is to write the gradient yourself from exp, max and sums; torch.autograd (backward(), torch.autograd.grad, torch.func) and torch's softmax are forbidden.
# (Generated from solutions/ex12_softmax_ce_backward.py by `cnnkit stubs`.)

from __future__ import annotations

import torch


def cross_entropy_backward(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Gradient of ``F.cross_entropy(logits, targets)`` (the batch mean) with respect to ``logits``.

    Args:
        logits: raw scores, shape (N, C).
        targets: correct class of each row, shape (N,), integers in [0, C).

    Returns:
        Tensor (N, C) in ``logits``' dtype: ``(softmax(logits, dim=1) - one_hot(targets)) / N``.
    """
    raise NotImplementedError("ex12_softmax_ce_backward: write cross_entropy_backward")
