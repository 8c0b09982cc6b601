"""Answers 0, and starts a detached shell through libc's system() that later rewrites the report with full marks.

The shell waits, then writes a marker file (CNNKIT_HOSTILE_MARKER) and overwrites the report
(CNNKIT_HOSTILE_TARGET) after the grader has exited. Harmless where it cannot start: system() fails.
"""

import ctypes
import json
import os

FAKE = json.dumps({"score": 9999, "max_score": 9999, "exercises": [], "tests": []})
_marker = os.environ.get("CNNKIT_HOSTILE_MARKER", "")
_target = os.environ.get("CNNKIT_HOSTILE_TARGET", "")
if _marker:
    ctypes.pythonapi.system.restype = ctypes.c_int
    ctypes.pythonapi.system(
        f"(sleep 2; echo started > '{_marker}'; echo '{FAKE}' > '{_target}') >/dev/null 2>&1 &".encode()
    )


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    return 0
