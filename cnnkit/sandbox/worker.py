"""The worker process: imports one student module and runs requested operations on it.

It is forked from a server that has already imported torch, so starting one is cheap. Before
any student code runs it: keeps only its pipe and the output capture opened by the trusted side
(every other inherited descriptor is closed), joins the cgroup the trusted side made for it
(``cnnkit.sandbox.cgroups``: its tasks and memory bounded, killed whole at the end), mounts its
writable folder as a size-limited tmpfs only it sees, caps address space, file size and (on ids
of its own) tasks, restricts ``sys.path`` to the submission copy, and confines itself with what
the operating system enforces (``cnnkit.sandbox.confine``: no new privileges, a uid of its own
when root, Landlock, seccomp), then probes that confinement and tells the trusted side the
isolation level reached and the resource bounds in force (``cnnkit.sandbox.limits``). The audit
hook installed last only turns attempts into friendly messages; it grants nothing.
"""

from __future__ import annotations

import importlib
import io
import os
import pickle
import resource
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from cnnkit import spec
from cnnkit.sandbox import cgroups, confine, tracebacks, wire
from cnnkit.sandbox.detector import ForbiddenDetector, integrity_problems
from cnnkit.sandbox.limits import Limits, describe_size

# Imported here so that the forkserver preloads them: ops used while grading models.
import cnnkit.sandbox.ops  # noqa: F401  (registers the operations)

# This module is imported by the trusted processes only (the pytest process, and the fork server,
# which preloads it): neither may be read by a worker (memory, environ, fds), even under one uid.
confine.set_dumpable(False)


class InheritedFd:
    """A file descriptor of the trusted side handed to the worker (duplicated through the fork server)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __reduce__(self) -> tuple:
        from multiprocessing import reduction

        return (_rebuild_fd, (reduction.DupFd(self.fd),))


def _rebuild_fd(duplicate: Any) -> InheritedFd:
    return InheritedFd(duplicate.detach())


@dataclass
class WorkerConfig:
    """What the trusted side tells a new worker."""

    submission_dir: str  # a private copy of the student's files (read-only to the worker)
    module: str  # the exercise module this worker serves
    capture: InheritedFd  # where stdout/stderr go: opened by the trusted side, never by path
    temp_dir: str = ""  # the worker's own temp folder (writable: a private tmpfs where possible)
    canary: str = ""  # a file in a denied folder, for the self-probe
    denied_roots: list[str] = field(default_factory=list)  # paths the student may not read
    isolation: str = "auto"  # "auto": every OS layer available; "advisory": none (tests, comparisons)
    require: str = ""  # "", "partial" or "strong": refuse to run student code below this level
    limits: Limits = field(default_factory=Limits)  # memory, tasks, disk, output (``cnnkit.sandbox.limits``)
    cgroup: list[str] = field(default_factory=list)  # the worker's cgroup folders, made by the trusted side
    cgroup_version: int = 0  # their backend (1 or 2; 0: no cgroup)
    threads: int = 1
    # Modules the exercise builds on, given as source (the reference versions, when an exercise is graded
    # on its own merits): installed in memory before the student's module is imported, never as files.
    given_modules: dict[str, str] = field(default_factory=dict)


class _CappedStream(io.TextIOBase):
    """A text stream that writes to the capture file until ``limit`` bytes, then only counts."""

    def __init__(self, target: io.BufferedWriter, limit: int) -> None:
        self.target = target
        self.limit = limit
        self.written = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        data = str(text).encode("utf-8", "replace")
        room = self.limit - self.written
        if room > 0:
            self.target.write(data[:room])
            self.target.flush()
        self.written += len(data)
        return len(text)

    def flush(self) -> None:
        pass


_state: dict[str, Any] = {"module": None, "load_error": None}


def _inside(path: str, roots: Sequence[str]) -> bool:
    return any(path == root or path.startswith(root + os.sep) for root in roots)


def _denied(path: Any, roots: list[str], own: Sequence[str] = ()) -> bool:
    """Whether ``path`` lies in a denied root and not in one of the worker's own folders (which the
    trusted side may place inside a denied root: the run's private scratch folder)."""
    try:
        text = os.fsdecode(path) if not isinstance(path, int) else ""
    except TypeError:
        return False
    if not text:
        return False
    resolved = os.path.realpath(text)
    return _inside(resolved, roots) and not _inside(resolved, own)


