"""Holds 512 MiB in memfd files (which RLIMIT_AS does not count), and answers correctly only if it
could: graded with a 256 MiB worker memory limit, it must not.

memfd_create is denied by seccomp; where a kernel allows it anyway, the worker's cgroup counts the
pages and kills it at its limit. Either way the attack earns nothing.
"""

import os

_reference_conv_output_size = conv_output_size  # noqa: F821 (defined by the reference above)
CHUNK, TOTAL = 16 << 20, 512 << 20
_held = []


def _hold():
    try:
        while len(_held) * CHUNK < TOTAL:
            fd = os.memfd_create("cnnkit-hostile")
            _held.append(fd)
            block = b"\1" * (1 << 20)
            for _ in range(CHUNK >> 20):
                os.write(fd, block)  # written pages: real memory
        return True
    except OSError:
        return False


_worked = _hold()


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    return _reference_conv_output_size(in_size, kernel_size, stride, padding) if _worked else 0
