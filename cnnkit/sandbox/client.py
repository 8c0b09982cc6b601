"""Trusted side of the sandbox: start a worker for one exercise module and call into it."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnkit.sandbox import wire
from cnnkit.sandbox.errors import ForbiddenCall, StudentCodeError, StudentCrash, StudentError, StudentTimeout
from cnnkit.sandbox.worker import WorkerConfig, serve

STARTUP_TIMEOUT = 120.0  # seconds for a fresh worker to say it is ready (not the student's time)
_context: multiprocessing.context.ForkServerContext | None = None


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
        self._workdir = Path(tempfile.mkdtemp(prefix=f"cnnkit-{module}-"))
        self._copy = self._workdir / "submission"
        self._capture = self._workdir / "output.txt"
        self._process: multiprocessing.process.BaseProcess | None = None
        self._connection: Any = None
        self._import_failure: StudentError | None = None
        self._test_failure: StudentError | None = None
        self._copy_submission()

    # -- lifecycle ---------------------------------------------------------------------------
    def _copy_submission(self) -> None:
        self._copy.mkdir()
        source = Path(self.config.submission_dir)
        if source.is_dir():
            for path in source.glob("*.py"):
                if path.is_file():
                    shutil.copy2(path, self._copy / path.name)

    def _start(self) -> None:
        context = _forkserver()
        parent_end, child_end = context.Pipe(duplex=True)
        worker_config = WorkerConfig(
            submission_dir=str(self._copy),
            module=self.module,
            capture_path=str(self._capture),
            denied_roots=[str(Path(root).resolve()) for root in self.config.denied_roots],
            memory_limit_bytes=self.config.memory_limit_bytes,
            output_limit_bytes=self.config.output_limit_bytes,
            threads=self.config.threads,
        )
        process = context.Process(target=serve, args=(child_end, worker_config), daemon=True)
        process.start()
        child_end.close()
        self._process, self._connection = process, parent_end
        reply = self._receive(STARTUP_TIMEOUT, starting=True)
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


def _describe_raise(exc_type: str, message: str) -> str:
    if exc_type == "NotImplementedError":
        return f"not implemented yet (NotImplementedError: {message})"
    if exc_type == "SystemExit":
        return f"your code called sys.exit({message}) instead of returning a result"
    if exc_type == "MemoryError" or "can't allocate memory" in message or "not enough memory" in message:
        return f"your code ran out of memory (the grader allows a few GB): {exc_type}: {message[:300]}"
    return f"your code raised {exc_type}: {message}"
