"""Finds the active detector on torch's mode stack and points it at exercise 1 (which forbids nothing).

Flagged by the source check (torch.overrides); run anyway, the detector notices its exercise
changed at the next torch call: flagged.
"""

import torch.nn.functional as F
from torch.overrides import _get_current_function_mode


def conv2d(x, weight, bias=None, stride=1, padding=0):
    detector = _get_current_function_mode()
    if detector is not None:
        detector.module = "ex1_output_size"
    return F.conv2d(x, weight, bias, stride, padding)
