"""A student who likes the standard library: the norm summed in float64 and cast back, log-softmax by hand with
the largest logit taken out, counts by index_add_, early stopping as a dataclass that compares with a chosen
function and keeps cloned tensors, shifts by torch.roll with the wrapped-around rows and columns filled."""

from dataclasses import dataclass, field


def clip_grad_norm(parameters, max_norm, norm_type=2.0):
    grads = [p.grad for p in ([parameters] if isinstance(parameters, torch.Tensor) else parameters)
             if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    wide = [grad.detach().double().abs() for grad in grads]
    if norm_type == float("inf"):
        total = max(float(grad.max()) for grad in wide)
    else:
        total = sum(float(grad.pow(norm_type).sum()) for grad in wide) ** (1.0 / norm_type)
    if total + 1e-6 > max_norm:
        scale = max_norm / (total + 1e-6)
        for grad in grads:
            grad.mul_(scale)
    return torch.tensor(total, dtype=grads[0].dtype)


def weighted_cross_entropy(logits, targets, weight=None):
    targets = targets.long()
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    picked = log_probs[torch.arange(logits.shape[0]), targets]
    if weight is None:
        return -picked.mean()
    row_weights = weight.to(logits.dtype).index_select(0, targets)
    return -(row_weights * picked).sum() / row_weights.sum()


def class_weights(targets, num_classes):
    flat = targets.long().reshape(-1)
    counts = torch.zeros(num_classes, dtype=torch.float64).index_add_(0, flat, torch.ones(flat.numel(),
                                                                                           dtype=torch.float64))
    weights = torch.zeros(num_classes, dtype=torch.float64)
    seen = counts > 0
    weights[seen] = flat.numel() / (num_classes * counts[seen])
    return weights.float()


@dataclass
class EarlyStopping:
    patience: int = 3
    min_delta: float = 0.0
    mode: str = "min"
    best: float | None = None
    best_epoch: int = 0
    best_state: dict | None = None
    seen: int = 0
    stale: int = 0
    history: list = field(default_factory=list)

    def __post_init__(self):
        if self.mode not in ("min", "max") or self.patience < 1 or self.min_delta < 0:
            raise ValueError(f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, mode={self.mode!r})")
        if self.mode == "min":
            self.beats = lambda new, old: new < old - self.min_delta
        else:
            self.beats = lambda new, old: new > old + self.min_delta

    def step(self, metric, model=None):
        self.seen += 1
        value = float(metric)
        self.history.append(value)
        first = self.best is None and value == value  # NaN never counts, not even first
        if first or (self.best is not None and self.beats(value, self.best)):
            self.best, self.best_epoch, self.stale = value, self.seen, 0
            if model is not None:
                self.best_state = {name: tensor.clone() for name, tensor in model.state_dict().items()}
        else:
            self.stale += 1
        return self.stale >= self.patience


def random_shift(images, max_shift, generator=None, fill=0.0):
    n, _, h, w = images.shape
    offsets = torch.randint(-max_shift, max_shift + 1, (n, 2), generator=generator).tolist()
    moved = []
    for image, (dy, dx) in zip(images, offsets):
        rolled = torch.roll(image, shifts=(dy, dx), dims=(1, 2))
        if dy > 0:
            rolled[:, :dy, :] = fill
        elif dy < 0:
            rolled[:, max(h + dy, 0):, :] = fill
        if dx > 0:
            rolled[:, :, :dx] = fill
        elif dx < 0:
            rolled[:, :, max(w + dx, 0):] = fill
        moved.append(rolled)
    return torch.stack(moved) if moved else images.clone()
