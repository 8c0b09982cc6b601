"""Loops and Python numbers: the norm as a float (the largest value for inf), cross-entropy row by row, counts in a
dict, early stopping that asks whether best - metric exceeds min_delta and keeps copy.deepcopy(state_dict()),
shifts image by image with slices, the rules with explicit loops and relative changes."""

import copy
import math


def clip_grad_norm(parameters, max_norm, norm_type=2.0):
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    grads = []
    for parameter in parameters:
        if parameter.grad is not None:
            grads.append(parameter.grad)
    if len(grads) == 0:
        return torch.tensor(0.0)
    if norm_type == math.inf:
        total = max(float(grad.abs().max()) for grad in grads)
    else:
        total = sum(float(grad.abs().pow(norm_type).sum()) for grad in grads) ** (1.0 / norm_type)
    factor = max_norm / (total + 1e-6)
    if factor < 1:
        with torch.no_grad():
            for grad in grads:
                grad.mul_(factor)
    return torch.tensor(total, dtype=grads[0].dtype)


def weighted_cross_entropy(logits, targets, weight=None):
    losses, weights = [], []
    for n in range(logits.shape[0]):
        row = logits[n]
        top = row.max()
        target = int(targets[n])
        w = torch.ones((), dtype=logits.dtype) if weight is None else weight[target].to(logits.dtype)
        losses.append(w * (top + torch.log(torch.exp(row - top).sum()) - row[target]))
        weights.append(w)
    return torch.stack(losses).sum() / torch.stack(weights).sum()


def class_weights(targets, num_classes):
    counts = {}
    for label in targets.tolist():
        counts[label] = counts.get(label, 0) + 1
    n = len(targets)
    return torch.tensor([n / (num_classes * counts[c]) if c in counts else 0.0 for c in range(num_classes)],
                        dtype=torch.float32)


class EarlyStopping:
    def __init__(self, patience=3, min_delta=0.0, mode="min"):
        if mode != "min" and mode != "max":
            raise ValueError("mode must be 'min' or 'max'")
        if patience < 1:
            raise ValueError("patience must be at least 1")
        if min_delta < 0:
            raise ValueError("min_delta must not be negative")
        self.patience = patience
        self.min_delta = min_delta
        self.mode = mode
        self.best = None
        self.best_epoch = 0
        self.best_state = None
        self.wait = 0
        self.epochs_seen = 0

    def _better(self, metric):
        if math.isnan(metric):
            return False
        if self.best is None:
            return True
        if self.mode == "min":
            return self.best - metric > self.min_delta
        return metric - self.best > self.min_delta

    def step(self, metric, model=None):
        self.epochs_seen += 1
        metric = float(metric)
        if self._better(metric):
            self.best = metric
            self.best_epoch = self.epochs_seen
            self.wait = 0
            if model is not None:
                self.best_state = copy.deepcopy(model.state_dict())
        else:
            self.wait += 1
        return self.wait >= self.patience


def random_shift(images, max_shift, generator=None, fill=0.0):
    n, _, h, w = images.shape
    out = torch.full_like(images, fill)
    for i in range(n):
        dy = int(torch.randint(-max_shift, max_shift + 1, (1,), generator=generator))
        dx = int(torch.randint(-max_shift, max_shift + 1, (1,), generator=generator))
        y0, y1 = max(dy, 0), min(h, h + dy)
        x0, x1 = max(dx, 0), min(w, w + dx)
        if y0 < y1 and x0 < x1:
            out[i, :, y0:y1, x0:x1] = images[i, :, y0 - dy:y1 - dy, x0 - dx:x1 - dx]
    return out


def diagnose(train_losses, val_losses, train_acc, val_acc, *, gap=10.0, explode=10.0, rise=0.25, min_drop=0.10,
             low_accuracy=90.0):
    for loss in list(train_losses) + list(val_losses):
        if loss != loss or loss == float("inf") or loss == float("-inf"):
            return "lr_too_high"
    if train_acc[-1] - val_acc[-1] > gap:
        return "overfitting"
    for i in range(len(train_losses)):
        if train_losses[i] > explode:
            return "lr_too_high"
        if i > 0 and (train_losses[i] - train_losses[i - 1]) / train_losses[i - 1] > rise:
            return "lr_too_high"
    if (train_losses[0] - train_losses[-1]) / train_losses[0] < min_drop:
        return "lr_too_low"
    if max(train_acc[-1], val_acc[-1]) < low_accuracy:
        return "underfitting"
    return "healthy"
