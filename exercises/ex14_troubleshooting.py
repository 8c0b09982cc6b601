"""Exercise 14: troubleshooting training: clipping, class weights, early stopping, augmentation, diagnosis.

The article ends with what goes wrong in practice ("Troubleshooting and Common Issues"): overfitting,
underfitting, exploding gradients, a learning rate too high or too low, class imbalance. Five of its
remedies and symptoms are small pieces of code; you write them here, and ``cnnkit compare`` uses them
(``--augment``, ``--early-stopping``, and the diagnosis it prints with ``--validation``).

Exploding gradients: clip the gradient norm
-------------------------------------------
``clip_grad_norm(parameters, max_norm, norm_type=2.0)`` measures all gradients together, as if every
``p.grad`` were flattened and the pieces joined into one vector, with the p-norm ``p = norm_type``:

    total = ( sum over the parameters of ||p.grad||_p ** p ) ** (1 / p)
    total = the largest |value| of any gradient                          (norm_type = inf)

and scales *every* gradient by the same factor

    max_norm / (total + 1e-6)     when that is below 1; otherwise the gradients stay as they are

(the 1e-6 keeps the factor finite when every gradient is 0). One factor for all keeps the direction
of the update and shortens it; clipping each parameter by its own norm would turn it. It returns
``total``, the norm *before* clipping, as a 0-d tensor in the gradients' dtype (``torch.tensor(0.0)``
when no parameter has a gradient). Parameters whose ``.grad`` is None are skipped and keep None.
``parameters`` is what ``model.parameters()`` gives, a generator, which can be gone through only
once; a list of tensors, or one tensor, works too. All gradients share one dtype.

This is the one function of the course that changes its input in place, as PyTorch's
``torch.nn.utils.clip_grad_norm_`` (the trailing underscore) does: each ``p.grad`` tensor is
multiplied in place, so it is still the same tensor object afterwards and whoever holds it sees the
clipped values; nothing else changes (not the parameters' values, not a ``.grad`` that is None).
The shared rule "never modify an argument in place" does not apply to ``.grad`` here.

Worked example: gradients [3, 4] and [0, 0, 12] have the 2-norm sqrt(9 + 16 + 144) = 13. With
``max_norm=1`` both are multiplied by 1 / (13 + 1e-6): [0.2308, 0.3077] and [0, 0, 0.9231], and 13 is
returned. With ``max_norm=20`` they stay as they are. Their inf-norm is 12.

Class imbalance: weigh the loss
-------------------------------
``weighted_cross_entropy(logits, targets, weight)``: logits (N, C), targets (N,) integers in [0, C),
weight (C,) (one weight per class) or None (every weight 1: exercise 6's plain mean). With
``l_n = logsumexp(logits[n]) - logits[n, targets[n]]`` (row n's cross-entropy) and
``w_n = weight[targets[n]]`` (the weight of row n's *target* class):

    loss = sum_n w_n * l_n / sum_n w_n

a weighted *mean*: the denominator is the sum of the targets' weights, not N. That is what
``nn.CrossEntropyLoss(weight=...)`` computes, the article's remedy for imbalance. A 0-d tensor in
logits' dtype, stable for logits in the thousands (as in exercise 6).

Worked example: logits [[2, 0], [0, 0], [0, 2]], targets [0, 0, 1], weight [1, 3]. The rows' losses
are 0.1269, 0.6931 and 0.1269; the loss is (0.1269 + 0.6931 + 3 * 0.1269) / (1 + 1 + 3) = 0.2402
(dividing by N = 3 instead would give 0.4003).

``class_weights(targets, num_classes)`` gives such weights from the labels: the inverse frequency,
normalised the "balanced" way,

    w_c = N / (num_classes * n_c)        n_c: how many of the N targets are class c

as a float32 tensor (num_classes,). A class twice as rare weighs twice as much; a balanced set gets
weight 1 for every class; every present class's samples add up to the same total weight
N / num_classes. A class absent from ``targets`` (n_c = 0) gets weight 0, never inf: it has no sample
to weigh, and an inf would turn any sum it enters into inf or NaN (inf * 0 is NaN).

Worked example: targets [0, 0, 0, 1] and 3 classes: counts [3, 1, 0], weights [4/9, 4/3, 0].

Overfitting: stop early, keep the best weights
----------------------------------------------
``EarlyStopping(patience, min_delta=0.0, mode="min")`` watches one validation number per epoch: the
validation loss with ``mode="min"`` (lower is better), an accuracy with ``mode="max"``. Call
``step(metric, model=None) -> bool`` once per epoch, in order; the first call is epoch 1.

* An epoch *improves* when its metric beats the best so far by more than ``min_delta``:
  ``metric < best - min_delta`` ("min") or ``metric > best + min_delta`` ("max"); the first epoch with
  a number improves. A tie, or a gain of ``min_delta`` or less, is no improvement, and NaN (a diverged
  run) never improves.
* On an improvement: ``best`` becomes the metric (a float), ``best_epoch`` this epoch's number, and,
  when a model is given, ``best_state`` a copy of ``model.state_dict()``: tensors that later training
  does not change (``state_dict()`` hands out the model's own tensors, which the next optimizer step
  overwrites). ``best``, ``best_epoch`` and ``best_state`` change only on an improvement.
* ``step`` returns True (stop) once ``patience`` epochs in a row have not improved, else False.

Before any improvement ``best`` is None, ``best_epoch`` 0 and ``best_state`` None. A ``mode`` other
than "min" or "max", ``patience`` below 1 or a negative ``min_delta`` raise ``ValueError``. After
stopping, ``model.load_state_dict(stopper.best_state)`` brings back the best epoch's weights.

Worked example: patience 2, validation losses 1.0, 0.8, 0.8, 0.9. Epoch 2 improves (best 0.8), epoch 3
ties (one epoch without improvement), epoch 4 is worse (two): ``step`` returns False, False, False,
True, and ``best_state`` holds epoch 2's weights.

Too little data: augment it
---------------------------
``random_shift(images, max_shift, generator=None, fill=0.0)`` moves each image of a batch (N, C, H, W)
by its own random offset (dy, dx): dy and dx are whole numbers drawn uniformly from ``-max_shift`` to
``max_shift`` (both included), independently, so all ``(2 * max_shift + 1) ** 2`` offsets are equally
likely for every image. Then

    out[n, :, y, x] = images[n, :, y - dy, x - dx]    where that pixel exists, else ``fill``

(pixels moved past the edge are dropped; all channels of an image move together). A digit moved by
two pixels is the same digit, so the label is kept, and the model learns that position does not
matter. Random numbers come from ``generator`` (a CPU ``torch.Generator``; None: torch's global
one), so a generator seeded the same gives the same offsets every time. The result has ``images``'
shape, dtype and device; ``images`` itself is not changed. For normalised MNIST the
background is (0 - 0.1307) / 0.3081 = -0.4242, the ``fill`` that ``cnnkit compare --augment`` passes.

Worked example: the 1x3x3 image [[1, 2, 3], [4, 5, 6], [7, 8, 9]] moved by (dy, dx) = (1, -1) with
fill 0 is [[0, 0, 0], [2, 3, 0], [5, 6, 0]].

Reading the curves: a diagnosis
-------------------------------
``diagnose(train_losses, val_losses, train_acc, val_acc)`` reads four curves with one value per
epoch (mean losses; accuracies in percent; at least two epochs, all four of the same length) and
names what the article's symptoms point to, checking in this order, the first that applies:

1. ``"lr_too_high"``: a loss (training or validation) is NaN or infinite;
2. ``"overfitting"``: the last training accuracy is more than ``gap`` points above the last
   validation accuracy;
3. ``"lr_too_high"``: a training loss is above ``explode`` (it blew up), or the training loss rose
   from one epoch to the next by more than ``rise`` times its previous value (it oscillates);
4. ``"lr_too_low"``: from the first epoch to the last, the training loss fell by less than
   ``min_drop`` times its first value;
5. ``"underfitting"``: the last training and validation accuracies are both below ``low_accuracy``;
6. ``"healthy"`` otherwise.

The thresholds are keyword arguments, made for MNIST's 10 classes: ``gap=10.0`` points,
``explode=10.0`` (more than four times ln 10 = 2.3, the loss of guessing uniformly), ``rise=0.25``,
``min_drop=0.10`` and ``low_accuracy=90.0`` percent; use the ones given. Worked example: training losses
[2.31, 2.30, 2.29] fell by 0.02, less than 0.10 * 2.31: ``"lr_too_low"`` (if the accuracies showed a
gap of more than 10 points, ``"overfitting"`` would come first).

What is checked
---------------
* ``clip_grad_norm``: the total norm and every clipped gradient against
  ``torch.nn.utils.clip_grad_norm_`` (float64 to 1e-7 relative, float32 to 1e-4) for 1 to 4 parameters
  of up to 3 dimensions, some without a gradient, norms 1, 2, 3 and inf, norms above and below
  ``max_norm``, one gradient a million times the others, gradients given as a list, a generator or
  one tensor; that each ``.grad`` is the same tensor object afterwards and that nothing else changed.
* ``weighted_cross_entropy``: against ``F.cross_entropy(..., weight=...)`` (tolerances as in
  exercise 6) for 1 to 16 rows, 1 to 10 classes, logits up to 1e4, weights with zeros, None.
* ``class_weights``: the formula above for random targets, absent classes included.
* ``EarlyStopping``: the worked examples, curves that improve then stall (ties, gains below
  ``min_delta``, both modes), random curves with plateaus and NaN (the decisions, ``best``,
  ``best_epoch`` and which epoch's weights ``best_state`` holds), and a real training run of a small
  network on the embedded MNIST sample: it must stop ``patience`` epochs after the lowest validation
  loss, and its ``best_state`` must bring that loss back.
* ``random_shift``: shape, dtype, the input unchanged; every image equal to the input
  moved by one allowed offset, with its pixels' total kept when the border is ``fill``; over 2,000
  images every offset appears, each about equally often (within 6 standard deviations) and
  independently per image; the same offsets from generators seeded alike.
* ``diagnose``: curves made to show each diagnosis (and to test the order of the rules), the
  curves of real short runs of the article's models on the embedded sample that the kit recorded
  (``datasets/diagnosis_curves.json``: dropout removed on 300 images, Adam at learning rates 1.0 and
  1e-6, SGD at 1.0, too much dropout or weight decay, the article's recipe), and other thresholds.
"""

