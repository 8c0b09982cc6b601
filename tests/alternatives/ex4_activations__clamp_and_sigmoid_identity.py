"""relu via clamp(min=0); sigmoid with per-sign masked branches; tanh via sinh/cosh-free expm1 ratio
tanh(x) = expm1(2x) / (expm1(2x) + 2) on the negative half and its odd mirror on the positive half."""


def relu(x):
    return x.clamp(min=0)


def sigmoid(x):
    safe_pos = torch.where(x >= 0, x, torch.zeros_like(x))
    safe_neg = torch.where(x < 0, x, torch.zeros_like(x))
    e = torch.exp(safe_neg)
    return torch.where(x >= 0, torch.reciprocal(1 + torch.exp(-safe_pos)), e / (e + 1))


def tanh(x):
    neg_half = torch.where(x < 0, x, torch.zeros_like(x))
    pos_half = torch.where(x >= 0, x, torch.zeros_like(x))
    m_neg = torch.expm1(2 * neg_half)
    m_pos = torch.expm1(-2 * pos_half)
    return torch.where(x < 0, m_neg / (m_neg + 2), -m_pos / (m_pos + 2))
