"""Dropout with torch.bernoulli(1 - p) drawn from the generator."""


def dropout(x, p=0.5, training=True, generator=None):
    if p < 0 or p > 1:
        raise ValueError(f"p must be a probability, got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    keep = torch.bernoulli(torch.full_like(x, 1 - p), generator=generator)
    return x * keep * (1.0 / (1 - p))
