"""Operating-system confinement of a grading worker (Linux): what the kernel enforces, not Python.

Applied by the worker right after the fork, before any student code runs and before any extra
thread exists (Landlock and seccomp bind the calling thread and the threads it creates later;
``confine`` refuses to run with more than one thread). In order:

1. ``PR_SET_NO_NEW_PRIVS`` and ``PR_SET_DUMPABLE 0``; when running as root, a uid/gid of the
   worker's own (``worker_uid``: unique among live workers, so that its ``RLIMIT_NPROC`` bounds
   its tasks alone) with every capability dropped, except ``CAP_DAC_READ_SEARCH`` when the
   interpreter lives where that uid cannot read (e.g. ``/root/.pyenv``): then reads are bounded
   by Landlock alone, writes and signals by the uid too.
2. **Landlock** (allow-list): read-only the interpreter, site-packages, the kit's package, system
   libraries, ``/proc/self``, CPU topology and the worker's copy of the submission; read-write
   only its temp folder (a private tmpfs: ``private_tmpfs``). ABI >= 4: TCP bind/connect denied.
   ABI >= 6: signals and abstract UNIX sockets scoped to the worker.
3. **seccomp-bpf** (x86_64): no exec, no new processes, no new session or process group, no
   memfd or SysV/POSIX IPC (memory no limit would count, or that outlives the worker), no
   sockets, no ptrace, no signals to other processes, no io_uring/bpf/userfaultfd/namespaces/
   mounts; x32 numbers rejected. Denied calls fail with ``EPERM`` (``clone3``: ``ENOSYS``, so glibc
   falls back to ``clone``), so student code gets an ordinary ``PermissionError`` rather than a
   dead worker.

The resource bounds (tasks, memory, writable space, the kill at the end) come from the worker's
cgroup (``cnnkit.sandbox.cgroups``) or, where there is none, from these fallbacks;
``resource_bounds`` says which holds each, and ``Confinement.level`` is ``strong`` only when all do.

Why raw syscalls through ctypes rather than a library: ``pyseccomp`` (0.1.x) needs the C library
libseccomp, which many grading images lack, and no maintained Python Landlock binding exists on
PyPI. The three Landlock calls and a ~100-instruction BPF program are small enough to own and
test (``tests/test_confine.py``); when a step is unavailable the worker says so in the report
(isolation ``partial`` or ``advisory``), it never pretends.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import stat
import struct
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: Isolation levels, weakest first.
LEVELS = ("advisory", "partial", "strong")
#: ``CNNKIT_ISOLATION=advisory`` switches the OS layers off (to show what a report then says, or to
#: compare timings); anything else means "every layer this system offers".
ISOLATION_ENV = "CNNKIT_ISOLATION"
#: ``CNNKIT_REQUIRE_ISOLATION=strong|partial``: the same as ``--require-isolation`` (no student code runs
#: below it, and no grade is given).
REQUIRE_ENV = "CNNKIT_REQUIRE_ISOLATION"
#: Workers started as root run as ``WORKER_UID_BASE + <their pid>`` (uid and gid): an id of their own
#: while they live, far above the ids of users, system services and containers' subordinate ranges.
WORKER_UID_BASE = 0x7E000000
#: The resource bounds ``strong`` requires (``resource_bounds``).
BOUNDS = ("tasks", "memory", "disk", "kill")

# -- prctl / capabilities ------------------------------------------------------------------------
PR_SET_DUMPABLE = 4
PR_SET_KEEPCAPS = 8
PR_SET_SECCOMP = 22
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_MODE_FILTER = 2
CAP_DAC_READ_SEARCH = 2
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

# -- Landlock (same syscall numbers on every architecture) -----------------------------------------
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_REMOVE_DIR, FS_REMOVE_FILE, FS_MAKE_CHAR, FS_MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
FS_MAKE_REG, FS_MAKE_SOCK, FS_MAKE_FIFO, FS_MAKE_BLOCK = 1 << 8, 1 << 9, 1 << 10, 1 << 11
FS_MAKE_SYM, FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 12, 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV


def _fs_rights(abi: int) -> int:
    """Every filesystem right the kernel's Landlock ABI knows (all handled: denied unless allowed)."""
    rights = (1 << 13) - 1  # ABI 1
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