# Exercise 14: Troubleshooting training. Worth 14 points: the public checks in
# graders/ give part of them; hidden checks of the same contract on more inputs, run when you
# submit, give the rest.
# Fill in every `raise NotImplementedError(...)`. Check your work with
#     pytest graders -m ex14_troubleshooting
# Submit this file as ex14_troubleshooting.py (see README.md, "Submitting").
# Rules every exercise shares:
#   - Never modify an argument in place (no `x += ...`, `x[...] = ...` or `x.mul_(...)` on an
#     input): the checks compare every input before and after each call.
#   - Return exactly the type and shape the contract names (a Python int where it says int, a tensor
#     of the input's dtype and device where it says tensor).
# Imports allowed: torch, torch.nn, torch.nn.functional, numpy, math, itertools, functools,
#     collections, collections.abc, dataclasses, typing, time, __future__, torch.optim,
#     torch.optim.lr_scheduler, torch.utils.data, copy, and your own earlier exercises
#     (ex1_output_size to ex13_own_cnn). Anything else (sys, os, ctypes, importlib, torch's private
#     or internal modules, exec/eval, ...) is flagged for review and scores 0; the check reads your
#     source before it runs.
# Forbidden here (detected while your code runs; using one scores 0 on this exercise):
#     torch functions and modules whose name contains *clip_grad_norm*, *clip_grad_value*, *clip_grads_with_norm*, *get_total_norm*, *cross_entropy*, *nll_loss*:
#     the exercise is to clip the gradients and weigh the loss yourself: torch's gradient clipping (clip_grad_norm_, clip_grad_value_, get_total_norm, clip_grads_with_norm_) and cross-entropy are forbidden; torch.linalg.vector_norm and torch.logsumexp are allowed.
# (Generated from solutions/ex14_troubleshooting.py by `cnnkit stubs`.)

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import torch
from torch import nn