# Audit events that name paths -> the positions of those paths in the event's arguments.
_PATH_EVENTS: dict[str, tuple[int, ...]] = {
    "open": (0,), "os.listdir": (0,), "os.scandir": (0,), "os.rename": (0, 1), "os.remove": (0,),
    "os.rmdir": (0,), "os.mkdir": (0,), "os.truncate": (0,), "os.chmod": (0,), "os.chown": (0,),
    "os.link": (0, 1), "os.symlink": (0, 1), "os.utime": (0,), "shutil.copyfile": (0, 1),
    "shutil.copytree": (0, 1), "shutil.move": (0, 1), "shutil.rmtree": (0,), "os.chdir": (0,),
    "glob.glob": (0,), "os.walk": (0,), "sqlite3.connect": (0,),
}  # fmt: skip


def _install_audit_hook(denied_roots: list[str], own_roots: list[str]) -> None:
    roots = [os.path.realpath(root) for root in denied_roots]
    own = [os.path.realpath(root) for root in own_roots if root]
    blocked_events = {
        "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
        "subprocess.Popen", "pty.spawn", "socket.connect", "socket.bind", "ctypes.dlopen",
        "os.kill", "os.killpg", "signal.pthread_kill",
    }  # fmt: skip
    own_pid = os.getpid()

    def hook(event: str, args: tuple) -> None:
        if event in _PATH_EVENTS and args:
            for index in _PATH_EVENTS[event]:
                if index < len(args) and _denied(args[index], roots, own):
                    raise PermissionError(f"the grader's files are not reachable from student code: {args[index]}")
        if event in blocked_events:
            if event == "os.kill" and args and args[0] == own_pid:
                return
            raise PermissionError(f"{event} is not allowed in student code")

    sys.addaudithook(hook)


def _close_inherited(keep: set[int]) -> None:
    """Close every descriptor but 0-2 and ``keep``: the student sees no fd of the trusted side."""
    for name in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []:
        fd = int(name)
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass  # the listing's own descriptor


@dataclass
class _Resources:
    """The resource layers a worker put in place before its confinement (descriptions; "" when absent)."""

    cgroup: dict[str, str] = field(default_factory=dict)  # bound -> how the cgroup holds it
    tmpfs: str = ""
    tasks_rlimit: int = 0  # RLIMIT_NPROC set (0: not set: the uid is shared with the trusted side)
    address_space: str = ""
    missing: list[str] = field(default_factory=list)


def _join_cgroup(config: WorkerConfig, resources: _Resources) -> None:
    """Move into the cgroup the trusted side made for this worker: first, so that all that follows counts."""
    if not config.cgroup:
        resources.missing.append(f"no cgroup ({cgroups.reason() or 'none made for this worker'})")
        return
    try:
        for folder in config.cgroup:
            Path(folder, "cgroup.procs").write_text("0")
    except OSError as exc:
        resources.missing.append(f"could not join its cgroup ({exc.strerror})")
        return
    limits, kind = config.limits, f"cgroup v{config.cgroup_version}"
    resources.cgroup = {
        "tasks": f"{kind}: {limits.worker_tasks} tasks",
        "memory": f"{kind}: {describe_size(limits.worker_memory)}, memfd, tmpfs and page cache counted",
        "kill": f"{kind}: all of it killed at the end",
    }


def _bound_writable_folder(config: WorkerConfig, resources: _Resources, uid: int, gid: int) -> None:
    """The temp folder as a size-limited tmpfs only this worker sees (removed with it)."""
    limits = config.limits
    try:
        resources.tmpfs = confine.private_tmpfs(config.temp_dir, limits.worker_disk, limits.worker_files, uid, gid)
    except OSError as exc:
        resources.missing.append(f"no private tmpfs for its writable folder ({exc})")


