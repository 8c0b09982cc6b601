"""Exercise 6: softmax and cross-entropy, numerically stable.

A classifier's last layer outputs one unnormalised score ("logit") per class. Softmax turns a
vector of logits z into probabilities:

    softmax(z)_k = exp(z_k) / sum_j exp(z_j)

Softmax does not change when the same constant is added to every logit, so subtract the
largest logit first: then every exponent is <= 0, nothing overflows, and logits of 1e4 work.

Cross-entropy is the training loss for classification: the mean over the batch of the negative
log-probability given to the correct class. Taking ``log(softmax(z))`` directly underflows
(a probability of 1e-50 is 0 in float32 and log(0) = -inf), so use the log-sum-exp identity:

    -log softmax(z)_t = logsumexp(z) - z_t,    logsumexp(z) = m + log(sum_j exp(z_j - m)),  m = max_j z_j

``torch.nn.functional.cross_entropy`` (and ``nn.CrossEntropyLoss``) take raw logits, exactly
like yours: never apply softmax before them.

Writing log-sum-exp yourself is the lesson, but it is not a rule: ``torch.logsumexp`` is
allowed (it is not on the forbidden list below), and so is the log-softmax route
``softmax(z) = exp(z - logsumexp(z))``.

Worked examples:

    softmax([1., 2., 3.])        = [0.0900, 0.2447, 0.6652]   (and the same for [1001., 1002., 1003.])
    cross_entropy([[2., 0., -2.], [0., 0., 0.]], targets [0, 2]) = (0.1429 + 1.0986) / 2 = 0.6208

What is checked: PyTorch's values (float64 to 1e-7 relative, float32 to 1e-4) for any shape,
``dim`` and memory layout (non-contiguous views too), finite and correct at logits of +-1e4; float32 results at large logits are
compared within the rounding of the logits themselves (a float32 logit of 1e4 is only known to
~1e-3), so every stable formula passes. The loss is a 0-d tensor whose gradient with respect
to ``logits`` is PyTorch's.
"""

# Exercise 6: Softmax and cross-entropy. Worth 10 points: the public checks in
# graders/ give part of them; hidden checks of the same contract on more inputs, run when you
# submit, give the rest.
# Fill in every `raise NotImplementedError(...)`. Check your work with
#     pytest graders -m ex6_softmax
# Submit this file as ex6_softmax.py (see README.md, "Submitting").
# Rules every exercise shares:
#   - Never modify an argument in place (no `x += ...`, `x[...] = ...` or `x.mul_(...)` on an
#     input): the checks compare every input before and after each call.
#   - Return exactly the type and shape the contract names (a Python int where it says int, a tensor
#     of the input's dtype and device where it says tensor).
# Imports allowed: torch, torch.nn, torch.nn.functional, numpy, math, itertools, functools,
#     collections, collections.abc, dataclasses, typing, time, __future__, and your own earlier
#     exercises (ex1_output_size to ex5_dropout). Anything else (sys, os, ctypes, importlib, torch's
#     private or internal modules, exec/eval, ...) is flagged for review and scores 0; the check
#     reads your source before it runs.
# Forbidden here (detected while your code runs; using one scores 0 on this exercise):
#     torch functions and modules whose name contains *softmax*, *cross_entropy*, *nll_loss*, *softmin*:
#     the exercise is to write a stable softmax and cross-entropy yourself; amax, exp, log, gather, F.one_hot and torch.logsumexp are allowed.
# (Generated from solutions/ex6_softmax.py by `cnnkit stubs`.)

from __future__ import annotations

import torch


def softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax along ``dim`` (negative dims too); any shape -> same shape and dtype, entries in
    [0, 1] summing to 1 along ``dim``, finite for logits of any size."""
    raise NotImplementedError("ex6_softmax: write softmax")


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of a batch, like ``F.cross_entropy(logits, targets)``.

    Args:
        logits: raw scores, shape (N, C).
        targets: correct class of each row, shape (N,), integers in [0, C).

    Returns:
        A 0-dimensional tensor: ``mean_n( logsumexp(logits[n]) - logits[n, targets[n]] )``.
        Differentiable with respect to ``logits``; finite even when a target's probability
        underflows (logits 1e4 apart).
    """
    raise NotImplementedError("ex6_softmax: write cross_entropy")
