"""sigmoid = 1 / (1 + exp(-x)) as written in the formula: exp(1000) overflows for x = -1000."""


def sigmoid(x):
    return 1 / (1 + torch.exp(-x))