Parameters = torch.Tensor | Iterable[torch.Tensor]
#: What ``diagnose`` may answer.
DIAGNOSES: tuple[str, ...] = ("overfitting", "underfitting", "lr_too_high", "lr_too_low", "healthy")


def clip_grad_norm(parameters: Parameters, max_norm: float, norm_type: float = 2.0) -> torch.Tensor:
    """Scale all gradients together so that their total ``norm_type``-norm is at most about ``max_norm``.

    Args:
        parameters: tensors whose ``.grad`` (any shape, or None: skipped) is clipped in place; a
            generator such as ``model.parameters()``, a list, or one tensor.
        max_norm: the largest total norm allowed.
        norm_type: p of the p-norm (``float("inf")``: the largest absolute value).

    Returns:
        The total norm of the gradients before clipping, a 0-d tensor in their dtype
        (``torch.tensor(0.0)`` when no parameter has a gradient).
    """
    raise NotImplementedError("ex14_troubleshooting: write clip_grad_norm")


def weighted_cross_entropy(logits: torch.Tensor, targets: torch.Tensor,
                           weight: torch.Tensor | None = None) -> torch.Tensor:
    """The class-weighted mean cross-entropy, ``F.cross_entropy(logits, targets, weight=weight)``.

    Args:
        logits: raw scores, shape (N, C).
        targets: correct class of each row, shape (N,), integers in [0, C).
        weight: one weight per class, shape (C,), or None (every class weighs 1).

    Returns:
        0-d tensor in ``logits``' dtype: ``sum_n w[t_n] * l_n / sum_n w[t_n]``.
    """
    raise NotImplementedError("ex14_troubleshooting: write weighted_cross_entropy")


