"""Trusted side of the sandbox: start a worker for one exercise module and call into it.

Each worker gets a folder of its own (``Sandbox``), made in this process's temp folder: in a
grading run that is the run's private scratch folder (``cnnkit.grading.server`` points ``TMPDIR``
there), removed with it however the run ends. Each worker also gets a cgroup of its own under the
run's (``cnnkit.sandbox.cgroups``), removed when it stops.
"""

from __future__ import annotations

import ast
import dataclasses
import itertools
import mmap
import multiprocessing
import os
import pickle
import select
import shutil
import stat
import struct
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from cnnkit import spec
from cnnkit.sandbox import cgroups, confine, wire
from cnnkit.sandbox.confine import ISOLATION_ENV, REQUIRE_ENV
from cnnkit.sandbox.errors import (
    FlaggedCode,
    ForbiddenCall,
    StudentCodeError,
    StudentCrash,
    StudentError,
    StudentTimeout,
    TimedOutEarlier,
)
from cnnkit.sandbox.limits import Limits, current, describe_size
from cnnkit.sandbox.ops import functions_called
from cnnkit.sandbox.timeouts import TimeoutMemory
from cnnkit.sandbox.worker import InheritedFd, WorkerConfig, serve

#: Replies at least this large are read into an anonymous mapping (memory taken as bytes arrive).
_MAPPED_REPLY = 1 << 20
STARTUP_TIMEOUT = 120.0  # seconds for a fresh worker to say it is ready (not the student's time)
_context: multiprocessing.context.ForkServerContext | None = None
#: The isolation record of every worker this process started (see ``isolation_summary``).
ISOLATION_RECORDS: list[dict[str, Any]] = []


class IsolationRefused(RuntimeError):
    """A worker reached a lower isolation level than required and ran no student code."""


def isolation_summary() -> dict[str, Any] | None:
    """The weakest isolation any worker of this process reached, with what it applied and its probes.

    None when no worker started (nothing of the student's ran).
    """
    if not ISOLATION_RECORDS:
        return None
    weakest = min(ISOLATION_RECORDS, key=lambda record: confine.LEVELS.index(record["level"]))
    return {**weakest, "workers": len(ISOLATION_RECORDS)}


#: Workers' modules: the fork server has them imported before it forks any worker.
WORKER_PRELOAD = ["torch", "cnnkit.sandbox.worker"]
#: Python versions whose ``multiprocessing.forkserver`` ``fork_fork_server`` knows (``main``'s
#: signature and the client's state); elsewhere the fork server is started the ordinary way.
_FORKABLE_SERVER_VERSIONS = ((3, 10), (3, 11), (3, 12), (3, 13))


def _forkserver() -> multiprocessing.context.ForkServerContext:
    """One fork server per trusted process, with torch and the worker already imported."""
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(WORKER_PRELOAD)
    return _context


def start_fork_server() -> None:
    """Start the fork server now: it imports torch in the background while the caller goes on."""
    from multiprocessing import forkserver

    _forkserver()
    forkserver.ensure_running()


def fork_fork_server() -> bool:
    """Start this process's fork server as a *fork* of it, not a new interpreter (which imports torch
    again: seconds of CPU per grading run). Call it only while this process holds nothing a worker
    may not see (the warm grading server's fresh run: before any grader or reference is imported),
    with ``WORKER_PRELOAD`` imported. False where this Python's forkserver is not one it knows."""
    from multiprocessing import connection, forkserver, resource_tracker

    server = forkserver._forkserver
    if server._forkserver_pid is not None:
        return True
    if sys.version_info[:2] not in _FORKABLE_SERVER_VERSIONS or not all(m in sys.modules for m in WORKER_PRELOAD):
        return False
    _forkserver()
    resource_tracker.ensure_running()
    import socket

    with socket.socket(socket.AF_UNIX) as listener:
        address = connection.arbitrary_address("AF_UNIX")
        listener.bind(address)
        os.chmod(address, 0o600)
        listener.listen()
        alive_r, alive_w = os.pipe()  # the server exits when every holder of alive_w is gone
        pid = os.fork()
        if pid == 0:
            try:
                os.close(alive_w)
                forkserver.main(listener.fileno(), alive_r, WORKER_PRELOAD)
            finally:
                os._exit(0)
        os.close(alive_r)
    server._forkserver_address, server._forkserver_alive_fd, server._forkserver_pid = address, alive_w, pid
    return True