READ_ONLY = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
READ_WRITE = READ_ONLY | FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_DIR | FS_MAKE_REG | FS_MAKE_SYM \
    | FS_REFER | FS_TRUNCATE

#: Files (not folders) Python and torch read: loader cache, time zone, user names, devices.
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd",
                "/etc/group", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/dev/urandom", "/dev/random")
SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/lib32", "/etc/ld.so.conf.d", "/sys/devices/system/cpu",
               "/sys/devices/system/node", "/proc/self")
WRITABLE_DEVICES = ("/dev/null", "/dev/zero")

# -- seccomp ----------------------------------------------------------------------------------------
AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
CLONE_THREAD = 0x00010000
SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000
_LD_ABS_W, _JEQ_K, _JGE_K, _JSET_K, _RET_K = 0x20, 0x15, 0x35, 0x45, 0x06

#: x86_64 syscall numbers that a grading worker never needs: each fails with EPERM.
X86_64_DENIED = {
    "execve": 59, "execveat": 322, "fork": 57, "vfork": 58, "ptrace": 101,
    "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312, "tkill": 200,
    "pidfd_open": 434, "pidfd_send_signal": 424, "pidfd_getfd": 438, "process_madvise": 440,
    "socket": 41, "connect": 42, "accept": 43, "bind": 49, "listen": 50, "accept4": 288,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "bpf": 321,
    "userfaultfd": 323, "perf_event_open": 298, "unshare": 272, "setns": 308, "mount": 165,
    "umount2": 166, "pivot_root": 155, "chroot": 161, "open_tree": 428, "move_mount": 429,
    "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
    "name_to_handle_at": 303, "open_by_handle_at": 304, "keyctl": 250, "add_key": 248,
    "request_key": 249, "kexec_load": 246, "kexec_file_load": 320, "init_module": 175,
    "finit_module": 313, "delete_module": 176, "reboot": 169, "swapon": 167, "swapoff": 168,
    "acct": 163, "iopl": 172, "ioperm": 173, "settimeofday": 164, "clock_settime": 227,
    "adjtimex": 159, "clock_adjtime": 305, "sethostname": 170, "setdomainname": 171,
    "syslog": 103, "vhangup": 153, "quotactl": 179, "lookup_dcookie": 212, "move_pages": 279,
    "migrate_pages": 256, "setuid": 105, "setgid": 106, "setreuid": 113, "setregid": 114,
    "setresuid": 117, "setresgid": 119, "setgroups": 116, "setfsuid": 122, "setfsgid": 123,
    "capset": 126, "personality": 135, "uselib": 134, "ustat": 136, "sysfs": 139,
    # a new session or process group would leave the run's group, which is killed when the run ends
    "setsid": 112, "setpgid": 109,
    # memory that RLIMIT_AS does not count, or that outlives the worker
    "memfd_create": 319, "memfd_secret": 447, "shmget": 29, "shmat": 30, "shmctl": 31, "semget": 64,
    "semop": 65, "semctl": 66, "semtimedop": 220, "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71,
    "mq_open": 240, "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244,
    "mq_getsetattr": 245,
}  # fmt: skip
#: Calls allowed only when their first argument names this process (kill: pid; prlimit64: 0 too).
X86_64_OWN_PID = {"kill": 62, "tgkill": 234, "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297}
X86_64_PRLIMIT64, X86_64_CLONE, X86_64_CLONE3 = 302, 56, 435


class ConfinementError(RuntimeError):
    """Confinement could not be applied safely (e.g. the worker already runs several threads)."""


@dataclass
class Confinement:
    """What was applied in this worker, the resource bounds that hold, and the resulting isolation level."""

    applied: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    landlock_abi: int = 0
    bounds: dict[str, str] = field(default_factory=dict)  # BOUNDS name -> what holds it

    @property
    def level(self) -> str:
        """``strong``: Landlock, seccomp and no-new-privileges in force, and every resource bound
        (tasks, memory, writable space, the kill at the end) held; ``partial``: Landlock or seccomp;
        ``advisory``: neither (Python's audit hook only)."""
        has = {item.split(":")[0] for item in self.applied}
        if {"landlock", "seccomp", "no_new_privs"} <= has and set(BOUNDS) <= set(self.bounds):
            return "strong"
        if has & {"landlock", "seccomp"}:
            return "partial"
        return "advisory"


# -- libc ---------------------------------------------------------------------------------------------
_libc: ctypes.CDLL | None = None


def libc() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.syscall.restype = ctypes.c_long
        _libc.prctl.restype = ctypes.c_int
    return _libc


def _check(result: int, what: str) -> int:
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")
    return result


def _prctl(option: int, arg2: int | ctypes.c_void_p = 0, arg3: int = 0) -> int:
    c = libc()
    value = arg2 if isinstance(arg2, ctypes.c_void_p) else ctypes.c_ulong(arg2)
    return _check(c.prctl(ctypes.c_int(option), value, ctypes.c_ulong(arg3), ctypes.c_ulong(0), ctypes.c_ulong(0)),
                  f"prctl({option})")


def _syscall(number: int, *args: ctypes.c_long | ctypes.c_void_p) -> int:
    return _check(libc().syscall(ctypes.c_long(number), *args), f"syscall {number}")


def set_dumpable(dumpable: bool) -> bool:
    """``PR_SET_DUMPABLE``: a non-dumpable process's memory, environ and fds are closed to same-uid peers."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        _prctl(PR_SET_DUMPABLE, int(dumpable))
        return True
    except OSError:
        return False


def thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


# -- identity -----------------------------------------------------------------------------------------
def reachable_by_others(path: str) -> bool:
    """Whether an unprivileged uid can read ``path``: every parent searchable, the path readable by "other"."""
    current = Path(path)
    try:
        if not current.stat().st_mode & stat.S_IROTH:
            return False
        for parent in current.parents:
            if not parent.stat().st_mode & stat.S_IXOTH:
                return False
    except OSError:
        return False
    return True


def worker_uid(pid: int) -> int:
    """The uid (and gid) a worker started as root runs as: unique while the worker with ``pid`` lives."""
    return WORKER_UID_BASE + pid


def drop_privileges(read_roots: Sequence[str], uid: int) -> str:
    """As root: become ``uid`` (and the same gid) with no capabilities (but ``CAP_DAC_READ_SEARCH`` if needed).

    Returns a description of what was done. ``read_roots``: what the worker must still read.
    """
    keep_read_search = not all(reachable_by_others(root) for root in read_roots if os.path.exists(root))
    # Said without the number (it changes with every worker): reports of the same run stay identical.
    who = "a uid/gid of its own" if uid >= WORKER_UID_BASE else f"uid/gid {uid}"
    last_cap = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for cap in range(last_cap + 1):
        if not (keep_read_search and cap == CAP_DAC_READ_SEARCH):
            _prctl(PR_CAPBSET_DROP, cap)
    if keep_read_search:
        _prctl(PR_SET_KEEPCAPS, 1)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if keep_read_search:
        _prctl(PR_SET_KEEPCAPS, 0)
        bits = 1 << CAP_DAC_READ_SEARCH
        header = struct.pack("Ii", _LINUX_CAPABILITY_VERSION_3, 0)
        data = struct.pack("6I", bits, bits, 0, 0, 0, 0)  # (effective, permitted, inheritable) x 2 words
        header_buffer, data_buffer = ctypes.create_string_buffer(header), ctypes.create_string_buffer(data)
        _check(libc().capset(header_buffer, data_buffer), "capset")
        return f"{who}, no capabilities but CAP_DAC_READ_SEARCH (the interpreter is not world-readable)"
    return f"{who}, no capabilities"


# -- Landlock -------------------------------------------------------------------------------------------
def landlock_abi() -> int:
    """The kernel's Landlock ABI version (0: not available)."""
    if not sys.platform.startswith("linux"):
        return 0
    result = libc().syscall(ctypes.c_long(SYS_LANDLOCK_CREATE_RULESET), None, ctypes.c_long(0),
                            ctypes.c_long(LANDLOCK_CREATE_RULESET_VERSION))
    return max(0, int(result))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def carve(roots: Iterable[str], denied: Sequence[str]) -> list[str]:
    """``roots`` with every denied path cut out: a root holding a denied path becomes its other children.

    Landlock only adds permissions, so "allow /usr except /usr/local/course/solutions" is written
    as rules on the siblings along the way.
    """
    kept: list[str] = []
    for root in roots:
        if any(_inside(root, d) for d in denied):
            continue
        if not any(_inside(d, root) and d != root for d in denied):
            kept.append(root)
            continue
        try:
            children = sorted(os.listdir(root))
        except OSError:
            continue
        kept += carve([os.path.join(root, child) for child in children], denied)
    return kept


def _add_path_rule(ruleset: int, path: str, access: int, handled: int) -> bool:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            access &= _FILE_RIGHTS
        rule = struct.pack("=Qi", access & handled, fd)  # struct landlock_path_beneath_attr (packed)
        buffer = ctypes.create_string_buffer(rule, len(rule))
        _syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_long(ruleset), ctypes.c_long(LANDLOCK_RULE_PATH_BENEATH),
                 ctypes.c_void_p(ctypes.addressof(buffer)), ctypes.c_long(0))
        return True
    finally:
        os.close(fd)


