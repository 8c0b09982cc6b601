"""A warm grading server: one process imports pytest, Hypothesis, torch and the kit once; every
grading run is a fork of it.

Starting a grading run from nothing costs seconds of CPU before the first test (Python, pytest,
Hypothesis, torch, the kit) and more to exit; a class of 300 pays it 300 times, and so do the kit's
own tests, which grade mutants run after run. Here the trusted parent (``cnnkit grade``, a batch,
the kit's tests) starts one server per environment and asks it for runs; each run is a child of the
server that executes the very ``python -m pytest graders ...`` command line the runner built, in
its own process group, with its own fork server and sandbox workers, and writes its own report.
So the guarantees do not change: a fresh process per submission (nothing of one run is seen by the
next: each is a fork of the same untouched server), the same wall-clock limit (the run's whole
process group is killed), the same report.

Each run is also a resource boundary (``cnnkit.sandbox.cgroups``): a cgroup of its own with the
run's task and memory limits, its workers in cgroups of theirs below it, and everything in it killed
when the run ends, however it ends (its limit, an out-of-memory kill, the parent's signal) and
whatever its processes did to their sessions. Its temporary files go to its private scratch folder
(``tmp`` in the request: the run's ``TMPDIR``), which the parent removes.

The server never runs student code and never imports a grader or a reference solution (the
runs do, after the fork): what a sandbox worker is forked from holds nothing secret either way.

Protocol (server's standard input and output, one JSON object per line):
``{"id", "argv", "cwd", "log", "tmp"}`` -> ``{"id", "pid"}`` when the run started, then ``{"id", "exit"}``
(the exit status; minus the signal number when killed). End of input: every run still going is
killed and the server exits, so a parent that dies leaves no grading process behind.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

from cnnkit import spec
from cnnkit.sandbox import cgroups
from cnnkit.sandbox.limits import current as current_limits

#: What every grading run imports before its first test, whatever exercises it grades: torch, pytest's
#: and Hypothesis's modules, the kit's grading machinery, the MNIST sample's reader (graders of ex13 to
#: ex15 and their curriculum modules), the sandbox worker and multiprocessing's fork server.
COMMON_PRELOAD = (
    "torch", "torch.nn.functional", "numpy", "pytest", "_pytest.python", "_pytest.fixtures", "_pytest.terminal",
    "_pytest.assertion.rewrite", "_pytest.capture", "_pytest.logging", "_pytest.junitxml", "hypothesis",
    "hypothesis.strategies", "cnnkit.grading.plugin", "cnnkit.grading.checks", "cnnkit.grading.strategies",
    "cnnkit.mnist.data", "cnnkit.sandbox.worker", "multiprocessing.forkserver", "multiprocessing.popen_forkserver",
)  # fmt: skip


def preload_modules() -> tuple[str, ...]:
    """``COMMON_PRELOAD``, then each exercise's curriculum modules (its spec entry's ``support``: the worker
    operations and the helpers its graders share), in curriculum order, each once: a new exercise's module
    is preloaded as soon as its spec entry names it. Kit code only: no grader, no reference solution."""
    support = (module for exercise in spec.EXERCISES for module in exercise.support)
    return tuple(dict.fromkeys((*COMMON_PRELOAD, *support)))


#: Imported by the server before it forks any run (``preload_modules``).
PRELOAD = preload_modules()
#: ``CNNKIT_WARM_UP=0``: the server does not warm torch's kernels up (to measure what that is worth).
WARM_UP_ENV = "CNNKIT_WARM_UP"
#: Variables that change nothing for a run and need not start another server when they differ.
IGNORED_ENV = ("PYTEST_CURRENT_TEST", "PYTHONDONTWRITEBYTECODE", "COLUMNS", "LINES")


# -- the server ------------------------------------------------------------------------------------
def _preload() -> None:
    import torch

    torch.set_num_threads(1)  # no OpenMP pool may exist when the server forks
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # an optional part (the runs import what they need themselves)


def _warm_up() -> None:
    """Train the article's layer shapes for one step (forward, backward, Adam, evaluation).

    torch sets up its kernels lazily, per process: a convolution's first batch costs a second more
    than the next. Done once here, every run and every sandbox worker forked after it starts warm.
    Plain ``torch.nn`` layers of the article's (public) shapes: the server holds no solution. The
    default generator is reseeded afterwards, so a run sees torch's usual initial random state.
    """
    import torch
    import torch.nn.functional as F
    from torch import nn

    seed = torch.initial_seed()
    images, labels = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
    models = (
        nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10)),
        nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
                      nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 14 * 14, 128), nn.ReLU(), nn.Linear(128, 10)),
        nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1),
                      nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1568, 64), nn.ReLU(), nn.Linear(64, 10)),
    )
    for model in models:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        F.cross_entropy(model(images), labels).backward()
        optimizer.step()
        with torch.no_grad():
            model.eval()(images)
    torch.manual_seed(seed)


def _run_group(session: cgroups.Group | None, run_id: int) -> tuple[cgroups.Group | None, cgroups.Group | None]:
    """The run's cgroup with the run's limits, and its leaf for the run's own processes (v2 allows
    processes only in leaves; the workers' groups are the run's other children). ``(None, None)``
    without a backend or when the kernel refuses."""
    if session is None:
        return None, None
    limits = current_limits()
    try:
        run = session.child(cgroups.run_name(run_id), tasks=limits.run_tasks, memory=limits.run_memory)
        return run, run.child("main")
    except OSError:
        return None, None


def _use_scratch(folder: str) -> None:
    """In a run: every temporary file (the workers' folders, multiprocessing's sockets) under ``folder``."""
    import multiprocessing.process

    os.environ["TMPDIR"] = tempfile.tempdir = folder
    multiprocessing.process.current_process()._config.pop("tempdir", None)


def _start_run(request: dict[str, Any], protocol: tuple[int, int], run: cgroups.Group | None,
               main: cgroups.Group | None) -> int:
    """Fork one grading run (in cgroup ``main`` below ``run``); in the child, run pytest and never return."""
    pid = os.fork()
    if pid:
        try:
            os.setpgid(pid, pid)  # also here, so that the group exists before the parent hears of the pid
        except OSError:
            pass
        return pid
    try:
        os.setpgid(0, 0)
        if main is not None:
            main.join()  # before anything else: all the run starts is inside its boundary
        cgroups.set_current_run(run)
        if request.get("tmp"):
            _use_scratch(request["tmp"])
        for fd in protocol:
            os.close(fd)
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.close(null)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        sys.path[0] = request["cwd"]  # as ``python -m pytest`` run there would have it
        sys.argv = [sys.executable, "-m", "pytest", *request["argv"]]
        import pytest

        from cnnkit.sandbox.client import fork_fork_server

        fork_fork_server()  # now, while this run holds nothing secret: graders and solutions come next

        code = pytest.main(list(request["argv"]))
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(code))
    except BaseException:  # noqa: BLE001 - a run must never return into the server's loop
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        os._exit(70)


def _exit_status(status: int) -> int:
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def serve() -> None:
    """The server's loop: start runs as asked, report their pids and exit statuses."""
    requests_fd, replies_fd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(2, 1)  # nothing but the protocol goes to the parent's pipe
    _preload()
    # Warmed up once its first run is over: one submission alone does not wait for it (~3 s), a
    # batch or a test suite gains ~1.7 s per submission after (measured on the reference).
    warm_up_pending = os.environ.get(WARM_UP_ENV, "1") != "0"
    running: dict[int, Any] = {}  # pid -> request id
    groups: dict[int, cgroups.Group | None] = {}  # pid -> the run's cgroup
    session = cgroups.open_session(os.getpid())
    buffer = b""

    def reply(message: dict[str, Any]) -> None:
        os.write(replies_fd, (json.dumps(message) + "\n").encode())

    selector = selectors.DefaultSelector()
    selector.register(requests_fd, selectors.EVENT_READ)
    reply({"ready": True, "pid": os.getpid()})
    open_input = True
    while open_input or running:
        if open_input and selector.select(timeout=0.05):
            data = os.read(requests_fd, 65536)
            if not data:
                open_input = False
                for pid in running:
                    _end_run(pid, groups.get(pid), wait=False)
            buffer += data
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                request = json.loads(line)
                run, main = _run_group(session, request["id"])
                pid = _start_run(request, (requests_fd, replies_fd), run, main)
                running[pid], groups[pid] = request["id"], run
                reply({"id": request["id"], "pid": pid})
        elif not open_input:
            time.sleep(0.05)
        while running:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if not pid:
                break
            if pid in running:
                _end_run(pid, groups.pop(pid, None), wait=True)  # nothing of it outlives it
                reply({"id": running.pop(pid), "exit": _exit_status(status)})
                if warm_up_pending and open_input:
                    warm_up_pending = False
                    _warm_up()
    if session is not None:
        session.remove()


