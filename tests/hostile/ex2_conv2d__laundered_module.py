"""torch laundered through a list and its C module reached by a computed name: what the source check cannot
follow (it sees getattr of a computed name on an object it cannot name, as getattr(self, name) is).

Not flagged by the source check; the run-time detector's operator layer sees aten.convolution run while
the function layer is disabled: flagged.
"""

import torch
import torch.nn.functional as F

_modules = [torch]


def conv2d(x, weight, bias=None, stride=1, padding=0):
    internals = getattr(_modules[0], "".join(["_", "C"]))
    with internals.DisableTorchFunction():
        return F.conv2d(x, weight, bias, stride, padding)
