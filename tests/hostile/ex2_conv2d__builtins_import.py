"""Imports torch's C module through __builtins__ and a string, then disables the torch-function detector.

Flagged by the source check (__builtins__); run anyway, the operator layer sees aten.convolution
with the function layer disabled: flagged.
"""

import torch.nn.functional as F

_import = __builtins__["__import__"] if isinstance(__builtins__, dict) else __builtins__.__import__
_C = _import("torch._C", fromlist=["DisableTorchFunction"])


def conv2d(x, weight, bias=None, stride=1, padding=0):
    with _C.DisableTorchFunction():
        return F.conv2d(x, weight, bias, stride, padding)