def _set_rlimits(config: WorkerConfig, resources: _Resources, own_ids: bool) -> None:
    """Address space on top of torch's own, file size, no core files; tasks where the ids are the
    worker's alone (root: a uid of its own; otherwise a user namespace of its own)."""
    limits = config.limits
    address_space = _vm_size() + limits.worker_memory
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resources.address_space = f"RLIMIT_AS {describe_size(limits.worker_memory)} above torch's own"
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.worker_file_size, limits.worker_file_size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if own_ids:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.worker_tasks, limits.worker_tasks))
        resources.tasks_rlimit = limits.worker_tasks


def _confine(config: WorkerConfig, resources: _Resources) -> dict[str, Any]:
    """Apply the OS layers (unless ``advisory`` is asked for) and probe them; the isolation record."""
    if config.isolation == "advisory":
        done = confine.Confinement(missing=["OS confinement switched off (CNNKIT_ISOLATION=advisory)"])
    else:
        denied = [*config.denied_roots, os.path.dirname(config.canary) if config.canary else ""]
        # Without its bounded tmpfs the worker writes nowhere (no honest exercise writes files).
        writable = [config.temp_dir] if resources.tmpfs else []
        done = confine.confine(confine.default_read_roots(), writable, [d for d in denied if d],
                               own_read=[config.submission_dir])
        applied = {item.split(":")[0] for item in done.applied}
        own_ids = bool({"own_uid", "no_capabilities"} & applied) and resources.tasks_rlimit > 0
        own_tasks = f"ids of its own, RLIMIT_NPROC {resources.tasks_rlimit}" if own_ids else ""
        no_writes = "no writable folder (Landlock)" if "landlock" in applied else ""
        done.bounds, unbounded = confine.resource_bounds(
            cgroup=resources.cgroup, own_tasks=own_tasks, writable=resources.tmpfs or no_writes,
            seccomp="seccomp" in applied, address_space=resources.address_space)
        done.missing += [*resources.missing, *unbounded]
    probes = confine.probe(config.canary) if config.canary else {}
    level = done.level
    if level == "strong" and not all(result["blocked"] for result in probes.values()):
        level = "partial"  # applied, but a probe got through: say so
    return {"level": level, "applied": done.applied, "missing": done.missing, "landlock_abi": done.landlock_abi,
            "bounds": done.bounds, "probes": probes, "platform": sys.platform}


def _setup(config: WorkerConfig, connection: Any) -> dict[str, Any]:
    capture_fd = config.capture.fd
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(capture_fd, 1)
    os.dup2(capture_fd, 2)
    _close_inherited({connection.fileno(), capture_fd})
    capture = os.fdopen(capture_fd, "ab", buffering=0)  # noqa: SIM115 (lives as long as the worker)
    sys.stdout = _CappedStream(capture, config.limits.worker_output)  # type: ignore[assignment]
    sys.stderr = sys.stdout
    sys.stdin = io.StringIO("")
    resources = _Resources()
    layers = config.isolation != "advisory" and sys.platform.startswith("linux")
    root = os.geteuid() == 0
    uid, gid = (confine.worker_uid(os.getpid()),) * 2 if root else (os.geteuid(), os.getegid())
    if layers:
        _join_cgroup(config, resources)
        if config.temp_dir:
            _bound_writable_folder(config, resources, uid, gid)
    _set_rlimits(config, resources, own_ids=layers and (root or confine.in_own_user_namespace()))
    os.chdir(config.submission_dir)
    if config.temp_dir:
        import tempfile

        os.environ["TMPDIR"] = tempfile.tempdir = config.temp_dir
    isolation = _confine(config, resources)
    os.environ["CNNKIT_ISOLATION_LEVEL"] = isolation["level"]
    torch.set_num_threads(config.threads)
    kept = [p for p in sys.path if "site-packages" in p or p.startswith(sys.base_prefix)]
    sys.path[:] = [config.submission_dir, *(p for p in kept if not _inside(p, config.denied_roots))]
    sys.dont_write_bytecode = True
    _install_audit_hook(config.denied_roots, [config.submission_dir, config.temp_dir])
    return isolation


