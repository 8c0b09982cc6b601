"""Calls torch.conv2d from a TorchScript function: the TorchScript interpreter calls aten directly.

Flagged by the source check (torch.jit); run anyway, the operator layer sees aten.convolution:
forbidden.
"""

import torch


@torch.jit.script
def _scripted(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, stride: list[int], padding: list[int]):
    return torch.conv2d(x, weight, bias, stride, padding)


def conv2d(x, weight, bias=None, stride=1, padding=0):
    stride = [stride, stride] if isinstance(stride, int) else list(stride)
    padding = [padding, padding] if isinstance(padding, int) else list(padding)
    return _scripted(x, weight, bias, stride, padding)
