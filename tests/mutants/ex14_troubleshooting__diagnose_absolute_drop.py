"""Compares the loss's drop with min_drop itself (an absolute 0.1), not with min_drop times the first loss."""

_reference_diagnose = diagnose


def diagnose(train_losses, val_losses, train_acc, val_acc, *, gap=10.0, explode=10.0, rise=0.25, min_drop=0.10,
             low_accuracy=90.0):
    said = _reference_diagnose(train_losses, val_losses, train_acc, val_acc, gap=gap, explode=explode, rise=rise,
                               min_drop=0.0, low_accuracy=low_accuracy)
    if said in ("underfitting", "healthy") and train_losses[0] - train_losses[-1] < min_drop:
        return "lr_too_low"
    return said
