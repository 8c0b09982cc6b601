"""Draws one mask for the last axis and broadcasts it: every row of a batch drops the same units."""


def dropout(x, p=0.5, training=True, generator=None):
    if not 0 <= p <= 1:
        raise ValueError(f"p must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return torch.zeros_like(x)
    keep = torch.rand(x.shape[-1:], generator=generator, dtype=x.dtype, device=x.device) >= p
    return x * keep / (1 - p)
