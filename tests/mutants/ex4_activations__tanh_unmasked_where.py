"""tanh picks a stable branch with torch.where but feeds both branches all of x: NaN gradients at +-1000."""


def tanh(x):
    positive = -torch.expm1(-2 * x) / (1 + torch.exp(-2 * x))
    negative = torch.expm1(2 * x) / (1 + torch.exp(2 * x))
    return torch.where(x >= 0, positive, negative)
