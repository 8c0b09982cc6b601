"""relu as torch.maximum(x, 0); sigmoid and tanh from exp of the masked halves, combined by multiplying with masks."""


def relu(x):
    return torch.maximum(x, torch.zeros_like(x))


def sigmoid(x):
    pos = (x >= 0).to(x.dtype)
    neg = 1 - pos
    x_pos = x * pos  # 0 where x < 0
    x_neg = x * neg  # 0 where x >= 0
    e = torch.exp(x_neg)
    return pos / (1 + torch.exp(-x_pos)) + neg * e / (1 + e)


def tanh(x):
    pos = (x >= 0).to(x.dtype)
    neg = 1 - pos
    t_pos = torch.expm1(-2 * x * pos)
    t_neg = torch.expm1(2 * x * neg)
    return pos * (-t_pos / (t_pos + 2)) + neg * (t_neg / (t_neg + 2))
