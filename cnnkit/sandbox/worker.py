"""The worker process: imports one student module and runs requested operations on it.

It is forked from a server that has already imported torch, so starting one is cheap. Before
any student code runs it: keeps only its pipe and the output capture opened by the trusted side
(every other inherited descriptor is closed), caps memory and file size, restricts ``sys.path``
to the submission copy, and confines itself with what the operating system enforces
(``cnnkit.sandbox.confine``: no new privileges, an unprivileged uid when root, Landlock,
seccomp), then probes that confinement and tells the trusted side the isolation level reached.
The audit hook installed last only turns attempts into friendly messages; it grants nothing.
"""

from __future__ import annotations

import importlib
import io
import os
import pickle
import resource
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

from cnnkit import spec
from cnnkit.sandbox import confine, wire

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

    submission_dir: str  # a private copy of the student's files (writable by the worker)
    module: str  # the exercise module this worker serves
    capture: InheritedFd  # where stdout/stderr go: opened by the trusted side, never by path
    temp_dir: str = ""  # the worker's own temp folder (writable)
    canary: str = ""  # a file in a denied folder, for the self-probe
    denied_roots: list[str] = field(default_factory=list)  # paths the student may not read
    isolation: str = "auto"  # "auto": every OS layer available; "advisory": none (tests, comparisons)
    require: str = ""  # "", "partial" or "strong": refuse to run student code below this level
    memory_limit_bytes: int = 4 << 30  # address space allowed on top of torch's own
    output_limit_bytes: int = 1 << 20  # captured output kept; the rest is counted and dropped
    threads: int = 1


class ForbiddenAPIError(RuntimeError):
    """Raised inside student code when it calls a forbidden torch API."""


class ForbiddenDetector(TorchFunctionMode):
    """Records (and refuses) every torch function call whose name the exercise forbids."""

    def __init__(self, module: str) -> None:
        super().__init__()
        self.module = module
        self.calls: list[str] = []
        # Where autograd is forbidden, recording a graph is too: the engine (``Variable._execution_engine``)
        # and a graph node called directly (``loss.grad_fn(...)``) are no torch functions, but every
        # graph they could run was built by torch functions this mode sees.
        self.no_graph = spec.forbids_autograd(module)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "") or str(func)
        if spec.is_forbidden(self.module, name):
            qualified = f"{getattr(func, '__module__', None) or 'torch'}.{name}".replace("torch._C._nn", "torch.nn.functional")
            self.calls.append(qualified)
            raise ForbiddenAPIError(f"{qualified} is forbidden in {self.module}")
        result = func(*args, **(kwargs or {}))
        if self.no_graph and isinstance(result, torch.Tensor) and result.grad_fn is not None:
            if name == "__get__":  # a property such as Tensor.T
                name = f"Tensor.{getattr(getattr(func, '__self__', None), '__name__', 'attribute')}"
            self.calls.append(f"autograd (a graph recorded through {name}, from inputs with requires_grad)")
            raise ForbiddenAPIError(f"autograd is forbidden in {self.module}")
        return result


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


def _denied(path: Any, roots: list[str]) -> bool:
    try:
        text = os.fsdecode(path) if not isinstance(path, int) else ""
    except TypeError:
        return False
    if not text:
        return False
    resolved = os.path.realpath(text)
    return any(resolved == root or resolved.startswith(root + os.sep) for root in roots)


# Audit events that name paths -> the positions of those paths in the event's arguments.
_PATH_EVENTS: dict[str, tuple[int, ...]] = {
    "open": (0,), "os.listdir": (0,), "os.scandir": (0,), "os.rename": (0, 1), "os.remove": (0,),
    "os.rmdir": (0,), "os.mkdir": (0,), "os.truncate": (0,), "os.chmod": (0,), "os.chown": (0,),
    "os.link": (0, 1), "os.symlink": (0, 1), "os.utime": (0,), "shutil.copyfile": (0, 1),
    "shutil.copytree": (0, 1), "shutil.move": (0, 1), "shutil.rmtree": (0,), "os.chdir": (0,),
    "glob.glob": (0,), "os.walk": (0,),
}  # fmt: skip


