"""tanh(x) = 2 * sigmoid(2x) - 1: right in the middle, but all relative accuracy is lost for tiny |x|."""


def tanh(x):
    return 2 * sigmoid(2 * x) - 1
