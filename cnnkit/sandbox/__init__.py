"""Run untrusted student code in a separate, limited process.

The trusted side (pytest, the graders, the oracles, the report) never executes student code.
It sends inputs to a worker process, which imports the student's module, runs the requested
function under a forbidden-API detector, and sends back plain data (tensors, numbers, strings)
in the kit's own format, which the trusted side decodes within bounds (``wire``) and checks itself.
A student who patches ``torch.allclose`` or the kit's helpers patches them in the worker only.
"""

from __future__ import annotations

import importlib
from typing import Any

from cnnkit.sandbox.errors import (
    FlaggedCode,
    ForbiddenCall,
    StudentCodeError,
    StudentCrash,
    StudentError,
    StudentTimeout,
)

# Imported when first used (they import torch): the runner imports ``cnnkit.sandbox.timeouts`` alone.
_LAZY = {"Sandbox": "cnnkit.sandbox.client", "SandboxConfig": "cnnkit.sandbox.client",
         "Foreign": "cnnkit.sandbox.wire", "GeneratorSeed": "cnnkit.sandbox.wire"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cnnkit.sandbox' has no attribute {name!r}")


__all__ = [
    "FlaggedCode",
    "Foreign",
    "ForbiddenCall",
    "GeneratorSeed",
    "Sandbox",
    "SandboxConfig",
    "StudentCodeError",
    "StudentCrash",
    "StudentError",
    "StudentTimeout",
]
