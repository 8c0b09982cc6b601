"""Returns the right values as float16 instead of the input's dtype."""

import torch

_reference_conv2d = conv2d  # noqa: F821 (defined by the reference above)


def conv2d(x, weight, bias=None, stride=1, padding=0):
    return _reference_conv2d(x, weight, bias, stride, padding).to(torch.float16)
