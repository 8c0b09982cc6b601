"""Kernel resource boundaries for grading: a cgroup per grading run and one per worker inside it.

Layout, in each hierarchy in use (``<base>`` is the grading server's own cgroup)::

    <base>/cnnkit-<server pid>/            one per warm grading server
        run-<id>/                          one per grading run: pids.max, memory limit (Limits.run_*)
            main/                          the run's trusted processes (pytest, its fork server)
            worker-<pid>-<n>/              one per worker: pids.max, memory limit (Limits.worker_*)

The memory limit counts what ``RLIMIT_AS`` misses (memfd, tmpfs and the page cache a worker's own
files take), the task limit counts threads, and a run ends with everything in its cgroup killed,
whatever its processes did to their sessions or process groups.

Backends, first that works: **cgroup v2** where its ``pids`` and ``memory`` controllers can be
given to children of ``<base>`` (a delegated cgroup, or a container's root); **cgroup v1** where the
``pids`` and ``memory`` hierarchies are mounted and writable; else **none**, and ``reason()`` says
why (the worker then relies on its fallbacks: a uid of its own with ``RLIMIT_NPROC``, seccomp
denying ``setsid``/``setpgid``/``memfd_create``, a size-limited private tmpfs; see ``confine``).

Free of torch: the grading server uses it. Every operation on the kernel's files is small (a
``mkdir``, a write, an ``rmdir``: about a millisecond per worker).
"""

from __future__ import annotations

import atexit
import errno
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CONTROLLERS = ("pids", "memory")
#: A cgroup v2 leaf the top-level process moves itself into so that its own cgroup may hand the
#: controllers to children (``prepare_delegated``); the server then makes its groups beside it.
LEADER_PREFIX = "cnnkit-leader-"
SESSION_PREFIX = "cnnkit-"


@dataclass(frozen=True)
class Backend:
    """The cgroup hierarchies in use: v2's single one, or v1's ``pids`` and ``memory``."""

    version: int
    bases: tuple[Path, ...]  # this process's own cgroup folder in each hierarchy (where its groups go)

    def describe(self) -> str:
        return f"cgroup v{self.version}"


# -- finding the hierarchies -------------------------------------------------------------------------
def _mounts(mountinfo: str) -> list[tuple[str, str, str, set[str]]]:
    """``(mount root, mount point, fs type, super options)`` of every cgroup mount in ``mountinfo``."""
    found = []
    for line in mountinfo.splitlines():
        before, _, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
            found.append((fields[3], fields[4].replace("\\040", " "), tail[0], set(tail[2].split(","))))
    return found


def _own_groups(proc_cgroup: str) -> dict[str, str]:
    """``{controller or "": path}`` from ``/proc/self/cgroup`` ("" is the v2 hierarchy)."""
    groups: dict[str, str] = {}
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(",") if parts[1] else [""]:
                groups[controller] = parts[2]
    return groups


def _folder(mount_root: str, mount_point: str, path: str) -> Path | None:
    """The folder of cgroup ``path`` under a mount of the hierarchy's ``mount_root`` (None: not visible)."""
    root = mount_root.rstrip("/")
    if root and path != root and not path.startswith(root + "/"):
        return None
    return Path(mount_point) / path[len(root):].lstrip("/")


