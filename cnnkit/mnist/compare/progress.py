"""The training batches ``cnnkit compare`` hands to ``compare_models``: a progress bar per epoch, the
per-epoch training and validation accuracy, and exercise 14's opt-in augmentation and early stopping."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from cnnkit.mnist.compare.evaluation import evaluate
from cnnkit.mnist.data import Batches


class ProgressBatches:
    """Training batches that show a tqdm bar per epoch (running loss, images/s), record each epoch's training
    accuracy, and, given a validation set, measure the model's loss and accuracy on it after every epoch.

    The validation pass runs when the training loop asks for the batch after the last one, that
    is after the last optimizer step of the epoch, in eval mode and without gradients (no random
    numbers drawn, so training goes on exactly as without it); the model's mode is restored. Its
    time is recorded per model (``validation_seconds``) so that it can be taken out of the
    training time.

    Opt-in, both from exercise 14 (``--augment``, ``--early-stopping``): ``augment`` changes every training
    batch's images (``random_shift`` with a generator restarted for every model, so every model sees the same
    shifts); ``make_stopper`` builds an ``EarlyStopping`` for each model, told every epoch's validation loss.
    When it says stop, the model gets its best epoch's weights back and the epochs left are empty (no batches:
    the training loop's remaining passes do nothing); after the last epoch the best weights come back too, so
    the test set sees the epoch that validation chose.
    """

    def __init__(self, batches: Batches, epochs: int, enabled: bool = True,
                 validation: tuple[torch.Tensor, torch.Tensor] | None = None,
                 device: torch.device = torch.device("cpu"),
                 augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
                 make_stopper: Callable[[], Any] | None = None, seed: int = 0) -> None:
        self.batches = batches
        self.epochs = epochs
        self.enabled = enabled
        self.validation = validation
        self.device = device
        self.augment, self.make_stopper, self.seed = augment, make_stopper, seed
        self.generator = torch.Generator()
        self.model: nn.Module | None = None
        self.model_name = "model"
        self.epoch = 0
        self.losses: list[torch.Tensor] = []
        self.correct: list[torch.Tensor] = []
        self.stopper: Any = None
        self.train_accuracy: dict[str, list[float]] = {}
        self.validation_accuracy: dict[str, list[float]] = {}
        self.validation_loss: dict[str, list[float]] = {}
        self.validation_seconds: dict[str, float] = {}
        self.epochs_trained: dict[str, int] = {}
        self.best_epoch: dict[str, int] = {}

    def new_model(self, model: nn.Module) -> None:
        """Start a model: its epochs count from 1, and the shuffled order starts again from epoch 0.

        Restarting the order gives every model the same batches, like the seed that
        ``compare_models`` resets before building each model gives it the same start: a model's
        row does not depend on the models trained before it, and ``--models cnn`` reproduces
        MNIST_CNN's row of the full comparison.
        """
        self.model, self.model_name, self.epoch = model, type(model).__name__, 0
        self.batches.epoch = 0
        self.generator.manual_seed(self.seed)
        self.stopper = self.make_stopper() if self.make_stopper is not None else None
        for table in (self.train_accuracy, self.validation_accuracy, self.validation_loss):
            table[self.model_name] = []
        self.validation_seconds[self.model_name] = 0.0
        self.epochs_trained[self.model_name] = 0

    def validate(self) -> float | None:
        """Accuracy (percent) of the current model on the validation set (its loss recorded too), or None without one."""
        if self.validation is None or self.model is None:
            return None
        started = time.perf_counter()
        was_training = self.model.training
        loss, accuracy = evaluate(self.model, *self.validation, self.device)
        self.model.train(was_training)
        self.validation_accuracy[self.model_name].append(accuracy)
        self.validation_loss[self.model_name].append(loss)
        self.validation_seconds[self.model_name] += time.perf_counter() - started
        return accuracy

    def end_of_epoch(self) -> bool:
        """After the epoch's validation: ask the stopper; on stop or after the last epoch, bring back the best
        weights. Returns whether training stops here."""
        if self.stopper is None or self.model is None or not self.validation_loss[self.model_name]:
            return False
        stop = bool(self.stopper.step(self.validation_loss[self.model_name][-1], self.model))
        if stop or self.epoch == self.epochs:
            best_state = self.stopper.best_state
            if best_state is not None:
                self.model.load_state_dict(best_state)
            self.best_epoch[self.model_name] = int(self.stopper.best_epoch)
        return stop

    def criterion(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Cross-entropy that also remembers the loss for the bar and the correct predictions (no extra device sync)."""
        loss = nn.functional.cross_entropy(logits.float(), targets)
        self.losses.append(loss.detach())
        self.correct.append((logits.detach().argmax(dim=1) == targets).sum())
        return loss

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        from tqdm import tqdm

        self.epoch += 1
        if self.model_name in self.best_epoch:  # stopped early: the epochs left have no batches
            return
        self.losses, self.correct = [], []
        bar = tqdm(
            total=self.batches.num_samples,
            desc=f"{self.model_name:<9} epoch {self.epoch}/{self.epochs}",
            unit="img",
            unit_scale=True,
            disable=not self.enabled,
            leave=True,
            dynamic_ncols=True,
        )
        with bar:
            for index, (inputs, targets) in enumerate(self.batches):
                if self.augment is not None:
                    inputs = self.augment(inputs, self.generator)
                    if self.batches.channels_last:
                        inputs = inputs.contiguous(memory_format=torch.channels_last)
                yield inputs, targets
                bar.update(int(inputs.shape[0]))
                if index % 50 == 49 and self.losses:
                    bar.set_postfix(loss=f"{torch.stack(self.losses[-50:]).mean().item():.4f}")
            self.epochs_trained[self.model_name] = self.epoch
            postfix = {"loss": f"{torch.stack(self.losses).mean().item():.4f}"} if self.losses else {}
            if self.correct:
                self.train_accuracy[self.model_name].append(
                    100.0 * float(torch.stack(self.correct).sum()) / self.batches.num_samples)
            accuracy = self.validate()
            if accuracy is not None:
                postfix["val_acc"] = f"{accuracy:.2f}%"
            if self.end_of_epoch():
                postfix["stop"] = f"best epoch {self.best_epoch[self.model_name]}"
            if postfix:
                bar.set_postfix(postfix)