def apply_landlock(read_only: Iterable[str], read_write: Iterable[str], abi: int) -> list[str]:
    """Restrict this thread (and its future threads) to the given paths. Returns what was applied."""
    handled_fs = _fs_rights(abi)
    handled_net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
    if abi >= 6:
        attr = struct.pack("=QQQ", handled_fs, handled_net, scoped)
    elif abi >= 4:
        attr = struct.pack("=QQ", handled_fs, handled_net)
    else:
        attr = struct.pack("=Q", handled_fs)
    buffer = ctypes.create_string_buffer(attr, len(attr))
    ruleset = _syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.c_void_p(ctypes.addressof(buffer)),
                       ctypes.c_long(len(attr)), ctypes.c_long(0))
    try:
        for path in read_only:
            _add_path_rule(ruleset, path, READ_ONLY, handled_fs)
        for path in WRITABLE_DEVICES:
            _add_path_rule(ruleset, path, FS_READ_FILE | FS_WRITE_FILE | FS_IOCTL_DEV, handled_fs)
        for path in read_write:
            _add_path_rule(ruleset, path, READ_WRITE, handled_fs)
        _syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_long(ruleset), ctypes.c_long(0))
    finally:
        os.close(ruleset)
    applied = ["landlock"]
    if handled_net:
        applied.append("landlock_tcp")
    if scoped:
        applied.append("landlock_scope")
    return applied


