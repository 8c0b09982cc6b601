"""torch.where(mask, x / keep, 0) with a float64 random draw; eval returns the input object."""


def dropout(x, p=0.5, training=True, generator=None):
    if p < 0 or p > 1:
        raise ValueError(f"expected 0 <= p <= 1, got {p}")
    if not training:
        return x
    if p == 1:
        return torch.zeros_like(x)
    draw = torch.rand(x.shape, generator=generator, dtype=torch.float64, device=x.device)
    return torch.where(draw >= p, x / (1 - p), torch.zeros((), dtype=x.dtype, device=x.device))
