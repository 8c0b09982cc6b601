"""relu as (x + |x|) / 2; tanh from exp(-2|x|) on each half with a Taylor series near 0 for accuracy."""


def relu(x):
    return (x + x.abs()) / 2


def tanh(x):
    pos = torch.where(x > 0, x, torch.zeros_like(x))
    neg = torch.where(x < 0, x, torch.zeros_like(x))
    small = x.abs() < 1e-4
    tiny = torch.where(small, x, torch.zeros_like(x))
    series = tiny - tiny ** 3 / 3
    e_pos = torch.exp(-2 * pos)
    e_neg = torch.exp(2 * neg)
    big = torch.where(x > 0, (1 - e_pos) / (1 + e_pos), -(1 - e_neg) / (1 + e_neg))
    return torch.where(small, series, big)