# -- seccomp ----------------------------------------------------------------------------------------
def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def _errno(code: int) -> int:
    return SECCOMP_RET_ERRNO | code


def seccomp_program(own_pid: int) -> bytes:
    """The BPF filter for x86_64 (see the module docstring); ``own_pid`` is baked in for signals."""
    program = [
        _insn(_LD_ABS_W, 4),  # seccomp_data.arch
        _insn(_JEQ_K, AUDIT_ARCH_X86_64, jt=1),
        _insn(_RET_K, SECCOMP_RET_KILL_PROCESS),  # i386 / other ABIs through int 0x80: never legitimate here
        _insn(_LD_ABS_W, 0),  # seccomp_data.nr
        _insn(_JGE_K, X32_SYSCALL_BIT, jf=1),
        _insn(_RET_K, _errno(errno.EPERM)),  # x32 numbers
        _insn(_JEQ_K, X86_64_CLONE3, jf=1),
        _insn(_RET_K, _errno(errno.ENOSYS)),  # glibc falls back to clone(), which is checked below
        # clone: threads only (CLONE_THREAD in the flags, args[0])
        _insn(_JEQ_K, X86_64_CLONE, jf=4),
        _insn(_LD_ABS_W, 16),
        _insn(_JSET_K, CLONE_THREAD, jf=1),
        _insn(_RET_K, SECCOMP_RET_ALLOW),
        _insn(_RET_K, _errno(errno.EPERM)),
        # prlimit64: only on itself (pid 0 or its own pid)
        _insn(_JEQ_K, X86_64_PRLIMIT64, jf=5),
        _insn(_LD_ABS_W, 16),
        _insn(_JEQ_K, 0, jt=2),
        _insn(_JEQ_K, own_pid, jt=1),
        _insn(_RET_K, _errno(errno.EPERM)),
        _insn(_RET_K, SECCOMP_RET_ALLOW),
    ]
    for number in X86_64_OWN_PID.values():  # signals: only to this process
        program += [
            _insn(_JEQ_K, number, jf=4),
            _insn(_LD_ABS_W, 16),
            _insn(_JEQ_K, own_pid, jf=1),
            _insn(_RET_K, SECCOMP_RET_ALLOW),
            _insn(_RET_K, _errno(errno.EPERM)),
        ]
    for number in sorted(set(X86_64_DENIED.values())):
        program += [_insn(_JEQ_K, number, jf=1), _insn(_RET_K, _errno(errno.EPERM))]
    program.append(_insn(_RET_K, SECCOMP_RET_ALLOW))
    return b"".join(program)


