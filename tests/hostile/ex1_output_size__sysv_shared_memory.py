"""Holds 512 MiB in SysV shared memory segments, each attached, filled and detached (so the address-
space limit never sees more than one, and the segments would outlive the worker), and answers
correctly only if it could: graded with a 256 MiB worker memory limit, it must not. It removes
whatever it created before answering, so that even a run where the attack works leaks nothing.

shmget/shmat are denied by seccomp (and a cgroup would count the pages).
"""

import ctypes

_reference_conv_output_size = conv_output_size  # noqa: F821 (defined by the reference above)
IPC_PRIVATE, IPC_CREAT, IPC_RMID = 0, 0o1000, 0
SEGMENT, COUNT = 64 << 20, 8

libc = ctypes.pythonapi  # libc's symbols, through the interpreter itself (ctypes.CDLL would raise an audit event)
libc.shmget.restype = ctypes.c_int
libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.shmdt.argtypes = [ctypes.c_void_p]
libc.shmctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]


def _hold():
    ids = []
    try:
        for _ in range(COUNT):
            shmid = libc.shmget(IPC_PRIVATE, SEGMENT, IPC_CREAT | 0o600)
            if shmid < 0:
                return False
            ids.append(shmid)
            address = libc.shmat(shmid, None, 0)
            if address in (None, ctypes.c_void_p(-1).value):
                return False
            ctypes.memset(address, 1, SEGMENT)
            libc.shmdt(address)
        return True
    finally:
        for shmid in ids:
            libc.shmctl(shmid, IPC_RMID, None)


_worked = _hold()


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    return _reference_conv_output_size(in_size, kernel_size, stride, padding) if _worked else 0
