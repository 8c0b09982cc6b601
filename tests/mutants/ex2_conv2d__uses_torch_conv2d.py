"""Calls torch.nn.functional.conv2d, which the exercise forbids."""


def conv2d(x, weight, bias=None, stride=1, padding=0):
    return F.conv2d(x, weight, bias, stride, padding)
