"""Dropout with the mask rand < 1 - p and torch.where for the scaled values."""


def dropout(x, p=0.5, training=True, generator=None):
    if not (0 <= p <= 1):
        raise ValueError("p must lie in [0, 1]")
    if not training:
        return x.clone()
    keep = torch.rand(x.shape, generator=generator) < 1 - p
    scale = 0.0 if p == 1 else 1 / (1 - p)
    return torch.where(keep, x * scale, torch.zeros_like(x))
