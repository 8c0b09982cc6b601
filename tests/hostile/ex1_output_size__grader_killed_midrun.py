"""Answers correctly; when CNNKIT_HOSTILE_MARKER is set it names itself that, keeps a file in its
writable folder and a few threads, and sleeps CNNKIT_HOSTILE_SLEEP seconds in every call: a run
that is still going when a test sends `cnnkit grade` SIGTERM or SIGINT. After that signal no
process of the run may be alive and no folder of it may be left.
"""

import ctypes
import os
import tempfile
import threading
import time

_reference_conv_output_size = conv_output_size  # noqa: F821 (defined by the reference above)
MARKER = os.environ.get("CNNKIT_HOSTILE_MARKER", "")
SLEEP = float(os.environ.get("CNNKIT_HOSTILE_SLEEP", "0"))

if MARKER:
    ctypes.pythonapi.prctl.restype = ctypes.c_int
    ctypes.pythonapi.prctl(15, MARKER.encode()[:15], 0, 0, 0)  # PR_SET_NAME: /proc/<pid>/comm
    with open(os.path.join(tempfile.gettempdir(), "held.bin"), "wb") as held:
        held.write(b"\0" * (1 << 20))
    for _ in range(4):
        threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    time.sleep(SLEEP)
    return _reference_conv_output_size(in_size, kernel_size, stride, padding)
