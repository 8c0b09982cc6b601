"""Whole-tensor code: the gradients joined into one vector, log-softmax times one-hot, one-hot counts, early stopping
on a score (the metric, negated for "min") that keeps a deep copy of the whole model, every image's window of a
padded batch picked by unfold, the rules on numpy arrays."""

import copy

import numpy as np


def clip_grad_norm(parameters, max_norm, norm_type=2.0):
    grads = [p.grad for p in ([parameters] if isinstance(parameters, torch.Tensor) else list(parameters))
             if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    flat = torch.cat([grad.reshape(-1) for grad in grads])
    total = flat.abs().max() if norm_type == float("inf") else flat.abs().pow(norm_type).sum().pow(1.0 / norm_type)
    factor = (max_norm / (total + 1e-6)).clamp(max=1.0)
    with torch.no_grad():
        for grad in grads:
            grad.mul_(factor)
    return total


def weighted_cross_entropy(logits, targets, weight=None):
    one_hot = torch.nn.functional.one_hot(targets.long(), logits.shape[1]).to(logits.dtype)
    losses = -(one_hot * torch.log_softmax(logits, dim=1)).sum(dim=1)
    weights = torch.ones_like(losses) if weight is None else (one_hot * weight.to(logits.dtype)).sum(dim=1)
    return (weights * losses).sum() / weights.sum()


def class_weights(targets, num_classes):
    counts = torch.nn.functional.one_hot(targets.long(), num_classes).sum(dim=0).double()
    return torch.where(counts > 0, len(targets) / (num_classes * counts), torch.zeros_like(counts)).float()


class EarlyStopping:
    def __init__(self, patience=3, min_delta=0.0, mode="min"):
        if mode not in {"min", "max"} or patience < 1 or min_delta < 0:
            raise ValueError(f"bad EarlyStopping arguments: patience={patience}, min_delta={min_delta}, mode={mode!r}")
        self.patience, self.min_delta = patience, min_delta
        self.sign = -1.0 if mode == "min" else 1.0
        self.best_score = -float("inf")
        self.best_epoch, self.epoch, self.bad_epochs = 0, 0, 0
        self.best_model = None

    @property
    def best(self):
        return None if self.best_epoch == 0 else self.sign * self.best_score

    @property
    def best_state(self):
        return None if self.best_model is None else self.best_model.state_dict()

    def step(self, metric, model=None):
        self.epoch += 1
        score = self.sign * float(metric)
        if score > self.best_score + self.min_delta or (self.best_epoch == 0 and score == score):
            self.best_score, self.best_epoch, self.bad_epochs = score, self.epoch, 0
            if model is not None:
                self.best_model = copy.deepcopy(model)
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience


def random_shift(images, max_shift, generator=None, fill=0.0):
    n, _, h, w = images.shape
    size = 2 * max_shift + 1
    corners = torch.randint(0, size, (n, 2), generator=generator).to(images.device)  # top-left of each window
    padded = torch.nn.functional.pad(images, [max_shift] * 4, value=fill)
    windows = padded.unfold(2, h, 1).unfold(3, w, 1)  # (n, c, size, size, h, w)
    return windows[torch.arange(n, device=images.device), :, corners[:, 0], corners[:, 1]]


def diagnose(train_losses, val_losses, train_acc, val_acc, *, gap=10.0, explode=10.0, rise=0.25, min_drop=0.10,
             low_accuracy=90.0):
    losses = np.asarray(train_losses, dtype=float)
    if not (np.isfinite(losses).all() and np.isfinite(np.asarray(val_losses, dtype=float)).all()):
        return "lr_too_high"
    if train_acc[-1] - val_acc[-1] > gap:
        return "overfitting"
    if (losses > explode).any() or (losses[1:] > (1 + rise) * losses[:-1]).any():
        return "lr_too_high"
    if losses[0] - losses[-1] < min_drop * losses[0]:
        return "lr_too_low"
    if train_acc[-1] < low_accuracy and val_acc[-1] < low_accuracy:
        return "underfitting"
    return "healthy"
