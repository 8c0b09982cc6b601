"""Run untrusted student code in a separate, limited process.

The trusted side (pytest, the graders, the oracles, the report) never executes student code.
It sends inputs to a worker process, which imports the student's module, runs the requested
function under a forbidden-API detector, and sends back plain data (tensors, numbers, strings)
that the trusted side decodes with ``torch.load(weights_only=True)`` and checks itself. A
student who patches ``torch.allclose`` or the kit's helpers patches them in the worker only.
"""

from cnnkit.sandbox.client import Sandbox, SandboxConfig
from cnnkit.sandbox.errors import (
    ForbiddenCall,
    StudentCodeError,
    StudentCrash,
    StudentError,
    StudentTimeout,
)
from cnnkit.sandbox.wire import Foreign, GeneratorSeed

__all__ = [
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
