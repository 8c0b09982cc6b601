"""Scratch folders in the reports folder, and the removal of those whose grading process is gone.

A grading call works in a scratch folder of the user's reports folder (``runner.reports_root``):
the copy of the submission, the runs' reports, logs and temp folders. It removes the folder when it
ends, also on SIGTERM, SIGINT or SIGHUP; a process killed with SIGKILL (or by the kernel for memory)
cannot. So each scratch folder holds a lock (``flock``) on a file in it for as long as it is in use:
the kernel releases the lock when the process ends, however it ends, and the next grading call
removes every scratch folder whose lock is free. A lock, not a process id: ids are reused.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: The name of the locked file in a scratch folder in use.
LOCK_NAME = ".in-use"
#: The prefixes of the scratch folders made here (nothing else in the reports folder is touched).
PREFIXES = ("report-", "collect-", "class-")
#: A scratch folder without its lock file is being made now, or was left by an older cnnkit: removed
#: only once it is this old (seconds since it last changed).
UNLOCKED_GRACE = 3600.0


@contextlib.contextmanager
def scratch_folder(root: Path, prefix: str) -> Iterator[Path]:
    """A new scratch folder ``root/<prefix>XXXXXXXX``, locked while the block runs, then removed.
    The abandoned scratch folders in ``root`` are removed first (``remove_abandoned``)."""
    if prefix not in PREFIXES:
        raise ValueError(f"not a scratch folder prefix: {prefix!r}")
    remove_abandoned(root)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    try:
        lock = _hold(folder)
    except BaseException:
        _remove(folder)
        raise
    try:
        yield folder
    finally:
        _remove(folder)  # still locked: nobody else may take it for abandoned meanwhile
        os.close(lock)


def remove_abandoned(root: Path) -> list[Path]:
    """Remove the scratch folders in ``root`` that no live process holds; the folders removed."""
    removed = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    for entry in entries:
        if entry.name.startswith(PREFIXES) and entry.is_dir(follow_symlinks=False):
            folder = Path(entry.path)
            lock = _take_if_free(folder)
            if lock is None:
                continue
            try:
                _remove(folder)
            finally:
                if lock >= 0:
                    os.close(lock)
            removed.append(folder)
    return removed


def _hold(folder: Path) -> int:
    """Lock a new file, then give it its name: a sweep never finds ``LOCK_NAME`` unlocked while in use."""
    making = folder / f"{LOCK_NAME}.new"
    lock = os.open(making, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.rename(making, folder / LOCK_NAME)
    except BaseException:
        os.close(lock)
        raise
    return lock


def _take_if_free(folder: Path) -> int | None:
    """The descriptor of ``folder``'s lock, now held by this process (-1: it has no lock file and is old
    enough to be abandoned); None while another process holds it, or the folder cannot be judged."""
    try:
        lock = os.open(folder / LOCK_NAME, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        try:
            old = time.time() - folder.lstat().st_mtime > UNLOCKED_GRACE
        except OSError:
            return None
        return -1 if old else None
    except OSError:
        return None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held: in use
        os.close(lock)
        return None
    return lock


def _remove(folder: Path) -> None:
    """Remove ``folder`` and all in it, also what a run made unreadable or unwritable in it."""

    def allow_and_retry(function: Any, path: str, *_: Any) -> None:
        parent = os.path.dirname(path)
        try:
            os.chmod(parent, stat.S_IRWXU)
            if function is not os.rmdir and os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, stat.S_IRWXU)
                shutil.rmtree(path, ignore_errors=True)
            else:
                function(path)
        except OSError:
            pass

    handler = {"onexc": allow_and_retry} if sys.version_info >= (3, 12) else {"onerror": allow_and_retry}
    shutil.rmtree(folder, **handler)  # type: ignore[arg-type]
