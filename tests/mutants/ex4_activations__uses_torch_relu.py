"""Calls torch.relu, which the exercise forbids."""


def relu(x):
    return torch.relu(x)