def input_size(value: Any, depth: int = 0) -> int:
    """Tensor elements reachable from a request's arguments (containers, dataclasses, the kit's objects)."""
    if isinstance(value, torch.Tensor):
        return value.numel()
    if depth > 4:
        return 0
    if isinstance(value, dict):
        return sum(input_size(item, depth + 1) for item in list(value.values())[:1000])
    if isinstance(value, (list, tuple)):
        return sum(input_size(item, depth + 1) for item in value[:1000])
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(input_size(getattr(value, f.name, None), depth + 1) for f in dataclasses.fields(value))
    if type(value).__module__.startswith("cnnkit.") and hasattr(value, "__dict__"):  # data.Batches: its images
        return sum(input_size(item, depth + 1) for item in list(vars(value).values())[:100])
    return 0


def _strings(value: Any, depth: int = 0) -> set[str]:
    """Every string in a request's arguments (model names such as ``model_names=('PlainNN',)``)."""
    if isinstance(value, str):
        return {value}
    if depth > 3 or not isinstance(value, (list, tuple, dict)):
        return set()
    items = list(value.items()) if isinstance(value, dict) else list(value)
    return set().union(*(_strings(item, depth + 1) for item in items[:1000]))


def _names_in(node: ast.AST) -> set[str]:
    """Identifiers used below ``node`` (names, attributes, imported names)."""
    names: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            names.add(child.id)
        elif isinstance(child, ast.Attribute):
            names.add(child.attr)
        elif isinstance(child, ast.alias):
            names.add(child.name.rsplit(".", 1)[-1])
    return names


@dataclass(frozen=True)
class SourceNames:
    """The identifiers a module's source uses: in each top-level function or class, and in the rest."""

    definitions: dict[str, set[str]]  # top-level def/class name -> identifiers in its body
    module_level: set[str]  # identifiers in module code outside every top-level definition and import
    everything: set[str]  # every identifier of the source, imports included

    def used_by(self, functions: Iterable[str]) -> set[str]:
        """What calling ``functions`` may reach: their bodies, the bodies of the module's definitions they
        name (transitively), and all module-level code. Everything when one of them is not a definition."""
        pending = list(functions)
        if not pending or any(name not in self.definitions for name in pending):
            return set(self.everything)
        reached, seen = set(self.module_level), set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            body = self.definitions[name]
            reached |= body
            pending += [used for used in body if used in self.definitions and used not in seen]
        return reached


def source_names(source: bytes) -> SourceNames | None:
    """The identifiers of a module's source (``SourceNames``); None when it cannot be parsed.

    Parsing runs nothing of the student's; a file too large or too deep to parse gives None.
    """
    if len(source) > 2_000_000:
        return None
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    definitions = {node.name: _names_in(node) for node in tree.body if isinstance(node, kinds)}
    # Imports only bind names (a definition that calls one names it itself); other module code may call.
    other = [node for node in tree.body if not isinstance(node, (*kinds, ast.Import, ast.ImportFrom))]
    module_level = set().union(*(_names_in(node) for node in other))
    return SourceNames(definitions, module_level, _names_in(tree))


@dataclass
class SandboxConfig:
    """Limits and locations for one submission's workers."""

    submission_dir: Path
    denied_roots: list[Path] = field(default_factory=list)
    limits: Limits = field(default_factory=current)  # memory, tasks, disk, output, reply size
    threads: int = 1
    timeout_scale: float = 1.0  # multiply every exercise's call timeout (slow machines)
    isolation: str = field(default_factory=lambda: os.environ.get(ISOLATION_ENV, "auto"))
    require: str = field(default_factory=lambda: os.environ.get(REQUIRE_ENV, ""))
    timeouts: TimeoutMemory = field(default_factory=TimeoutMemory)  # share one per submission (all its sandboxes)


