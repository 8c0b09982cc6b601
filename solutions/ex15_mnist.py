"""Exercise 15: the MNIST comparison, assembled from your own exercises 7 and 8.

The article ends by training a plain fully connected net and a CNN on MNIST and comparing
them. Here you write that comparison: for each model name, build the model from
``ex7_models``, count its parameters, train it with *your* ``train_model`` (Adam), time the
training, and measure the test accuracy with *your* ``evaluate_model``.

The batches come ready-made: ``train_batches`` and ``test_batches`` are re-iterable sources of
``(images (N, 1, 28, 28), labels (N,))``, e.g. ``cnnkit.mnist.data.Batches`` over the whole dataset
in memory. Iterate them once per epoch (``train_model`` already does). The kit's
``cnnkit compare`` command and the grader call this function with their own batches, a
``criterion`` that records the loss for the progress bar, a ``prepare_model`` hook that
puts each new model on the right device and memory format, and a ``make_optimizer`` that
builds Adam with the fastest kernel the device has; pass them through.

Reproducibility: call ``torch.manual_seed(seed)`` right before building *each* model, so that a
model's initial weights (and its dropout masks) do not depend on which models came before it.

The recipe is the article's: Adam with a constant learning rate of 0.001, batches of 64,
``nn.CrossEntropyLoss``, 10 epochs, and the test accuracy measured once, after training.
``lr_decay`` (default 1.0: the article's constant rate) lets the kit try one improvement, opt-in:
multiply the learning rate by ``lr_decay`` after every epoch. To apply it, train one epoch at a
time (``train_model(..., num_epochs=1)``) and scale every ``optimizer.param_groups[i]["lr"]``
after each epoch (the first epoch runs at ``learning_rate``).

Why not pick ``lr_decay`` (or the number of epochs, or anything else) by looking at the test
accuracy? Because then the test set has been used to train: the setting that wins on those
10,000 digits wins partly by luck, and the test accuracy stops being an honest estimate of how
the model does on digits it has never seen. A choice between settings is made on a *validation*
set carved from the training images (``cnnkit compare --validation`` holds out the last 5,000 of
the 60,000 and reports their accuracy after every epoch); the test set is looked at once, at the
end, for the setting chosen. ``compare_models`` therefore evaluates on ``test_batches`` only
after the last epoch.

Time only the training (``time.perf_counter()`` before and after the training epochs), not the
evaluation. The kit does not take the numbers at your word: it counts the parameters of the models
you return, runs them on the same test batches, and compares their weights with the ones they
started from (``torch.manual_seed(seed)``, then the model's constructor). Return the very models you
trained, and the numbers your code measured for them. The result, one entry per model name, in the
order given::

    {
        "MNIST_CNN": {
            "parameters": 1625866,          # int, count_parameters(model)
            "test_accuracy": 98.7,          # float, percent, from evaluate_model
            "train_seconds": 41.2,          # float, wall time of train_model
            "epoch_losses": [0.21, 0.06],   # list of num_epochs floats, from train_model
            "model": <the trained MNIST_CNN>,
        },
        ...
    }
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import ex7_models
import torch
from ex8_training import evaluate_model, train_model
from torch import nn

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]
MODEL_NAMES: tuple[str, ...] = ("PlainNN", "MNIST_CNN", "SmallCNN")


def compare_models(
    train_batches: Batches,
    test_batches: Batches,
    num_epochs: int = 10,
    model_names: Sequence[str] = MODEL_NAMES,
    learning_rate: float = 1e-3,
    seed: int = 0,
    criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    prepare_model: Callable[[nn.Module], nn.Module] | None = None,
    lr_decay: float = 1.0,
    make_optimizer: Callable[[Iterator[nn.Parameter], float], torch.optim.Optimizer] | None = None,
) -> dict[str, dict[str, Any]]:
    """Build, train (Adam, ``learning_rate``) and evaluate each model named in ``model_names``.

    Args:
        train_batches: ``(images (N, 1, 28, 28) float, labels (N,) int64)`` batches, one pass per epoch.
        test_batches: the same for the test set.
        num_epochs: epochs of training per model.
        model_names: class names from ``ex7_models`` ("PlainNN", "MNIST_CNN", "SmallCNN").
        learning_rate: Adam's learning rate.
        seed: ``torch.manual_seed(seed)`` before building each model.
        criterion: passed on to ``train_model`` (None: cross-entropy).
        prepare_model: if given, ``model = prepare_model(model)`` right after building it and
            *before* creating the optimizer (it may move the model to another device).
        lr_decay: after each epoch, multiply the learning rate by this (1.0, the default: the
            article's constant rate).
        make_optimizer: if given, the optimizer is ``make_optimizer(model.parameters(), learning_rate)``
            (built after ``prepare_model``); None means ``torch.optim.Adam(model.parameters(), lr=learning_rate)``.

    Returns:
        ``{name: {"parameters", "test_accuracy", "train_seconds", "epoch_losses", "model"}}``
        in the order of ``model_names`` (see the module docstring).
    """
    ### BEGIN SOLUTION
    results: dict[str, dict[str, Any]] = {}
    for name in model_names:
        torch.manual_seed(seed)
        model = getattr(ex7_models, name)()
        if prepare_model is not None:
            model = prepare_model(model)
        parameters = ex7_models.count_parameters(model)
        if make_optimizer is None:
            optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
        else:
            optimizer = make_optimizer(model.parameters(), learning_rate)
        start = time.perf_counter()
        epoch_losses: list[float] = []
        for _ in range(num_epochs):
            epoch_losses += train_model(model, optimizer, train_batches, 1, criterion=criterion)
            for group in optimizer.param_groups:
                group["lr"] *= lr_decay
        train_seconds = time.perf_counter() - start
        results[name] = {
            "parameters": parameters,
            "test_accuracy": evaluate_model(model, test_batches),
            "train_seconds": train_seconds,
            "epoch_losses": epoch_losses,
            "model": model,
        }
    return results
    ### END SOLUTION
