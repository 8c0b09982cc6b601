"""Builds its conv2d from a string with exec: the code the grader reads is not the code that runs.

Flagged by the source check (code built from strings); run anyway, the detector sees
torch.nn.functional.conv2d: forbidden.
"""

_namespace = {}
exec("import torch.nn.functional as F\ndef conv2d(x, w, b=None, s=1, p=0):\n    return F.conv2d(x, w, b, s, p)\n",
     _namespace)
conv2d = _namespace["conv2d"]