class Sandbox:
    """A worker process serving one exercise module of one submission.

    ``request(op, *args, timeout=...)`` runs a worker operation (see ``cnnkit.sandbox.ops``) and
    returns ``(value, extra)``, or raises a ``StudentError``. After a timeout or crash the worker
    is replaced on the next request; after an import failure every request re-raises it. Within
    one test (``begin_test``), a timeout or crash is remembered and re-raised at once, so a
    hanging function costs its time limit once per test, not once per Hypothesis example; across
    tests and exercises, ``config.timeouts`` (a ``TimeoutMemory``) answers a call of a function
    that already timed out at once. A crash is only remembered within its test: the worker is
    restarted and the next test runs.
    """

    _starts = itertools.count()

    def __init__(self, module: str, config: SandboxConfig, given: dict[str, str] | None = None) -> None:
        """``given``: modules the exercise builds on, as source, used instead of the submission's files (the
        reference versions: the exercise is then graded on its own code alone; ``WorkerConfig.given_modules``)."""
        self.module = module
        self.config = config
        self.given = dict(given or {})
        # workdir (trusted, 0o711): submission/ (read-only to the worker), tmp/ (its writable folder: a
        # private tmpfs mounted there in its own mount namespace), output.txt and canary (trusted only)
        self._workdir = Path(tempfile.mkdtemp(prefix=f"cnnkit-{module}-"))
        self._copy = self._workdir / "submission"
        self._temp = self._workdir / "tmp"
        self._capture = self._workdir / "output.txt"
        self._canary = self._workdir / "canary"
        self._process: multiprocessing.process.BaseProcess | None = None
        self._connection: Any = None
        self._cgroup: cgroups.Group | None = None
        self._import_failure: StudentError | None = None
        self._test_failure: StudentError | None = None
        self._test_name = ""
        self._source: SourceNames | None = None  # identifiers of the module's source (``_dependency_calls``)
        self.isolation: dict[str, Any] | None = None
        self._capture_fd = os.open(self._capture, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        self._canary.write_text("if a worker can read this, the filesystem confinement is not in force\n")
        self._copy.mkdir()
        self._temp.mkdir(mode=0o700)
        self._copy_submission()
        try:
            self._source = source_names(_read_regular(self._copy / f"{module}.py"))
        except (OSError, _NotRegular):
            self._source = None
        # Workers started as root run under ids of their own: they pass through the workdir, read
        # their copy (its owner stays root: read-only to them) and the canary (only Landlock keeps them
        # out of it, which is what the probe measures); tmp/ is theirs only as the tmpfs mounted there.
        self._workdir.chmod(0o711)
        self._canary.chmod(0o644)
        for path in [self._copy, *self._copy.iterdir()]:
            path.chmod(0o755 if path.is_dir() else 0o644)

    # -- lifecycle ---------------------------------------------------------------------------
    def _copy_submission(self) -> None:
        """Copy the submission's ``*.py`` regular files; a symbolic link is replaced by a module saying why."""
        source = Path(self.config.submission_dir)
        if not source.is_dir():
            return
        for path in sorted(source.glob("*.py")):
            if path.stem in self.given:
                continue  # the given version is used instead
            target = self._copy / path.name
            try:
                data = _read_regular(path)
            except _NotRegular as refusal:
                target.write_text(f"raise ImportError({str(refusal)!r})\n")
                continue
            except OSError:
                continue
            target.write_bytes(data)

    def _start(self) -> None:
        context = _forkserver()
        parent_end, child_end = context.Pipe(duplex=True)
        worker_config = WorkerConfig(
            submission_dir=str(self._copy),
            module=self.module,
            capture=InheritedFd(self._capture_fd),
            temp_dir=str(self._temp),
            canary=str(self._canary),
            denied_roots=[str(Path(root).resolve()) for root in self.config.denied_roots],
            isolation=self.config.isolation,
            require=self.config.require,
            limits=self.config.limits,
            threads=self.config.threads,
            given_modules=self.given,
        )
        self._cgroup = self._make_cgroup()
        if self._cgroup is not None:
            worker_config.cgroup = self._cgroup.as_paths()
            worker_config.cgroup_version = self._cgroup.backend.version
        process = context.Process(target=serve, args=(child_end, worker_config), daemon=True)
        process.start()
        child_end.close()
        self._process, self._connection = process, parent_end
        reply = self._receive(STARTUP_TIMEOUT, starting=True)
        isolation = reply.get("isolation")
        if isinstance(isolation, dict):
            self.isolation = isolation
            ISOLATION_RECORDS.append(isolation)
        if reply.get("kind") == "isolation":
            self._stop()
            level = isolation.get("level") if isinstance(isolation, dict) else "unknown"
            raise IsolationRefused(f"isolation {level} is below the required {self.config.require}: "
                                   "no student code was run")
        if reply.get("kind") == "setup":
            self._stop()
            raise RuntimeError(f"the grading worker could not confine itself: {reply.get('message')}")
        if not reply.get("ready"):
            raise RuntimeError("the grading worker did not start")

    def _make_cgroup(self) -> cgroups.Group | None:
        """A cgroup for the next worker, under the run's, with the worker's limits (None: no backend, or
        the OS layers are switched off; the worker then says what bounds it instead)."""
        parent = cgroups.worker_parent() if self.config.isolation != "advisory" else None
        if parent is None:
            return None
        limits = self.config.limits
        try:
            return parent.child(f"worker-{os.getpid()}-{next(self._starts)}", tasks=limits.worker_tasks,
                                memory=limits.worker_memory)
        except OSError:
            return None

    def _stop(self) -> None:
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(timeout=5)
            self._process = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._cgroup is not None:
            self._cgroup.remove()  # and whatever was still in it
            self._cgroup = None

    def close(self) -> None:
        """Stop the worker and delete the private copy of the submission."""
        self._stop()
        if self._capture_fd >= 0:
            os.close(self._capture_fd)
            self._capture_fd = -1
        shutil.rmtree(self._workdir, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def begin_test(self, name: str = "") -> None:
        """Forget the timeout/crash of the previous test; ``name`` is the test's (``TimedOutEarlier`` names it)."""
        self._test_failure = None
        self._test_name = name

    def _dependency_calls(self, op: str, args: tuple, kwargs: dict) -> list[tuple[str, str]]:
        """``(module, function)`` of the exercises this one builds on that a request will run.

        The functions the request names (``model_names=('PlainNN',)``), else those that the module's
        functions this request calls use (``train_own_cnn`` uses ``train_model``; ``Conv2dFunction``
        does not); everything the exercise builds on if the source cannot be read.
        """
        exercise = spec.BY_MODULE.get(self.module)
        if exercise is None:
            return []
        named = _strings(args) | _strings(kwargs)
        used = self._source.used_by(functions_called(op, args)) if self._source is not None else None
        calls = []
        for module in exercise.depends_on:
            if module in self.given:
                continue  # not the student's: their timeouts do not apply
            functions = spec.exercise(module).functions
            chosen = [f for f in functions if f in named]
            if not chosen:
                chosen = [f for f in functions if used is None or f in used]
            calls += [(module, function) for function in chosen]
        return calls

    def _earlier_timeout(self, op: str, args: tuple, kwargs: dict, size: int) -> TimedOutEarlier | None:
        """``TimedOutEarlier`` when this request would run a function that already timed out."""
        memory = self.config.timeouts
        own = [(self.module, function, size) for function in functions_called(op, args)]
        for module, function, needed in own + [(m, f, None) for m, f in self._dependency_calls(op, args, kwargs)]:
            known = memory.hopeless(module, function, needed)
            if known is None:
                continue
            where = "" if module == self.module else f", and {self.module} runs it"
            return TimedOutEarlier(
                f"{module}.{function} timed out earlier in {known.test} (limit {known.limit:g} s){where}: not run "
                "again here (0 points for this test, without waiting out the limit again). Check it locally with "
                f"`pytest graders -m {module} -x`, or call {function} on a tiny input and time it; once it returns "
                "in time, this test runs again.",
                f"{module}.{function}", known.test,
            )
        return None

    # -- calls --------------------------------------------------------------------------------
    def request(self, op: str, *args: Any, timeout: float, **kwargs: Any) -> tuple[Any, dict]:
        """Run worker operation ``op`` and return ``(value, extra)``."""
        if self._import_failure is not None:
            raise self._import_failure
        if self._test_failure is not None:
            raise self._test_failure
        size = input_size((args, kwargs))
        earlier = self._earlier_timeout(op, args, kwargs, size)
        if earlier is not None:
            self._test_failure = earlier
            raise earlier
        if self._process is None or not self._process.is_alive():
            self._stop()
            self._start()
        payload = pickle.dumps({"op": op, "args": args, "kwargs": kwargs})
        self._connection.send_bytes(payload)
        full = timeout * self.config.timeout_scale
        functions = functions_called(op, args)
        limit = min([full, *(self.config.timeouts.reduced_limit(self.module, f, size, full) for f in functions)])
        started = time.monotonic()
        try:
            reply = self._receive(limit)
        except (StudentTimeout, StudentCrash) as failure:
            self._stop()
            if isinstance(failure, StudentTimeout):
                self.config.timeouts.timed_out(self.module, functions, size, self._test_name or "an earlier test", full)
                if limit < full:
                    failure = StudentTimeout(
                        f"{failure} (the limit was cut from {full:g} s because {', '.join(functions)} had "
                        "timed out in an earlier test; it still runs in full on smaller inputs)"
                    )
            self._test_failure = failure
            raise failure from None
        self.config.timeouts.returned(self.module, functions, size, time.monotonic() - started)
        return self._interpret(reply)

    def _receive(self, timeout: float, starting: bool = False) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                ready = self._connection.poll(max(0.0, min(remaining, 0.5)))
            except (EOFError, OSError):
                ready = True
            if ready:
                try:
                    return self._decode(self._read_message(deadline, starting))
                except (EOFError, OSError):
                    break  # the worker died
                except (StudentCrash, StudentTimeout, RuntimeError):
                    raise
                except Exception as exc:  # noqa: BLE001 - a malformed reply is the student's doing
                    raise StudentCrash(f"{self.module}: the worker sent a reply the grader refuses to read "
                                       f"({type(exc).__name__}: {str(exc)[:200]})") from None
            if remaining <= 0:
                if starting:
                    raise RuntimeError(f"the grading worker did not start within {timeout:.0f} s")
                raise StudentTimeout(f"{self.module}: your code ran longer than the limit of {timeout:g} s "
                                     "(an infinite loop, or far too slow for these small inputs)")
            if self._process is not None and not self._process.is_alive() and not self._connection.poll(0):
                break
        if starting:
            raise RuntimeError("the grading worker died while starting")
        raise StudentCrash(self._death_message())

    def _decode(self, message: memoryview) -> dict:
        """The reply in ``message``, decoded within ``Limits.reply_values`` (see ``wire``)."""
        try:
            return wire.loads_reply(message, self.config.limits.reply_values)
        finally:
            message.release()

    def _read_message(self, deadline: float, starting: bool) -> memoryview:
        """One message in ``multiprocessing.Connection``'s framing, read before ``deadline``.

        Not ``recv_bytes``: the worker's code can write anything to its end of the pipe, and a forged
        length would leave ``recv_bytes`` waiting, past every limit, for bytes that never come. The
        length is checked against ``Limits.reply_bytes`` before anything is allocated, and the bytes go
        into an anonymous mapping of that length, whose memory is only taken as they arrive.
        """
        (size,) = struct.unpack("!i", self._read_exact(4, deadline, starting))
        if size == -1:
            (size,) = struct.unpack("!Q", self._read_exact(8, deadline, starting))
        if not 0 <= size <= self.config.limits.reply_bytes:
            raise StudentCrash(f"{self.module}: the worker sent a reply of {size} bytes, which the grader refuses "
                               f"(the limit is {describe_size(self.config.limits.reply_bytes)}; did your code "
                               "write to the process's file descriptors?)")
        # Small replies (nearly all) in a plain buffer; a large one in a mapping, touched only as it arrives.
        view = memoryview(bytearray(size) if size < _MAPPED_REPLY else mmap.mmap(-1, size))
        self._read_into(view, deadline, starting)
        return view

    def _read_exact(self, count: int, deadline: float, starting: bool) -> bytes:
        buffer = bytearray(count)
        self._read_into(memoryview(buffer), deadline, starting)
        return bytes(buffer)

    def _read_into(self, view: memoryview, deadline: float, starting: bool) -> None:
        fd, at = self._connection.fileno(), 0
        while at < len(view):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                if starting:
                    raise RuntimeError("the grading worker did not start in time")
                raise StudentTimeout(f"{self.module}: your code ran longer than the limit (its reply never "
                                     "arrived whole)")
            count = os.readv(fd, [view[at : at + (1 << 20)]])
            if not count:
                raise EOFError
            at += count

    def _death_message(self) -> str:
        if self._process is not None:
            self._process.join(timeout=2)  # reap it, so that its exit status is known
        code = self._process.exitcode if self._process is not None else None
        if self._cgroup is not None and self._cgroup.oom_killed():
            limit = describe_size(self.config.limits.worker_memory)
            return (f"{self.module}: the process running your code was killed for using more memory than its "
                    f"limit of {limit} (memory of files it wrote and of memfd counts too)")
        if code is not None and code < 0:
            how = f"was killed by signal {-code}"
            if -code == 9:
                how += " (often: out of memory)"
        else:
            how = f"exited with status {code} (os._exit or sys.exit outside a function call?)"
        return f"{self.module}: the process running your code {how} before returning a result"

    def _interpret(self, reply: dict) -> tuple[Any, dict]:
        if reply.get("ok"):
            value = wire.decode(reply.get("value"))
            extra = {key: wire.decode(item) for key, item in reply.items() if key not in ("ok", "value")}
            return value, extra
        kind = reply.get("kind")
        if kind == "flagged":  # the run-time detector found itself switched off, patched or retargeted
            findings = [str(item) for item in reply.get("findings", [])]
            raise FlaggedCode(f"{self.module}: flagged for review: while your code ran, the exercise rules' detector "
                              f"found {'; '.join(findings)} (no exercise needs torch's mode stacks, custom operators "
                              "or the kit: compute with ordinary tensor operations)", findings)
        if kind == "forbidden":
            calls = [str(call) for call in reply.get("calls", [])]
            raise ForbiddenCall(f"{self.module}: your code called {', '.join(calls)}, which this exercise forbids", calls)
        exc_type = str(reply.get("type", "Exception"))
        message = str(reply.get("message", ""))
        trace, where = str(reply.get("traceback", "")), str(reply.get("where", ""))
        if kind == "import":
            failure = StudentCodeError(
                f"{self.module}.py could not be imported: {exc_type}: {message}", exc_type, trace, where
            )
            self._import_failure = failure
            raise failure
        raise StudentCodeError(_describe_raise(exc_type, message), exc_type, trace, where)

    def output_tail(self, limit: int = 1000) -> str:
        """The last ``limit`` characters the student's code printed (stdout and stderr)."""
        try:
            with open(self._capture, "rb") as handle:
                handle.seek(max(0, os.path.getsize(self._capture) - limit))
                return handle.read().decode("utf-8", "replace")
        except OSError:
            return ""


class _NotRegular(Exception):
    """A submitted file that is not a regular file (a symbolic link, a device, a fifo)."""


def _read_regular(path: Path) -> bytes:
    """The bytes of ``path``, opened without following a symbolic link; ``_NotRegular`` otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if path.is_symlink():
            raise _NotRegular(f"{path.name} is a symbolic link: submit the file itself, not a link to it") from None
        raise exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _NotRegular(f"{path.name} is not a regular file: submit the file itself")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(fd)


def _describe_raise(exc_type: str, message: str) -> str:
    if exc_type == "NotImplementedError":
        return f"not implemented yet (NotImplementedError: {message})"
    if exc_type == "SystemExit":
        return f"your code called sys.exit({message}) instead of returning a result"
    if exc_type == "MemoryError" or "can't allocate memory" in message or "not enough memory" in message:
        return f"your code ran out of memory (the grader allows a few GB): {exc_type}: {message[:300]}"
    return f"your code raised {exc_type}: {message}"
