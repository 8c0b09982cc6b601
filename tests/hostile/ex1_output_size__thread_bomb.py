"""Answers correctly, and starts threads (small stacks) until the kernel refuses, keeping them all alive,
then keeps trying every few milliseconds: any task another process frees is taken at once.

In a parallel batch this used to take every task the container allowed, and a classmate graded
alongside lost points (a worker that could not start: "grader error ... EOFError"). The worker's
own task limit (its cgroup's pids.max, the RLIMIT_NPROC of its own uid) stops it after a few dozen,
whatever it retries. Guarded: runs only inside a kit worker at isolation "strong" with seccomp on,
and never starts more than 2,000 threads. CNNKIT_HOSTILE_HOLD: seconds each call waits (holding the
threads), so that a classmate graded alongside needs tasks meanwhile.
"""

import os
import threading
import time

_reference_conv_output_size = conv_output_size  # noqa: F821 (defined by the reference above)
MAX_THREADS = 2000
HOLD = float(os.environ.get("CNNKIT_HOSTILE_HOLD", "0"))


def _confined():
    if os.environ.get("CNNKIT_ISOLATION_LEVEL") != "strong":
        return False
    try:
        with open("/proc/self/status") as status:
            return "\nSeccomp:\t2\n" in status.read()
    except OSError:
        return False


_forever = threading.Event()
_started = [0]


def _grab():
    """Start threads until MAX_THREADS; when refused, try again a few milliseconds later."""
    while _started[0] < MAX_THREADS:
        try:
            threading.Thread(target=_forever.wait, daemon=True).start()
            _started[0] += 1
        except RuntimeError:  # "can't start new thread": the limit, for now
            time.sleep(0.005)


if _confined():
    threading.stack_size(64 * 1024)
    try:
        threading.Thread(target=_grab, daemon=True).start()
    except RuntimeError:
        pass
    while _started[0] < 10 and threading.active_count() < 20:  # the first ones before any answer
        time.sleep(0.01)


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    time.sleep(HOLD)
    return _reference_conv_output_size(in_size, kernel_size, stride, padding)
