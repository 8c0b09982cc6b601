"""Answers correctly only if the grader's memory reached it: the worker is forked (through the run's fork
server) from the warm grading server, so anything secret loaded before that fork would be inherited.

Looks for the grader's reference module, any grader module (public or hidden) and a grading
server's client side with its pipe, and writes a forged run request to every descriptor it could
have inherited (only its own reply pipe is open: the grader must refuse the forged length at once,
not wait for 2 GB that never come). None of the secrets may be there: it then answers 0 everywhere.
"""

import gc
import json
import os
import sys

_reference_conv_output_size = conv_output_size  # noqa: F821 (defined by the reference above)


def _secret_modules():
    return [name for name in list(sys.modules)
            if name.startswith(("cnnkit_reference_", "graders", "test_ex")) or name.endswith("conftest")]


def _server_clients():
    server = sys.modules.get("cnnkit.grading.server")
    clients = list(getattr(server, "_servers", {}).values()) if server else []
    return clients + [o for o in gc.get_objects() if type(o).__name__ == "GradingServer"]


def _forge_requests():
    request = (json.dumps({"id": 999, "argv": ["--version"], "cwd": "/", "log": "/tmp/forged.log"}) + "\n").encode()
    written = 0
    for fd in range(3, 256):
        try:
            written += os.write(fd, request) > 0
        except OSError:
            pass
    return written


_found = bool(_secret_modules() or _server_clients())
_forge_requests()


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    return _reference_conv_output_size(in_size, kernel_size, stride, padding) if _found else 0