def _end_run(pid: int, group: cgroups.Group | None, wait: bool) -> None:
    """Kill what is left of a run: everything in its cgroup (what left its process group too), else its
    process group. ``wait``: the run's process is reaped; remove its cgroup once empty."""
    if group is None:
        _kill_group(pid)
    elif wait:
        group.remove()
    else:
        _kill_group(pid)  # its own process is alive: its group id is still its own
        group.kill(timeout=0.0)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# -- the client --------------------------------------------------------------------------------------
class ServerDied(RuntimeError):
    """The grading server exited (killed, out of memory): the run in progress has no exit status."""


class GradingServer:
    """A running server and the runs it is serving (any number at once, from any thread)."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        cgroups.prepare_delegated()  # cgroup v2, alone in a delegated cgroup: let the server's groups have limits
        self._process = subprocess.Popen(
            # -c, not -m: a worker's start-up would re-run a __main__ module that has a name
            [sys.executable, "-c", "from cnnkit.grading.server import serve; serve()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            cwd=cwd, env=env, start_new_session=True,
        )  # fmt: skip
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._next_id = 0
        self._pids: dict[int, int] = {}
        self._exits: dict[int, int] = {}
        self._alive = True
        self._active: dict[int, int] = {}  # run id -> pid, for the runs going on (``abort``)
        self.last_pid: int | None = None  # the process group of the latest run
        self.in_flight = 0  # runs asked for and not over
        self.last_used = time.monotonic()
        self._reader = threading.Thread(target=self._read, args=(self._process.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[bytes]) -> None:
        for line in stream:
            message = json.loads(line)
            with self._changed:
                if "exit" in message:
                    self._exits[message["id"]] = message["exit"]
                elif "id" in message:
                    self._pids[message["id"]] = message["pid"]
                self._changed.notify_all()
        with self._changed:
            self._alive = False
            self._changed.notify_all()

    @property
    def alive(self) -> bool:
        return self._alive and self._process.poll() is None

    def _wait_for(self, table: dict[int, int], run_id: int, deadline: float | None) -> int | None:
        """``table[run_id]`` once the server has said it; None at the deadline. ``ServerDied`` if it died."""
        with self._changed:
            while run_id not in table:
                if not self._alive:
                    raise ServerDied("the grading server exited during a run")
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._changed.wait(timeout=remaining if remaining is not None else 1.0)
            return table.pop(run_id)

    def run(self, argv: list[str], log_path: Path, cwd: Path, wall_limit: float | None,
            tmp: Path | None = None) -> int | None:
        """Run ``pytest argv`` in a fork of the server; its exit status, or None when it ran past
        ``wall_limit`` seconds (then all of it, fork server and workers included, is killed). ``tmp``:
        the run's temp folder (private to it; the caller removes it). The caller reserved the server
        (``reserve``); the run releases it."""
        try:
            with self._lock:
                run_id = self._next_id
                self._next_id += 1
                request = {"id": run_id, "argv": argv, "cwd": str(cwd), "log": str(log_path),
                           "tmp": str(tmp) if tmp is not None else ""}
                try:
                    self._process.stdin.write((json.dumps(request) + "\n").encode())
                    self._process.stdin.flush()
                except OSError:  # it died since it was reserved
                    raise ServerDied("the grading server exited before the run started") from None
            return self._follow(run_id, wall_limit)
        finally:
            with _servers_lock:
                self.in_flight -= 1
                self.last_used = time.monotonic()

    def _follow(self, run_id: int, wall_limit: float | None) -> int | None:
        started = time.monotonic()
        pid = self.last_pid = self._wait_for(self._pids, run_id, None)
        self._active[run_id] = pid
        deadline = None if wall_limit is None else started + wall_limit
        try:
            status = self._wait_for(self._exits, run_id, deadline)
            if status is not None:
                return status
            self._kill_run(run_id, pid)
            self._wait_for(self._exits, run_id, None)
            return None
        except ServerDied:
            self._kill_run(run_id, pid)  # nothing would reap it now, or stop it at its limit
            raise
        finally:
            self._active.pop(run_id, None)

    def _kill_run(self, run_id: int, pid: int) -> None:
        """Kill a run: its process group, and all of its cgroup (what left the group too)."""
        _kill_group(pid)
        session = cgroups.session_of(self._process.pid)
        if session is not None:
            session.below(cgroups.run_name(run_id)).kill(timeout=1.0)

    def abort(self) -> None:
        """Kill every run going on and the server, now (the parent got a signal): the threads waiting
        for those runs get ``ServerDied`` at once."""
        for run_id, pid in list(self._active.items()):
            self._kill_run(run_id, pid)
        _kill_group(self._process.pid)
        self._process.wait()
        self._remove_session(timeout=ABORT_CLEANUP_SECONDS)

    def _remove_session(self, timeout: float = 10.0) -> None:
        """Remove the server's cgroup and what is left in it (the server removes it itself when it ends
        normally; not when it was killed). Said on stderr when a process in it outlived ``timeout``."""
        session = cgroups.session_of(self._process.pid)
        if session is not None and session.exists() and not session.remove(timeout):
            print(f"cnnkit: the grading server's cgroup {session.folders[0]} is still busy after {timeout:g} s "
                  f"(processes {sorted(session.pids())}); remove it once they are gone", file=sys.stderr)

    def close(self) -> None:
        """End the server: at once when it serves no run (it may be warming up, which nobody will use
        now: a command's exit must not wait for it); else it kills the runs still going, then exits."""
        try:
            self._process.stdin.close()
        except OSError:
            pass
        try:
            self._process.wait(timeout=10 if self.in_flight else 0)
        except subprocess.TimeoutExpired:
            _kill_group(self._process.pid)  # its own group: the runs have theirs, killed by it or their limit
            self._process.wait()
        self._remove_session()


_servers: dict[tuple[tuple[str, str], ...], GradingServer] = {}
_servers_lock = threading.RLock()  # re-entrant: ``abort_all`` may run in a signal handler
_aborted: list[int] = []  # the signal that ended grading in this process (``abort_all``), if any
#: Servers kept per process (each holds torch in memory): a new environment closes the least recently
#: used idle one beyond this (a test suite that sets variables would otherwise gather them).
MAX_SERVERS = 2
#: How long a stopped command waits for the killed processes of its runs to be gone before it leaves
#: their cgroup behind (with a warning). SIGKILL is immediate, but a process on a loaded machine may
#: take seconds to finish exiting (its memory is freed first).
ABORT_CLEANUP_SECONDS = 30.0


def reserve(env: dict[str, str], cwd: Path) -> GradingServer:
    """This process's server for ``env`` (started now if there is none, or the last one died), reserved
    for one run (``GradingServer.run`` releases it): an idle server may be closed, a reserved one not.

    The environment is part of the key: modules the server preloads read some of it when imported
    (``CNNKIT_ROOT``, the Hypothesis profile), so a run in another environment gets another server.
    """
    key = tuple(sorted((name, value) for name, value in env.items() if name not in IGNORED_ENV))
    with _servers_lock:
        if _aborted:
            raise ServerDied(f"grading was stopped (signal {_aborted[0]})")
        server = _servers.get(key)
        if server is not None and not server.alive:
            server.close()  # what its runs left (its cgroup) goes with it
        if server is None or not server.alive:
            idle = sorted((s.last_used, k) for k, s in _servers.items() if k != key and not s.in_flight)
            for _, old in idle[: max(0, len(_servers) + 1 - MAX_SERVERS)]:
                _servers.pop(old).close()
            server = _servers[key] = GradingServer(env, cwd)
        server.in_flight += 1
        return server


def run_pytest(command: list[str], log_path: Path, *, cwd: Path, env: dict[str, str],
               wall_limit: float | None, tmp: Path | None = None) -> int | None:
    """Run ``python -m pytest ...`` (``command``, as ``cnnkit.grading.runner.pytest_command`` builds it)
    in a warm server's fork, with ``tmp`` as its temp folder; see ``GradingServer.run``. A server that
    died is replaced by the next call; the run it was serving raises ``ServerDied`` (not run again: it
    may have used up its time)."""
    if command[1:3] != ["-m", "pytest"]:
        raise ValueError(f"not a pytest command line: {command[:3]}")
    return reserve(env, cwd).run(command[3:], log_path, cwd, wall_limit, tmp)


def abort_all(signum: int) -> None:
    """This process got signal ``signum``: kill every run and server now, and start no other (a thread
    asking for one gets ``ServerDied``). The callers' cleanup (temporary folders) then runs as usual."""
    with _servers_lock:
        _aborted.append(signum)
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server.abort()


@atexit.register
def close_servers() -> None:
    with _servers_lock:
        for server in _servers.values():
            server.close()
        _servers.clear()


if __name__ == "__main__":
    serve()
