"""Trusted side of the sandbox: start a worker for one exercise module and call into it."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import shutil
import stat
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnkit.sandbox import confine, wire
from cnnkit.sandbox.errors import ForbiddenCall, StudentCodeError, StudentCrash, StudentError, StudentTimeout
from cnnkit.sandbox.worker import InheritedFd, WorkerConfig, serve

STARTUP_TIMEOUT = 120.0  # seconds for a fresh worker to say it is ready (not the student's time)
_context: multiprocessing.context.ForkServerContext | None = None
#: ``CNNKIT_ISOLATION=advisory`` switches the OS layers off (to show what a report then says, or
#: to compare timings); anything else means "every layer this system offers".
ISOLATION_ENV = "CNNKIT_ISOLATION"
#: ``CNNKIT_REQUIRE_ISOLATION=strong|partial``: workers below it refuse to run student code.
REQUIRE_ENV = "CNNKIT_REQUIRE_ISOLATION"
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


def _run_as_unprivileged() -> bool:
    """Whether workers will drop to ``confine.UNPRIVILEGED_ID`` (root on Linux, OS layers on)."""
    return sys.platform.startswith("linux") and os.geteuid() == 0 and os.environ.get(ISOLATION_ENV) != "advisory"


def _forkserver() -> multiprocessing.context.ForkServerContext:
    """One fork server per trusted process, with torch and the worker already imported."""
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(["torch", "cnnkit.sandbox.worker"])
    return _context


@dataclass
class SandboxConfig:
    """Limits and locations for one submission's workers."""

    submission_dir: Path
    denied_roots: list[Path] = field(default_factory=list)
    memory_limit_bytes: int = 4 << 30
    output_limit_bytes: int = 1 << 20
    threads: int = 1
    timeout_scale: float = 1.0  # multiply every exercise's call timeout (slow machines)
    isolation: str = field(default_factory=lambda: os.environ.get(ISOLATION_ENV, "auto"))
    require: str = field(default_factory=lambda: os.environ.get(REQUIRE_ENV, ""))


class Sandbox:
    """A worker process serving one exercise module of one submission.

    ``request(op, *args, timeout=...)`` runs a worker operation (see ``cnnkit.sandbox.ops``) and
    returns ``(value, extra)``, or raises a ``StudentError``. After a timeout or crash the worker
    is replaced on the next request; after an import failure every request re-raises it. Within
    one test (``begin_test``), a timeout or crash is remembered and re-raised at once, so a
    hanging function costs its time limit once per test, not once per Hypothesis example.
    """

    def __init__(self, module: str, config: SandboxConfig) -> None:
        self.module = module
        self.config = config
        # workdir (trusted, 0o711): submission/ and tmp/ (the worker's), output.txt and canary (trusted only)
        self._workdir = Path(tempfile.mkdtemp(prefix=f"cnnkit-{module}-"))
        self._copy = self._workdir / "submission"
        self._temp = self._workdir / "tmp"
        self._capture = self._workdir / "output.txt"
        self._canary = self._workdir / "canary"
        self._process: multiprocessing.process.BaseProcess | None = None
        self._connection: Any = None
        self._import_failure: StudentError | None = None
        self._test_failure: StudentError | None = None
        self.isolation: dict[str, Any] | None = None
        self._capture_fd = os.open(self._capture, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        self._canary.write_text("if a worker can read this, the filesystem confinement is not in force\n")
        self._copy.mkdir()
        self._temp.mkdir()
        self._copy_submission()
        if _run_as_unprivileged():
            self._workdir.chmod(0o711)
            self._canary.chmod(0o644)  # only Landlock keeps the worker out, which is what the probe measures
            for path in [self._copy, self._temp, *self._copy.iterdir()]:
                os.chown(path, confine.UNPRIVILEGED_ID, confine.UNPRIVILEGED_ID)

    # -- lifecycle ---------------------------------------------------------------------------
    def _copy_submission(self) -> None:
        """Copy the submission's ``*.py`` regular files; a symbolic link is replaced by a module saying why."""
        source = Path(self.config.submission_dir)
        if not source.is_dir():
            return
        for path in sorted(source.glob("*.py")):
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
            memory_limit_bytes=self.config.memory_limit_bytes,
            output_limit_bytes=self.config.output_limit_bytes,
            threads=self.config.threads,
        )
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

    def _stop(self) -> None:
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(timeout=5)
            self._process = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None

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

    def begin_test(self) -> None:
        """Forget the timeout/crash of the previous test."""
        self._test_failure = None

    # -- calls --------------------------------------------------------------------------------
    def request(self, op: str, *args: Any, timeout: float, **kwargs: Any) -> tuple[Any, dict]:
        """Run worker operation ``op`` and return ``(value, extra)``."""
        if self._import_failure is not None:
            raise self._import_failure
        if self._test_failure is not None:
            raise self._test_failure
        if self._process is None or not self._process.is_alive():
            self._stop()
            self._start()
        payload = pickle.dumps({"op": op, "args": args, "kwargs": kwargs})
        self._connection.send_bytes(payload)
        try:
            reply = self._receive(timeout * self.config.timeout_scale)
        except (StudentTimeout, StudentCrash) as failure:
            self._stop()
            self._test_failure = failure
            raise
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
                    return wire.loads_reply(self._connection.recv_bytes())
                except (EOFError, OSError):
                    break  # the worker died
                except Exception as exc:  # noqa: BLE001 - a malformed reply is the student's doing
                    raise StudentCrash(f"the worker sent an unreadable reply ({type(exc).__name__})") from None
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

    def _death_message(self) -> str:
        if self._process is not None:
            self._process.join(timeout=2)  # reap it, so that its exit status is known
        code = self._process.exitcode if self._process is not None else None
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
        if kind == "forbidden":
            calls = [str(call) for call in reply.get("calls", [])]
            raise ForbiddenCall(f"{self.module}: your code called {', '.join(calls)}, which this exercise forbids", calls)
        exc_type = str(reply.get("type", "Exception"))
        message = str(reply.get("message", ""))
        trace = str(reply.get("traceback", ""))
        if kind == "import":
            failure = StudentCodeError(
                f"{self.module}.py could not be imported: {exc_type}: {message}", exc_type, trace
            )
            self._import_failure = failure
            raise failure
        raise StudentCodeError(_describe_raise(exc_type, message), exc_type, trace)

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
