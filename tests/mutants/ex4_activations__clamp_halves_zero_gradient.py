"""Halves cut with clamp(min=0) / clamp(max=0): values right, but clamp's gradient at its bound is 0, so
sigmoid'(0) and tanh'(0) come out 0 (the stub warns about exactly this)."""


def sigmoid(x):
    pos = x.clamp(min=0)
    neg = x.clamp(max=0)
    e = torch.exp(neg)
    return torch.where(x >= 0, 1 / (1 + torch.exp(-pos)), e / (1 + e))


def tanh(x):
    pos = x.clamp(min=0)
    neg = x.clamp(max=0)
    a = torch.expm1(-2 * pos)
    b = torch.expm1(2 * neg)
    return torch.where(x >= 0, -a / (2 + a), b / (2 + b))
