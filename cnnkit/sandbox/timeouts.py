"""The memory of student functions that timed out, shared by every sandbox of one submission.

Free of torch, so that the runner (which must start fast) can use it too.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class _Timeout:
    """Where a student function timed out: the grader test, the input's size, the limit it ran out of."""

    test: str
    size: int
    limit: float


@dataclass
class _Record:
    """One student function's history in this submission: its smallest timeout, its calls that returned."""

    timeout: _Timeout | None = None
    largest_returned: int = -1  # input size of the largest call that returned in time (-1: none)
    slowest_returned: float = 0.0  # seconds of the slowest call that returned in time


#: After a timeout, a function that did return on inputs as large runs with this much time per call
#: (or 10x its slowest call that returned, whichever is more; never more than the exercise's limit).
REDUCED_LIMIT_FLOOR = 2.0


class TimeoutMemory:
    """The student functions that timed out, shared by all of one submission's sandboxes.

    Remembered per function *with the sizes of its inputs* (tensor elements in the request), so
    that a function that hangs costs its limit once, while one that is merely slow on a large
    input, or hangs on some inputs only, is not punished on the inputs it handles:

    * once ``module.function`` timed out on an input of size S and never returned on an input of
      size S or more, a later call on an input of size S or more (in any test) is answered at once
      (``TimedOutEarlier``), and so is an exercise built on it (``spec.Exercise.depends_on``: it
      runs the function on a far larger job, exercise 15 training on the MNIST sample);
    * smaller inputs run with the full limit (a loop per pixel passes the small tests);
    * if it did return on inputs of size S or more (it hangs on some inputs only, e.g. stride 2),
      later calls of size S or more still run, with a reduced limit (``REDUCED_LIMIT_FLOOR``), so
      the tests it passes still score while each further hang costs seconds, not the full limit.

    A function that hangs on every input thus costs one limit per input size that is smaller
    than the last timed-out one: exercises 1 and 8 send no tensors (one size), so there one limit.

    Shared between processes (the shards of one submission graded in parallel) through ``path``,
    a file private to the trusted side: every change is appended as one JSON line and every query
    first reads the lines the other processes appended. The same file says when an exercise is
    ``finished`` in any process (``wait_for``: an exercise waits for those it builds on).
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self._records: dict[tuple[str, str], _Record] = {}
        self._path = Path(path) if path else None
        self._read_up_to = 0
        self._finished: set[str] = set()

    def _record(self, module: str, function: str) -> _Record:
        return self._records.setdefault((module, function), _Record())

    # -- sharing ---------------------------------------------------------------------------------
    def _append(self, event: dict[str, Any]) -> None:
        if self._path is not None:
            line = (json.dumps(event) + "\n").encode()
            fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                os.write(fd, line)  # one write of one line: appends from two processes never interleave
            finally:
                os.close(fd)

    def _sync(self) -> None:
        """Apply the events other processes appended since the last look (own ones again: idempotent)."""
        if self._path is None:
            return
        try:
            with open(self._path, "rb") as handle:
                handle.seek(self._read_up_to)
                data = handle.read()
        except FileNotFoundError:
            return
        complete = data[: data.rfind(b"\n") + 1]
        self._read_up_to += len(complete)
        for line in complete.splitlines():
            self._apply(json.loads(line))

    def _apply(self, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "finished":
            self._finished.add(event["module"])
            return
        record = self._record(event["module"], event["function"])
        if kind == "timeout":
            if record.timeout is None or event["size"] < record.timeout.size:
                record.timeout = _Timeout(event["test"], event["size"], event["limit"])
        elif kind == "returned":
            record.largest_returned = max(record.largest_returned, event["size"])
            record.slowest_returned = max(record.slowest_returned, event["seconds"])

    def finished(self, module: str) -> None:
        """``module``'s tests are all done in this process."""
        self._finished.add(module)
        self._append({"event": "finished", "module": module})

    def wait_for(self, modules: list[str], poll: float = 0.05) -> None:
        """Return once every one of ``modules`` is finished (in this process or another sharing the file)."""
        self._sync()
        while self._path is not None and not set(modules) <= self._finished:
            time.sleep(poll)
            self._sync()

    # -- the records -------------------------------------------------------------------------------
    def timed_out(self, module: str, functions: list[str], size: int, test: str, limit: float) -> None:
        self._sync()
        for function in functions:
            record = self._record(module, function)
            if record.timeout is None or size < record.timeout.size:
                record.timeout = _Timeout(test, size, limit)
                self._append({"event": "timeout", "module": module, "function": function, "size": size,
                              "test": test, "limit": limit})

    def returned(self, module: str, functions: list[str], size: int, seconds: float) -> None:
        for function in functions:
            record = self._record(module, function)
            if size > record.largest_returned or seconds > record.slowest_returned:
                record.largest_returned = max(record.largest_returned, size)
                record.slowest_returned = max(record.slowest_returned, seconds)
                self._append({"event": "returned", "module": module, "function": function, "size": size,
                              "seconds": seconds})  # only when it changes: a few lines per function

    def hopeless(self, module: str, function: str, size: int | None) -> _Timeout | None:
        """The timeout that says a call on an input of ``size`` (None: any) cannot finish, else None."""
        self._sync()
        record = self._records.get((module, function))
        if record is None or record.timeout is None or record.largest_returned >= record.timeout.size:
            return None
        return record.timeout if size is None or size >= record.timeout.size else None

    def reduced_limit(self, module: str, function: str, size: int, limit: float) -> float:
        """The limit for a call of a function that timed out on inputs this large but also returned on some."""
        record = self._records.get((module, function))
        if record is None or record.timeout is None or size < record.timeout.size:
            return limit
        return min(limit, max(REDUCED_LIMIT_FLOOR, 10.0 * record.slowest_returned))
