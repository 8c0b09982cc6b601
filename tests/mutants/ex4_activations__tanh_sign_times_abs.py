"""tanh as sign(x) * tanh(|x|) from exp(-2|x|): values fine, but the gradient at exactly 0 is 0 (should be 1)."""


def tanh(x):
    e = torch.expm1(-2 * x.abs())
    return torch.sign(x) * (-e / (2 + e))