def seccomp_supported() -> bool:
    return sys.platform.startswith("linux") and platform.machine() == "x86_64"


def apply_seccomp(own_pid: int) -> None:
    """Install the filter on this thread (``PR_SET_NO_NEW_PRIVS`` must already be set)."""
    code = seccomp_program(own_pid)
    filters = ctypes.create_string_buffer(code, len(code))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(len(code) // 8, ctypes.addressof(filters))
    _prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(prog))


# -- a bounded writable folder -------------------------------------------------------------------------
CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 0x4000, 1 << 18


def private_tmpfs(path: str, size: int, files: int, uid: int, gid: int) -> str:
    """Mount a tmpfs of at most ``size`` bytes and ``files`` inodes, owned by ``uid``/``gid``, over
    ``path``, in a mount namespace of this process's own: no other process sees it, and the kernel
    frees it when the process ends. As root directly; otherwise in a user namespace of its own
    (mapping the caller's ids; there its ``RLIMIT_NPROC`` counts its own tasks only), where the kernel
    allows unprivileged ones. Returns a description; ``OSError`` when the kernel refuses."""
    c = libc()
    where = ""
    if os.geteuid() != 0:
        _enter_user_namespace()
        where = " (in a user namespace of its own)"
    _check(c.unshare(ctypes.c_int(CLONE_NEWNS)), "unshare(CLONE_NEWNS)")
    # Private propagation first: the mount below must not reach the namespace it was copied from.
    _check(c.mount(b"none", b"/", None, ctypes.c_ulong(MS_REC | MS_PRIVATE), None), "mount --make-rprivate /")
    options = f"size={size},nr_inodes={files},mode=0700,uid={uid},gid={gid}".encode()
    flags = ctypes.c_ulong(MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _check(c.mount(b"cnnkit-worker", os.fsencode(path), b"tmpfs", flags, options), "mount tmpfs")
    return f"a private tmpfs of {size >> 20} MiB and {files} files{where}"


def _enter_user_namespace() -> None:
    """Not root: a user namespace mapping only the caller's own uid and gid (same ids inside)."""
    uid, gid = os.geteuid(), os.getegid()
    _check(libc().unshare(ctypes.c_int(CLONE_NEWUSER)), "unshare(CLONE_NEWUSER)")
    # A process that is not dumpable has its /proc/self files owned by root: dumpable for these writes only
    # (the worker holds nothing secret yet).
    set_dumpable(True)
    try:
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    finally:
        set_dumpable(False)


def in_own_user_namespace() -> bool:
    """Whether this process runs in a user namespace other than the initial one (``private_tmpfs``)."""
    try:
        return os.readlink("/proc/self/ns/user") != os.readlink("/proc/1/ns/user")
    except OSError:
        return Path("/proc/self/uid_map").read_text().split()[:3] != ["0", "0", "4294967295"]


def drop_all_capabilities() -> None:
    """Every capability out of every set (the ones a new user namespace grants inside it)."""
    last_cap = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for cap in range(last_cap + 1):
        _prctl(PR_CAPBSET_DROP, cap)
    header = ctypes.create_string_buffer(struct.pack("Ii", _LINUX_CAPABILITY_VERSION_3, 0))
    data = ctypes.create_string_buffer(bytes(24))
    _check(libc().capset(header, data), "capset")


# -- resource bounds ---------------------------------------------------------------------------------------
def resource_bounds(*, cgroup: dict[str, str], own_tasks: str, writable: str, seccomp: bool, address_space: str
                    ) -> tuple[dict[str, str], list[str]]:
    """Which mechanism holds each of ``BOUNDS`` in a worker, and a sentence for each that none holds.

    ``cgroup``: what the worker's cgroup holds (``tasks``, ``memory`` counting memfd, tmpfs and page
    cache, ``kill`` of all of it at the end); ``own_tasks``: ``RLIMIT_NPROC`` on ids of its own;
    ``writable``: what bounds its writable space (a private tmpfs, or no writable folder at all);
    ``seccomp``: the filter is on (no memfd or shared memory, no fork, no new session or group);
    ``address_space``: its ``RLIMIT_AS``. "" for a mechanism not in force.
    """
    fallback = {
        "tasks": own_tasks,
        "memory": f"{address_space}; no memfd or shared memory (seccomp); files only where bounded"
        if seccomp and writable else "",
        "disk": writable,
        "kill": "no fork, setsid or setpgid (seccomp): stays in its run's process group, killed at the end"
        if seccomp else "",
    }
    why = {
        "tasks": "tasks not bounded (no cgroup, and no ids of its own for RLIMIT_NPROC)",
        "memory": "memory beyond RLIMIT_AS not bounded (no cgroup, and no seccomp or no bounded writable folder)",
        "disk": "writable folder not bounded (no private tmpfs: needs root or user namespaces; and writes not "
                "denied)",
        "kill": "no kill of everything at the end (no cgroup, and no seccomp)",
    }
    bounds = {name: cgroup.get(name) or fallback[name] for name in BOUNDS}
    return {name: how for name, how in bounds.items() if how}, [why[name] for name in BOUNDS if not bounds[name]]


# -- all together ------------------------------------------------------------------------------------------
def confine(read_only: Sequence[str], read_write: Sequence[str], denied: Sequence[str],
            own_read: Sequence[str] = (), uid: int | None = None) -> Confinement:
    """Apply every layer this system offers to the calling (single-threaded) process.

    ``read_only``/``read_write``: the allow-list; ``denied``: paths that must stay unreachable
    even when inside an allowed root (cut out with ``carve``); ``own_read``: read-only paths of the
    worker's own, allowed even inside a denied root (its copy of the submission). ``uid``: the ids
    to run as when root (default ``worker_uid`` of this process). Raises ``ConfinementError`` when
    applying would be unsafe (several threads) or a layer failed half-way.
    """
    result = Confinement()
    if not sys.platform.startswith("linux"):
        result.missing.append(f"no OS confinement on {sys.platform}")
        return result
    if thread_count() != 1:
        raise ConfinementError(f"the worker runs {thread_count()} threads before confinement; refusing to grade")
    denied = [os.path.realpath(d) for d in denied]
    readable = carve(dict.fromkeys(os.path.realpath(p) for p in read_only if os.path.exists(p)), denied)
    readable += [os.path.realpath(p) for p in own_read]
    writable = [os.path.realpath(p) for p in read_write]
    # Each layer only ever narrows what the process may do, so one that fails (a container that
    # forbids it) is recorded as missing and the others still apply: the level then says so.
    try:
        _prctl(PR_SET_NO_NEW_PRIVS, 1)
        result.applied.append("no_new_privs")
    except OSError as exc:
        result.missing.append(f"no_new_privs failed ({exc.strerror})")
    if set_dumpable(False):
        result.applied.append("not_dumpable")
    if os.geteuid() == 0:
        try:
            own = worker_uid(os.getpid()) if uid is None else uid
            result.applied.append("own_uid: " + drop_privileges(readable, own))
        except OSError as exc:
            result.missing.append(f"could not drop root ({exc})")
    elif in_own_user_namespace():
        try:
            drop_all_capabilities()
            result.applied.append("no_capabilities: in its user namespace")
        except OSError as exc:
            result.missing.append(f"could not drop its user namespace's capabilities ({exc})")
    abi = landlock_abi()
    result.landlock_abi = abi
    if abi >= 1:
        try:
            result.applied += apply_landlock(readable, writable, abi)
        except OSError as exc:
            result.missing.append(f"Landlock failed ({exc})")
        if abi < 4:
            result.missing.append(f"Landlock ABI {abi} < 4: TCP not restricted by Landlock (seccomp denies sockets)")
        if abi < 6:
            result.missing.append(f"Landlock ABI {abi} < 6: signals and abstract sockets not scoped by Landlock")
    else:
        result.missing.append("Landlock not available (kernel < 5.13, disabled, or blocked by a container)")
    if not seccomp_supported():
        result.missing.append(f"seccomp filter not written for {platform.machine()}")
    elif "no_new_privs" in result.applied:
        try:
            apply_seccomp(os.getpid())
            result.applied.append("seccomp")
        except OSError as exc:
            result.missing.append(f"seccomp failed ({exc})")
    return result


def default_read_roots() -> list[str]:
    """What Python, torch and the kit read at run time: interpreter, site-packages, the kit, system files."""
    import site

    import cnnkit

    roots = [sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix, os.path.dirname(cnnkit.__file__)]
    try:
        roots += site.getsitepackages() + [site.getusersitepackages()]
    except AttributeError:  # virtualenv's old site.py
        pass
    roots += [p for p in sys.path if "site-packages" in p or "dist-packages" in p]
    roots += [os.path.dirname(os.path.realpath(sys.executable))]
    return [*dict.fromkeys(roots), *SYSTEM_DIRS, *SYSTEM_FILES]


# -- self-probes -------------------------------------------------------------------------------------------
def probe(canary: str) -> dict[str, dict[str, object]]:
    """Try, through raw libc (no Python audit event), what confinement must refuse; report each outcome.

    ``canary``: a readable file in a folder the worker is denied. ``blocked`` is True when the
    kernel refused. Harmless when unconfined: the file is only opened, the socket closed at once,
    and signal 0 only tests whether the parent could be signalled.
    """
    c = libc()
    results: dict[str, dict[str, object]] = {}

    def record(name: str, value: int, cleanup: object = None) -> None:
        code = ctypes.get_errno() if value < 0 else 0
        if value >= 0 and callable(cleanup):
            cleanup(value)
        detail = errno.errorcode.get(code, str(code)) if value < 0 else "allowed"
        results[name] = {"blocked": value < 0, "detail": detail}

    ctypes.set_errno(0)
    record("open_denied_file", c.open(os.fsencode(canary), ctypes.c_int(os.O_RDONLY)), os.close)
    ctypes.set_errno(0)
    record("socket_inet", c.socket(ctypes.c_int(2), ctypes.c_int(1), ctypes.c_int(0)), os.close)  # AF_INET, STREAM
    ctypes.set_errno(0)
    record("kill_parent", c.kill(ctypes.c_int(os.getppid()), ctypes.c_int(0)))
    return results