def class_weights(targets: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Balanced inverse-frequency class weights ``N / (num_classes * n_c)``, 0 for an absent class.

    Args:
        targets: class labels, shape (N,), integers in [0, num_classes).
        num_classes: C, the number of classes.

    Returns:
        float32 tensor (num_classes,).
    """
    raise NotImplementedError("ex14_troubleshooting: write class_weights")


class EarlyStopping:
    """Says when to stop training (``patience`` epochs without improvement) and keeps the best weights.

    Attributes:
        best: the best metric so far (float), None before the first improvement.
        best_epoch: the number (from 1) of the epoch that set ``best``, 0 before.
        best_state: a copy of the model's ``state_dict()`` at ``best_epoch`` (dict of tensors), or None.
    """

    def __init__(self, patience: int = 3, min_delta: float = 0.0, mode: str = "min") -> None:
        """``patience`` >= 1 epochs without improvement stop; gains of ``min_delta`` >= 0 or less do not count;
        ``mode`` "min" (lower is better) or "max". ValueError otherwise."""
        raise NotImplementedError("ex14_troubleshooting: write EarlyStopping.__init__")

    def step(self, metric: float, model: nn.Module | None = None) -> bool:
        """Record one epoch's ``metric`` (and ``model``'s weights if it improved); True when training should stop."""
        raise NotImplementedError("ex14_troubleshooting: write EarlyStopping.step")


def random_shift(images: torch.Tensor, max_shift: int, generator: torch.Generator | None = None,
                 fill: float = 0.0) -> torch.Tensor:
    """Each image moved by its own random whole-pixel offset, each coordinate uniform in [-max_shift, max_shift].

    Args:
        images: a batch, shape (N, C, H, W).
        max_shift: the largest offset in pixels (>= 0), in each direction.
        generator: where the random offsets come from (None: torch's global generator).
        fill: the value of the pixels that come in from outside the image.

    Returns:
        The shifted batch: ``images``' shape, dtype and device.
    """
    raise NotImplementedError("ex14_troubleshooting: write random_shift")


def diagnose(train_losses: Sequence[float], val_losses: Sequence[float], train_acc: Sequence[float],
             val_acc: Sequence[float], *, gap: float = 10.0, explode: float = 10.0, rise: float = 0.25,
             min_drop: float = 0.10, low_accuracy: float = 90.0) -> str:
    """What the curves say: one of ``DIAGNOSES``, by the six rules of the module docstring, in order.

    Args:
        train_losses, val_losses: mean loss per epoch.
        train_acc, val_acc: accuracy per epoch, in percent.
        gap, explode, rise, min_drop, low_accuracy: the rules' thresholds.

    Returns:
        "lr_too_high", "overfitting", "lr_too_low", "underfitting" or "healthy".
    """
    raise NotImplementedError("ex14_troubleshooting: write diagnose")
