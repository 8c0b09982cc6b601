"""Calls F.conv2d inside torch._C.DisableTorchFunction(), out of the torch-function detector's sight.

Flagged by the source check (torch._C); with the source check bypassed, the detector's operator
layer sees aten.convolution run while the function layer is disabled: flagged too.
"""

import torch
import torch.nn.functional as F


def conv2d(x, weight, bias=None, stride=1, padding=0):
    with torch._C.DisableTorchFunction():
        return F.conv2d(x, weight, bias, stride, padding)
