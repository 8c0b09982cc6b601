"""Reaches torch's convolution through a name built at run time: getattr(torch, "co" + "nv2d").

Flagged by the source check (a library attribute chosen by a computed name); run anyway, the
detector sees torch.conv2d: forbidden.
"""

import torch


def conv2d(x, weight, bias=None, stride=1, padding=0):
    return getattr(torch, "co" + "nv2d")(x, weight, bias, stride, padding)
