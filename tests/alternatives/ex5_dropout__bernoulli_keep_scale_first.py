"""torch.bernoulli of a (1 - p) tensor gives the kept ones; the scale multiplies before the mask."""


def dropout(x, p=0.5, training=True, generator=None):
    if p > 1 or p < 0:
        raise ValueError(f"invalid dropout probability: {p}")
    if not training:
        return x
    keep = torch.full(x.shape, 1 - p, dtype=torch.float32, device=x.device)
    mask = torch.bernoulli(keep, generator=generator).to(x.dtype)
    scale = 1 / (1 - p) if p < 1 else 0.0
    return (x * scale) * mask
