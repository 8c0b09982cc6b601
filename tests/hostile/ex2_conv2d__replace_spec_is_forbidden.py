"""Replaces cnnkit.spec.is_forbidden at import (nothing is forbidden any more), then calls F.conv2d.

Flagged by the source check (an import of the kit, a change to a library); run anyway, the worker
finds the spec's function replaced (the detector compares what it relies on with what it captured
before any student code was imported): flagged. The detector's own rules were copied at that time,
so F.conv2d is still refused.
"""

import torch.nn.functional as F

import cnnkit.spec

cnnkit.spec.is_forbidden = lambda module, name: False


def conv2d(x, weight, bias=None, stride=1, padding=0):
    return F.conv2d(x, weight, bias, stride, padding)
