"""Answers correctly, tries to leave its session and process group (setsid, setpgid), ignores every
signal it can, turns os._exit into a no-op, and, when CNNKIT_HOSTILE_MARKER is set, names itself
that (so a test can look for it in /proc) and sleeps CNNKIT_HOSTILE_SLEEP seconds in every call: just
under the call limit, so that only the run's overall limit stops it.

A worker outside the run's process group used to outlive the run (parent 1, its folder left on
disk). Now setsid/setpgid are denied, and the run's cgroup is killed whole when the run ends.
"""

import ctypes
import os
import signal
import time

_reference_conv_output_size = conv_output_size  # noqa: F821 (defined by the reference above)
MARKER = os.environ.get("CNNKIT_HOSTILE_MARKER", "")
SLEEP = float(os.environ.get("CNNKIT_HOSTILE_SLEEP", "0"))

for leave in (os.setsid, lambda: os.setpgid(0, 0)):
    try:
        leave()
    except OSError:
        pass
for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1):
    signal.signal(number, signal.SIG_IGN)
os._exit = lambda code=0: None
if MARKER:
    ctypes.pythonapi.prctl.restype = ctypes.c_int
    ctypes.pythonapi.prctl(15, MARKER.encode()[:15], 0, 0, 0)  # PR_SET_NAME: /proc/<pid>/comm


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    time.sleep(SLEEP)
    return _reference_conv_output_size(in_size, kernel_size, stride, padding)
