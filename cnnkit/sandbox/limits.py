"""The resource limits of grading, declared once: what one worker (one exercise of one submission) and
one grading run (one pytest process and its workers) may take of the machine, and how large a reply
the trusted side reads.

Defaults are the ``Limits`` fields below; the limits table of docs/security-model.md is checked against them
(``tests/test_confine.py``). An instructor changes any of them with the environment variable
``CNNKIT_LIMITS``, a comma-separated list of ``name=value`` (sizes take ``KiB``/``MiB``/``GiB``), e.g.
``CNNKIT_LIMITS="worker_memory=2GiB,worker_disk=128MiB" cnnkit grade ...``. The variable reaches every
process of the run (the warm server, the pytest run, the workers), so both sides read the same values.

Free of torch: the grading server and the runner import it.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass

#: ``CNNKIT_LIMITS="name=value,..."``: overrides of the defaults below.
LIMITS_ENV = "CNNKIT_LIMITS"

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
_UNITS = {"": 1, "b": 1, "k": KiB, "kib": KiB, "m": MiB, "mib": MiB, "g": GiB, "gib": GiB}


@dataclass(frozen=True)
class Limits:
    """Every resource limit of grading (sizes in bytes). Each field's comment is its row in docs/security-model.md."""

    #: Tasks (processes and threads) of one worker: its cgroup's ``pids.max`` and, as root, the
    #: ``RLIMIT_NPROC`` of its own uid. A worker needs one (torch runs single-threaded there).
    worker_tasks: int = 64
    #: Memory of one worker, counting what the address-space limit misses (memfd, tmpfs, the page
    #: cache of its own files): its cgroup's memory limit, and the address space it may add to
    #: torch's own (``RLIMIT_AS``).
    worker_memory: int = 4 * GiB
    #: Total size of the worker's writable folder (its ``TMPDIR``, a private tmpfs removed with it).
    worker_disk: int = 64 * MiB
    #: Files (inodes) in that folder.
    worker_files: int = 4096
    #: Size of one file the worker writes (``RLIMIT_FSIZE``).
    worker_file_size: int = 16 * MiB
    #: Output (stdout and stderr) of one worker kept for feedback; the rest is counted and dropped.
    worker_output: int = 1 * MiB
    #: Tasks of one grading run (pytest, its fork server, its workers): its cgroup's ``pids.max``.
    run_tasks: int = 512
    #: Memory of one grading run, its workers included: its cgroup's memory limit.
    run_memory: int = 6 * GiB
    #: The largest reply the trusted side reads from a worker (the reference's largest is ~1 MB).
    reply_bytes: int = 64 * MiB
    #: Values (numbers, strings, containers, tensors) in one decoded reply.
    reply_values: int = 1_000_000


DEFAULTS = Limits()
SIZE_FIELDS = frozenset(f.name for f in dataclasses.fields(Limits)
                        if f.name.endswith(("_memory", "_disk", "_size", "_output", "_bytes")))


class LimitsError(ValueError):
    """``CNNKIT_LIMITS`` names an unknown limit or gives a value that is not a positive number."""


def parse_size(text: str) -> int:
    """``"64MiB"`` -> 67108864; plain numbers are bytes. ``ValueError`` otherwise."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    if not match or match.group(2).lower() not in _UNITS:
        raise ValueError(f"not a size: {text!r} (e.g. 512MiB, 4GiB)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def parse(text: str, base: Limits = DEFAULTS) -> Limits:
    """``base`` with the overrides of a ``CNNKIT_LIMITS`` value applied."""
    known = {f.name for f in dataclasses.fields(Limits)}
    changes: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = item.partition("=")
        name = name.strip()
        if name not in known:
            raise LimitsError(f"{LIMITS_ENV}: unknown limit {name!r} (known: {', '.join(sorted(known))})")
        try:
            number = parse_size(value) if name in SIZE_FIELDS else int(value)
        except ValueError as exc:
            raise LimitsError(f"{LIMITS_ENV}: {name}: {exc}") from None
        if number <= 0:
            raise LimitsError(f"{LIMITS_ENV}: {name} must be positive")
        changes[name] = number
    return dataclasses.replace(base, **changes)


def current() -> Limits:
    """The limits in force in this process: the defaults with ``CNNKIT_LIMITS`` applied."""
    return parse(os.environ.get(LIMITS_ENV, ""))


def describe_size(size: int) -> str:
    """``4294967296`` -> ``"4 GiB"`` (the largest unit that divides it, else MiB with one decimal)."""
    for unit, name in ((GiB, "GiB"), (MiB, "MiB"), (KiB, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    return f"{size / MiB:.1f} MiB" if size >= MiB else f"{size} bytes"
