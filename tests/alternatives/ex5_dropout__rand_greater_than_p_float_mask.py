"""The classic (torch.rand(...) > p).float() mask, multiplied in, then divided by (1 - p); p == 1 handled first."""


def dropout(x, p=0.5, training=True, generator=None):
    if p < 0 or p > 1:
        raise ValueError(f"p has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return torch.zeros_like(x)
    mask = (torch.rand(x.shape, generator=generator, device=x.device) > p).float()
    return x * mask / (1 - p)
