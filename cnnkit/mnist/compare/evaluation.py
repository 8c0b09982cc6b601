"""Evaluating a trained model on held-out images: predictions, loss and accuracy, the confusion matrix."""

from __future__ import annotations

import torch
from torch import nn

EVAL_BATCH_SIZE = 1000  # evaluation keeps no activations for backward: big batches are cheap


def predict(model: nn.Module, images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Predicted class of every image (N,), in eval mode, batches of EVAL_BATCH_SIZE."""
    model.eval()
    predictions = []
    with torch.no_grad():
        for start in range(0, images.shape[0], EVAL_BATCH_SIZE):
            batch = images[start : start + EVAL_BATCH_SIZE].to(device).contiguous(memory_format=torch.channels_last)
            predictions.append(model(batch).argmax(dim=1).cpu())
    return torch.cat(predictions)


def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, device: torch.device) -> tuple[float, float]:
    """(mean cross-entropy, accuracy in percent) of ``model`` on ``images``, in eval mode, batches of EVAL_BATCH_SIZE."""
    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, images.shape[0], EVAL_BATCH_SIZE):
            batch = images[start : start + EVAL_BATCH_SIZE].to(device).contiguous(memory_format=torch.channels_last)
            targets = labels[start : start + EVAL_BATCH_SIZE].to(device)
            logits = model(batch).float()
            loss_sum += float(nn.functional.cross_entropy(logits, targets, reduction="sum"))
            correct += int((logits.argmax(dim=1) == targets).sum())
    return loss_sum / images.shape[0], 100.0 * correct / images.shape[0]


def confusion_matrix(targets: torch.Tensor, predictions: torch.Tensor, classes: int = 10) -> torch.Tensor:
    """(classes, classes) counts: row = true digit, column = predicted digit."""
    return torch.bincount(targets * classes + predictions, minlength=classes * classes).reshape(classes, classes)
