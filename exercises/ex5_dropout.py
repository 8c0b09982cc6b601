"""Exercise 5: (inverted) dropout.

During training, dropout zeroes each activation independently with probability ``p``, so the
network cannot rely on any single unit. The kept activations are **scaled up by 1 / (1 - p)
during training**, so that the expected value of every output equals its input:

    E[out] = (1 - p) * x / (1 - p) = x

Because the scaling already happens in training, **evaluation needs nothing**: in eval mode
dropout is the identity. (Some texts, the article this kit follows among them, describe the
older convention of scaling the weights by (1 - p) at inference. PyTorch's ``nn.Dropout`` and
``F.dropout`` do not: they scale by 1 / (1 - p) in training and pass inputs through unchanged
in eval. Write PyTorch's behaviour.)

Edge cases: p = 0 keeps everything (out equals x); p = 1 drops everything and must return
zeros, not NaN (1 / (1 - 1) would divide by zero). An int p (0 or 1) works like a float.

Worked example: x = [1., 2., 3., 4.], p = 0.5, and a mask that keeps positions 0 and 3 gives
[2., 0., 0., 8.]; in eval mode (``training=False``) the output is [1., 2., 3., 4.].

What is checked, for any shape (0-d too) and memory layout (non-contiguous views too), in
float64 and float32: the mask is random, so training mode is graded by what the output does, not
by which elements a particular random stream would drop: every element is 0 or x / (1 - p)
(relative 1e-6), the kept fraction is 1 - p and the mean over many draws is x (within 6
standard deviations), rows get their own masks, the gradient is mask / (1 - p), and two calls
with generators seeded alike give the same output. Draw the mask from ``generator`` however you
like (``torch.rand``, ``torch.bernoulli``, ``Tensor.uniform_``, any comparison with p).
"""

# Exercise 5: Inverted dropout. Worth 9 points: the public checks in
# graders/ give part of them; hidden checks of the same contract on more inputs, run when you
# submit, give the rest.
# Fill in every `raise NotImplementedError(...)`. Check your work with
#     pytest graders -m ex5_dropout
# Submit this file as ex5_dropout.py (see README.md, "Submitting").
# Rules every exercise shares:
#   - Never modify an argument in place (no `x += ...`, `x[...] = ...` or `x.mul_(...)` on an
#     input): the checks compare every input before and after each call.
#   - Return exactly the type and shape the contract names (a Python int where it says int, a tensor
#     of the input's dtype and device where it says tensor).
# Imports allowed: torch, torch.nn, torch.nn.functional, numpy, math, itertools, functools,
#     collections, collections.abc, dataclasses, typing, time, __future__, and your own earlier
#     exercises (ex1_output_size to ex4_activations). Anything else (sys, os, ctypes, importlib,
#     torch's private or internal modules, exec/eval, ...) is flagged for review and scores 0; the
#     check reads your source before it runs.
# Forbidden here (detected while your code runs; using one scores 0 on this exercise):
#     torch functions and modules whose name contains *dropout*:
#     the exercise is to build the dropout mask yourself (torch.rand or torch.bernoulli are fine).
# (Generated from solutions/ex5_dropout.py by `cnnkit stubs`.)

from __future__ import annotations

import torch


def dropout(
    x: torch.Tensor, p: float = 0.5, training: bool = True, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Inverted dropout, like ``F.dropout(x, p, training)``.

    Args:
        x: input of any shape.
        p: probability of zeroing each element, 0 <= p <= 1.
        training: when False, return ``x`` unchanged.
        generator: a ``torch.Generator`` for the random mask, or None for torch's default
            generator. Draw the mask from it (``generator=generator`` in ``torch.rand``,
            ``torch.bernoulli``, ...), so that a fixed generator gives a reproducible mask.

    Returns:
        Tensor of ``x``'s shape and dtype: each element is 0 (probability p) or
        ``x / (1 - p)`` (probability 1 - p).

    Raises:
        ValueError: if p is outside [0, 1].
    """
    raise NotImplementedError("ex5_dropout: write dropout")
