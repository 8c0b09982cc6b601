"""Uses the default thresholds written into the function, whatever thresholds are passed."""

_reference_diagnose = diagnose


def diagnose(train_losses, val_losses, train_acc, val_acc, **thresholds):
    return _reference_diagnose(train_losses, val_losses, train_acc, val_acc)
