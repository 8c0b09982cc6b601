"""Checks the loss's rises and explosions before the accuracy gap: an overfitting run with a bumpy loss is called lr_too_high."""

import math


def diagnose(train_losses, val_losses, train_acc, val_acc, *, gap=10.0, explode=10.0, rise=0.25, min_drop=0.10,
             low_accuracy=90.0):
    if not all(math.isfinite(x) for x in [*train_losses, *val_losses]):
        return "lr_too_high"
    if max(train_losses) > explode or any(b > (1 + rise) * a for a, b in zip(train_losses, train_losses[1:])):
        return "lr_too_high"
    if train_acc[-1] - val_acc[-1] > gap:
        return "overfitting"
    if train_losses[0] - train_losses[-1] < min_drop * train_losses[0]:
        return "lr_too_low"
    if train_acc[-1] < low_accuracy and val_acc[-1] < low_accuracy:
        return "underfitting"
    return "healthy"
