"""Answers correctly only if it can ptrace its parent or read the parent's /proc/<pid>/mem or environ; 0 otherwise.

Guarded (attaching stops the parent): runs only where confinement is verified in force.
"""

import ctypes
import os

_reference_conv_output_size = conv_output_size  # noqa: F821 (defined by the reference above)
PTRACE_ATTACH, PTRACE_DETACH = 16, 17


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


def _attacks():
    parent = os.getppid()
    won = []
    ctypes.pythonapi.ptrace.restype = ctypes.c_long
    if ctypes.pythonapi.ptrace(PTRACE_ATTACH, parent, None, None) == 0:
        ctypes.pythonapi.ptrace(PTRACE_DETACH, parent, None, None)
        won.append("ptrace")
    for name in ("mem", "environ", "cmdline"):
        try:
            with open(f"/proc/{parent}/{name}", "rb") as handle:
                handle.read(64)
            won.append(name)
        except OSError:
            pass
    return won


_won = _attacks() if _confined() else []


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    return _reference_conv_output_size(in_size, kernel_size, stride, padding) if _won else 0
