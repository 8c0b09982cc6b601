"""Registers a torch.library custom operator whose kernel calls F.conv2d (a detector that steps aside while it
handles a call would see only the outer operator).

Flagged by the source check (torch.library); run anyway, the detector refuses operators outside
aten: flagged.
"""

import torch
import torch.nn.functional as F


@torch.library.custom_op("cnnkit_hostile::conv", mutates_args=())
def _conv(x: torch.Tensor, weight: torch.Tensor, stride: list[int], padding: list[int]) -> torch.Tensor:
    return F.conv2d(x, weight, None, stride, padding)


def conv2d(x, weight, bias=None, stride=1, padding=0):
    stride = [stride, stride] if isinstance(stride, int) else list(stride)
    padding = [padding, padding] if isinstance(padding, int) else list(padding)
    out = _conv(x, weight, stride, padding)
    return out if bias is None else out + bias.view(1, -1, 1, 1)
