"""Leaky relu: negative inputs become 0.01 * x instead of 0."""


def relu(x):
    return torch.where(x > 0, x, 0.01 * x)
