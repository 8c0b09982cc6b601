"""Exercise 8: the training loop and the evaluation loop.

One training step: zero the gradients left by the previous step, run the model on a batch,
compute the loss, back-propagate, let the optimizer update the weights. PyTorch *accumulates*
gradients in ``.grad``, so forgetting ``optimizer.zero_grad()`` silently adds every old
gradient to the new one.

Modes matter: ``model.train()`` turns dropout on (and batch-norm's batch statistics);
``model.eval()`` turns them off. Evaluate in eval mode and inside ``torch.no_grad()``, which
also saves the memory autograd would keep for a backward pass that never comes. Put the model
back in train mode at the start of every training epoch.

Worked example: 3 batches of 16, 16 and 8 samples with mean losses 0.9, 0.6 and 0.3 make the
epoch's loss (16 * 0.9 + 16 * 0.6 + 8 * 0.3) / 40 = 0.66 (not the mean of the three, 0.6); 32 of
48 samples predicted right make ``evaluate_model`` return 66.666... (percent).

What is checked: the losses and final weights of a plain PyTorch loop run on the same seeded
problem (relative 1e-4), the modes and ``torch.no_grad`` seen by every forward pass, that the
given criterion, device and any iterable of batches are used, and the accuracy within 1e-4
percent (counting in float32 tensors and calling ``.item()`` is fine).
"""

# Exercise 8: The training loop. Worth 14 points: the public checks in
# graders/ give part of them; hidden checks of the same contract on more inputs, run when you
# submit, give the rest.
# Fill in every `raise NotImplementedError(...)`. Check your work with
#     pytest graders -m ex8_training
# Submit this file as ex8_training.py (see README.md, "Submitting").
# Rules every exercise shares:
#   - Never modify an argument in place (no `x += ...`, `x[...] = ...` or `x.mul_(...)` on an
#     input): the checks compare every input before and after each call.
#   - Return exactly the type and shape the contract names (a Python int where it says int, a tensor
#     of the input's dtype and device where it says tensor).
# Imports allowed: torch, torch.nn, torch.nn.functional, numpy, math, itertools, functools,
#     collections, collections.abc, dataclasses, typing, time, __future__, torch.optim,
#     torch.optim.lr_scheduler, torch.utils.data, copy, and your own earlier exercises
#     (ex1_output_size to ex7_models). Anything else (sys, os, ctypes, importlib, torch's private or
#     internal modules, exec/eval, ...) is flagged for review and scores 0; the check reads your
#     source before it runs.
# (Generated from solutions/ex8_training.py by `cnnkit stubs`.)

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]


def _device_of(model: nn.Module, device: torch.device | str | None) -> torch.device:
    """``device`` if given, else the device of the model's first parameter (CPU if none)."""
    if device is not None:
        return torch.device(device)
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def train_model(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loader: Batches,
    num_epochs: int,
    criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    device: torch.device | str | None = None,
) -> list[float]:
    """Train ``model`` for ``num_epochs`` passes over ``loader``.

    Args:
        model: maps a batch of inputs to (N, C) logits.
        optimizer: already holds ``model``'s parameters.
        loader: yields ``(inputs, targets)`` batches; iterated once per epoch.
        num_epochs: number of passes, at least 1.
        criterion: loss ``criterion(logits, targets) -> scalar tensor`` (the batch mean);
            None means ``nn.CrossEntropyLoss()``.
        device: where to run; None means the device the model's parameters are on.

    Returns:
        One float per epoch: the mean training loss over the epoch's *samples*, i.e. each
        batch's loss weighted by its batch size (this matters when the last batch is smaller).
    """
    raise NotImplementedError("ex8_training: write train_model")


def evaluate_model(model: nn.Module, loader: Batches, device: torch.device | str | None = None) -> float:
    """Accuracy of ``model`` on ``loader`` in percent (0.0 to 100.0), in eval mode without gradients.

    A prediction is the index of the largest logit (``argmax`` over dim 1).
    """
    raise NotImplementedError("ex8_training: write evaluate_model")
