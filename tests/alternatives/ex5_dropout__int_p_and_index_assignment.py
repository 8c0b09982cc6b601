"""Clones x, then zeroes the dropped entries by boolean index assignment on the clone and scales the rest."""


def dropout(x, p=0.5, training=True, generator=None):
    if not (0 <= p <= 1):
        raise ValueError(f"p={p} is not a probability")
    if not training:
        return x
    out = x.clone()
    drop = torch.rand(x.shape, generator=generator, dtype=torch.float64) < p
    out[drop] = 0
    if p < 1:
        out = out / (1 - p)
    return out