def _install_audit_hook(denied_roots: list[str]) -> None:
    roots = [os.path.realpath(root) for root in denied_roots]
    blocked_events = {
        "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
        "subprocess.Popen", "pty.spawn", "socket.connect", "socket.bind", "ctypes.dlopen",
        "os.kill", "os.killpg", "signal.pthread_kill",
    }  # fmt: skip
    own_pid = os.getpid()

    def hook(event: str, args: tuple) -> None:
        if event in _PATH_EVENTS and args:
            for index in _PATH_EVENTS[event]:
                if index < len(args) and _denied(args[index], roots):
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


def _confine(config: WorkerConfig) -> dict[str, Any]:
    """Apply the OS layers (unless ``advisory`` is asked for) and probe them; the isolation record."""
    if config.isolation == "advisory":
        applied, missing, abi = [], ["OS confinement switched off (CNNKIT_ISOLATION=advisory)"], 0
    else:
        denied = [*config.denied_roots, os.path.dirname(config.canary) if config.canary else ""]
        done = confine.confine(
            [*confine.default_read_roots()], [config.submission_dir, config.temp_dir], [d for d in denied if d]
        )
        applied, missing, abi = done.applied, done.missing, done.landlock_abi
    probes = confine.probe(config.canary) if config.canary else {}
    level = confine.Confinement(applied=list(applied)).level
    if level == "strong" and not all(result["blocked"] for result in probes.values()):
        level = "partial"  # applied, but a probe got through: say so
    return {"level": level, "applied": applied, "missing": missing, "landlock_abi": abi, "probes": probes,
            "platform": sys.platform}


def _setup(config: WorkerConfig, connection: Any) -> dict[str, Any]:
    capture_fd = config.capture.fd
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(capture_fd, 1)
    os.dup2(capture_fd, 2)
    _close_inherited({connection.fileno(), capture_fd})
    capture = os.fdopen(capture_fd, "ab", buffering=0)  # noqa: SIM115 (lives as long as the worker)
    sys.stdout = _CappedStream(capture, config.output_limit_bytes)  # type: ignore[assignment]
    sys.stderr = sys.stdout
    sys.stdin = io.StringIO("")
    vm_now = _vm_size()
    limit = vm_now + config.memory_limit_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (16 << 20, 16 << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.chdir(config.submission_dir)
    if config.temp_dir:
        import tempfile

        os.environ["TMPDIR"] = tempfile.tempdir = config.temp_dir
    isolation = _confine(config)
    os.environ["CNNKIT_ISOLATION_LEVEL"] = isolation["level"]
    torch.set_num_threads(config.threads)
    sys.path[:] = [config.submission_dir] + [p for p in sys.path if "site-packages" in p or p.startswith(sys.base_prefix)]
    sys.path[:] = [p for p in sys.path if not any(p == r or p.startswith(r + os.sep) for r in config.denied_roots)]
    sys.dont_write_bytecode = True
    _install_audit_hook(config.denied_roots)
    return isolation


def _vm_size() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _error_reply(exc: BaseException, kind: str) -> dict:
    frames = traceback.extract_tb(exc.__traceback__)
    student_frames = [
        f for f in frames if "cnnkit" not in f.filename and not f.filename.startswith("<frozen") and "importlib" not in f.filename
    ]
    text = "".join(traceback.format_list(student_frames[-6:]))
    return {
        "ok": False,
        "kind": kind,
        "type": type(exc).__name__,
        "message": str(exc)[:2000],
        "traceback": text[-4000:],
    }


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
        return _error_reply(failure.original, "import")
    operation = OPS[request["op"]]
    detector = ForbiddenDetector(config.module)
    try:
        value, extra = operation(student, detector, *request.get("args", ()), **request.get("kwargs", {}))
    except BaseException as exc:  # noqa: BLE001 - the student may raise SystemExit too
        if detector.calls:
            return {"ok": False, "kind": "forbidden", "calls": sorted(set(detector.calls))}
        return _error_reply(exc, "call")
    if detector.calls:
        return {"ok": False, "kind": "forbidden", "calls": sorted(set(detector.calls))}
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
            payload = wire.dumps_reply(_error_reply(exc, "call"))
        connection.send_bytes(payload)
    os._exit(0)