def _writable(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def _v2_base(folder: Path) -> Path | None:
    """Where this process may make cgroups with pids and memory (v2), or None.

    Its own cgroup when the controllers can be handed to children there; the parent when it is a
    leader leaf (``prepare_delegated``), whose controllers were handed over already.
    """
    if folder.name.startswith(LEADER_PREFIX):
        folder = folder.parent
    try:
        available = set((folder / "cgroup.controllers").read_text().split())
    except OSError:
        return None
    if not set(CONTROLLERS) <= available or not _writable(folder):
        return None
    return folder if _delegate(folder) else None


def _delegate(folder: Path) -> bool:
    """Give the children of v2 ``folder`` the pids and memory controllers (False: the kernel refused,
    e.g. ``folder`` holds processes itself: v2's "no internal processes" rule)."""
    control = folder / "cgroup.subtree_control"
    try:
        if set(CONTROLLERS) <= set(control.read_text().split()):
            return True
        control.write_text(" ".join(f"+{name}" for name in CONTROLLERS))
        return True
    except OSError:
        return False


def detect(mountinfo: str | None = None, proc_cgroup: str | None = None) -> Backend | str:
    """The backend this process can use, or a sentence saying why none (arguments: for tests)."""
    try:
        mountinfo = Path("/proc/self/mountinfo").read_text() if mountinfo is None else mountinfo
        proc_cgroup = Path("/proc/self/cgroup").read_text() if proc_cgroup is None else proc_cgroup
    except OSError:
        return "no cgroups on this system"
    mounts, own = _mounts(mountinfo), _own_groups(proc_cgroup)
    for root, point, kind, _ in mounts:
        if kind == "cgroup2" and "" in own:
            folder = _folder(root, point, own[""])
            base = _v2_base(folder) if folder is not None else None
            if base is not None:
                return Backend(2, (base,))
    v1 = {}
    for root, point, kind, options in mounts:
        for controller in CONTROLLERS:
            if kind == "cgroup" and controller in options and controller in own and controller not in v1:
                folder = _folder(root, point, own[controller])
                if folder is not None and _writable(folder):
                    v1[controller] = folder
    if len(v1) == len(CONTROLLERS):
        return Backend(1, tuple(v1[controller] for controller in CONTROLLERS))
    return ("no writable cgroup with pids and memory (cgroup v2 not delegated to this process, cgroup v1 "
            "pids/memory not mounted or not writable)")


# -- one cgroup -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Group:
    """One cgroup, as its folder in each hierarchy of the backend."""

    backend: Backend
    folders: tuple[Path, ...]

    @property
    def name(self) -> str:
        return self.folders[0].name

    def exists(self) -> bool:
        return any(folder.is_dir() for folder in self.folders)

    def below(self, name: str) -> Group:
        """The child cgroup ``name``, whether or not it exists (nothing is made)."""
        return Group(self.backend, tuple(folder / name for folder in self.folders))

    def child(self, name: str, *, tasks: int | None = None, memory: int | None = None) -> Group:
        """Make (or reuse) the child cgroup ``name`` with these limits. ``OSError`` when the kernel refuses."""
        if self.backend.version == 2:
            for folder in self.folders:
                if not _delegate(folder):
                    raise OSError(errno.EBUSY, f"cannot hand pids and memory to the children of {folder}")
        group = self.below(name)
        for folder in group.folders:
            folder.mkdir(exist_ok=True)
        group.limit(tasks=tasks, memory=memory)
        return group

    def limit(self, *, tasks: int | None, memory: int | None) -> None:
        """Set the task and memory limits (None: leave as is). No swap beyond the memory limit."""
        if self.backend.version == 2:
            folder = self.folders[0]
            if tasks is not None:
                (folder / "pids.max").write_text(str(tasks))
            if memory is not None:
                (folder / "memory.max").write_text(str(memory))
                _write_if_present(folder / "memory.swap.max", "0")
                _write_if_present(folder / "memory.oom.group", "1")  # an OOM kills the whole group
            return
        pids, mem = self.folders
        if tasks is not None:
            (pids / "pids.max").write_text(str(tasks))
        if memory is not None:
            (mem / "memory.limit_in_bytes").write_text(str(memory))
            _write_if_present(mem / "memory.memsw.limit_in_bytes", str(memory))

    def join(self, pid: int = 0) -> None:
        """Move process ``pid`` (0: the caller, all its threads) into this cgroup."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(str(pid))

    def pids(self) -> set[int]:
        """Every process in this cgroup and its descendants."""
        found: set[int] = set()
        for top in self.folders:
            for folder, _, _ in os.walk(top):
                try:
                    found.update(int(line) for line in Path(folder, "cgroup.procs").read_text().split())
                except (OSError, ValueError):
                    pass
        return found

    def kill(self, timeout: float = 5.0) -> bool:
        """SIGKILL everything in this cgroup and below; True once none is left (within ``timeout`` s)."""
        kill_file = self.folders[0] / "cgroup.kill"
        if self.backend.version == 2 and kill_file.exists():
            _write_if_present(kill_file, "1")
        deadline = time.monotonic() + timeout
        while True:
            left = self.pids()
            if not left:
                return True
            for pid in left:  # v1 (and v2 before 5.14): one by one, until a fork during the loop is caught too
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)

    def remove(self, timeout: float = 10.0) -> bool:
        """Kill everything in this cgroup, then remove it and its descendants; True when all is gone
        within ``timeout`` seconds (a killed process holds its cgroup until it has finished exiting)."""
        deadline = time.monotonic() + timeout
        self.kill(timeout)
        while True:
            for top in self.folders:
                if top.is_dir():
                    for folder, _, _ in sorted(os.walk(top), key=lambda entry: -len(entry[0])):
                        try:
                            os.rmdir(folder)
                        except OSError:
                            pass
            if not self.exists():
                return True
            if time.monotonic() > deadline:
                return False
            self.kill(0.0)
            time.sleep(0.01)

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process of this cgroup for going over its memory limit."""
        name = "memory.events" if self.backend.version == 2 else "memory.oom_control"
        folder = self.folders[0] if self.backend.version == 2 else self.folders[1]
        try:
            for line in (folder / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and int(value) > 0:
                    return True
        except (OSError, ValueError):
            pass
        return False

    def as_paths(self) -> list[str]:
        return [str(folder) for folder in self.folders]


def _write_if_present(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError:
        pass


# -- this process's groups ------------------------------------------------------------------------------
_state: dict[str, object] = {"backend": None, "run": None, "session": None}


def backend() -> Backend | None:
    """This process's backend (detected once), or None."""
    if _state["backend"] is None:
        _state["backend"] = detect()
    found = _state["backend"]
    return found if isinstance(found, Backend) else None


def reason() -> str:
    """Why there is no backend ("" when there is one)."""
    backend()
    found = _state["backend"]
    return found if isinstance(found, str) else ""


def session_of(server_pid: int) -> Group | None:
    """The cgroup of the grading server ``server_pid`` (its runs' groups are its children, ``run_name``),
    or None where this process has no backend. Not made here (``open_session``)."""
    found = backend()
    return Group(found, found.bases).below(f"{SESSION_PREFIX}{server_pid}") if found is not None else None


def run_name(run_id: int) -> str:
    """The name of a grading run's cgroup in its server's cgroup."""
    return f"run-{run_id}"


def open_session(server_pid: int) -> Group | None:
    """Make the server's cgroup (no limits of its own: each run's are set on the run). None without a backend."""
    found = backend()
    if found is None:
        return None
    try:
        return Group(found, found.bases).child(f"{SESSION_PREFIX}{server_pid}")
    except OSError:
        return None


def set_current_run(group: Group | None) -> None:
    """In a grading run (a fork of the server): the run's cgroup, under which its workers get theirs."""
    _state["run"] = group


def current_run() -> Group | None:
    return _state["run"]  # type: ignore[return-value]


def worker_parent() -> Group | None:
    """The cgroup under which this process puts its workers' cgroups: the grading run's, or (pytest run
    directly, without the runner) a group of this process's own, removed when it exits. None: no backend."""
    run = current_run()
    if run is not None:
        return run
    if _state["session"] is None:
        session = open_session(os.getpid())
        _state["session"] = session or False
        if session is not None:
            atexit.register(session.remove)
    return _state["session"] or None  # type: ignore[return-value]


def prepare_delegated() -> bool:
    """cgroup v2 with this process alone in a cgroup whose children could get pids and memory
    (``systemd-run --scope -p Delegate=yes cnnkit grade ...``): move this process into a leaf of its
    own there, so that the cgroup may hand the controllers to the grading server's groups. Called by
    the top-level process before it starts a grading server; True when it moved and a backend is found."""
    if backend() is not None:
        return False
    try:
        mountinfo, proc_cgroup = Path("/proc/self/mountinfo").read_text(), Path("/proc/self/cgroup").read_text()
    except OSError:
        return False
    if move_into_leader(mountinfo, proc_cgroup, os.getpid()) is None:
        return False
    _state["backend"] = None  # detect again: the leader's parent is the base now
    return backend() is not None


def move_into_leader(mountinfo: str, proc_cgroup: str, pid: int) -> Path | None:
    """Where process ``pid`` is alone in its v2 cgroup and pids and memory are available there: move it
    into a new leaf ``cnnkit-leader-<pid>`` and return that leaf (None: nothing done)."""
    own = _own_groups(proc_cgroup).get("")
    for root, point, kind, _ in _mounts(mountinfo):
        folder = _folder(root, point, own) if kind == "cgroup2" and own is not None else None
        if folder is None or not _writable(folder):
            continue
        try:
            members = set((folder / "cgroup.procs").read_text().split())
            available = set((folder / "cgroup.controllers").read_text().split())
        except OSError:
            continue
        if members != {str(pid)} or not set(CONTROLLERS) <= available:
            continue
        leader = folder / f"{LEADER_PREFIX}{pid}"
        try:
            leader.mkdir(exist_ok=True)
            (leader / "cgroup.procs").write_text(str(pid))
        except OSError:
            return None
        return leader
    return None