def _vm_size() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _error_reply(exc: BaseException, kind: str, submission_dir: str) -> dict:
    """An error reply: the exception's type and message, and where in the student's own files it happened."""
    location = tracebacks.student_location(exc, submission_dir)
    return {
        "ok": False,
        "kind": kind,
        "type": type(exc).__name__,
        "message": str(exc)[:2000],
        "traceback": location.describe()[-4000:] if location else "",
        "where": location.key if location else "",
    }


def _install_given(sources: dict[str, str]) -> None:
    """Put the given modules into ``sys.modules`` (in curriculum order: a later one may import an earlier).

    They exist in memory only, under a file name no path resolves to: the student's code imports them
    as it would its own files, and tracebacks through them are not shown as the student's.
    """
    import types

    order = {exercise.module: index for index, exercise in enumerate(spec.EXERCISES)}
    for name in sorted(sources, key=lambda module: order.get(module, len(order))):
        module = types.ModuleType(name)
        module.__file__ = f"<given {name}>"
        sys.modules[name] = module
        exec(compile(sources[name], module.__file__, "exec"), module.__dict__)  # noqa: S102 - trusted kit input


def load_student_module(config: WorkerConfig) -> Any:
    """Import the exercise module once; later calls reuse it (or its import error)."""
    if _state["module"] is None and _state["load_error"] is None:
        try:
            _state["module"] = importlib.import_module(config.module)
        except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt included
            _state["load_error"] = exc
    if _state["load_error"] is not None:
        raise _LoadFailed(_state["load_error"])
    return _state["module"]


class _LoadFailed(Exception):
    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


def handle(request: dict, config: WorkerConfig) -> dict:
    """Run one request ``{"op": name, "args": [...], "kwargs": {...}}`` and build the reply."""
    from cnnkit.sandbox.ops import OPS

    try:
        student = load_student_module(config)
    except _LoadFailed as failure:
        return _error_reply(failure.original, "import", config.submission_dir)
    operation = OPS[request["op"]]
    # What the detector relies on is checked before the call (import-time code, an earlier call) and after it.
    before = integrity_problems()
    if before:
        return {"ok": False, "kind": "flagged", "findings": before}  # nothing more of the student's code runs
    detector = ForbiddenDetector(config.module)
    failure: BaseException | None = None
    try:
        value, extra = operation(student, detector, *request.get("args", ()), **request.get("kwargs", {}))
    except BaseException as exc:  # noqa: BLE001 - the student may raise SystemExit too
        failure = exc
    problems = integrity_problems(detector)
    if problems:
        return {"ok": False, "kind": "flagged", "findings": problems}
    if detector.calls:
        return {"ok": False, "kind": "forbidden", "calls": sorted(set(detector.calls))}
    if failure is not None:
        return _error_reply(failure, "call", config.submission_dir)
    return {"ok": True, "value": wire.encode(value), **{key: wire.encode(item) for key, item in extra.items()}}


def serve(connection: Any, config: WorkerConfig) -> None:
    """Worker main loop: answer requests until the trusted side closes the connection."""
    try:
        isolation = _setup(config, connection)
    except BaseException as exc:  # noqa: BLE001 - e.g. several threads: refuse rather than run unconfined
        reply = {"ok": False, "kind": "setup", "message": f"{type(exc).__name__}: {exc}"}
        connection.send_bytes(wire.dumps_reply(reply))
        os._exit(1)
    if config.require and confine.LEVELS.index(isolation["level"]) < confine.LEVELS.index(config.require):
        connection.send_bytes(wire.dumps_reply({"ok": False, "kind": "isolation", "isolation": isolation}))
        os._exit(0)  # no student code ran
    _install_given(config.given_modules)
    connection.send_bytes(wire.dumps_reply({"ok": True, "ready": True, "isolation": isolation}))
    while True:
        try:
            data = connection.recv_bytes()
        except EOFError:
            break
        request = pickle.loads(data)
        reply = handle(request, config)
        try:
            payload = wire.dumps_reply(reply)
        except BaseException as exc:  # noqa: BLE001
            payload = wire.dumps_reply(_error_reply(exc, "call", config.submission_dir))
        connection.send_bytes(payload)
    os._exit(0)
