"""Calls torch.nn.functional.conv2d, which this exercise forbids: the whole exercise scores 0."""

import torch.nn.functional as F


def conv2d(x, weight, bias=None, stride=1, padding=0):
    return F.conv2d(x, weight, bias, stride, padding)
