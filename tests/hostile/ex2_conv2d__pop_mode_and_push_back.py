"""Pops the detector off torch's function-mode stack around F.conv2d and pushes it back afterwards.

The stack looks untouched when the call returns. Flagged by the source check (torch._C); run anyway,
the operator layer sees aten.convolution while the function layer is off its stack: flagged.
"""

import torch
import torch.nn.functional as F


def conv2d(x, weight, bias=None, stride=1, padding=0):
    detector = torch._C._pop_torch_function_stack()
    try:
        return F.conv2d(x, weight, bias, stride, padding)
    finally:
        torch._C._push_on_torch_function_stack(detector)
