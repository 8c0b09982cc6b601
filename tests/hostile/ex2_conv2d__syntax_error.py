"""A syntax error: the module cannot even be parsed, so only this exercise scores 0."""


def conv2d(x, weight, bias=None, stride=1, padding=0:
    return x
