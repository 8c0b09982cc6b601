"""Scratch folders in the reports folder (``cnnkit.grading.scratch``): removed when their grading call
ends, and by the next grading call when the process that made one is gone without removing it."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cnnkit.grading.scratch import LOCK_NAME, UNLOCKED_GRACE, remove_abandoned, scratch_folder


def test_a_scratch_folder_is_locked_while_in_use_and_gone_after(tmp_path: Path):
    with scratch_folder(tmp_path, "report-") as folder:
        assert folder.parent == tmp_path and folder.name.startswith("report-")
        assert [p.name for p in folder.iterdir()] == [LOCK_NAME]
        assert remove_abandoned(tmp_path) == [] and folder.is_dir()  # this process holds it
    assert list(tmp_path.iterdir()) == []


def test_the_folder_of_a_process_that_is_gone_is_removed_by_the_next_call(tmp_path: Path):
    """A process makes a scratch folder with something unreadable in it and is killed with SIGKILL:
    the folder stays until the next scratch folder is made, which removes it."""
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import os, sys, time; from pathlib import Path; from cnnkit.grading.scratch import scratch_folder\n"
         "with scratch_folder(Path(sys.argv[1]), 'report-') as f:\n"
         "    (f / 'tmp-0' / 'deep').mkdir(parents=True); (f / 'tmp-0' / 'deep' / 'x').write_text('x')\n"
         "    (f / 'tmp-0').chmod(0); print(f, flush=True); time.sleep(600)\n",
         str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        left = Path(child.stdout.readline().strip())
        assert left.is_dir()
    finally:
        child.kill()
        child.wait()
    assert left.is_dir(), "SIGKILL: nothing could remove it"
    with scratch_folder(tmp_path, "collect-") as folder:
        assert not left.exists()
        assert [p.name for p in tmp_path.iterdir()] == [folder.name]


def test_folders_in_use_new_or_not_made_here_are_kept(tmp_path: Path):
    held = tmp_path / "class-held"
    held.mkdir()
    lock = os.open(held / LOCK_NAME, os.O_WRONLY | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    fresh, old, other = tmp_path / "report-being-made", tmp_path / "report-older-kit", tmp_path / "notes"
    for folder in (fresh, old, other):
        folder.mkdir()
    long_ago = time.time() - UNLOCKED_GRACE - 60
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    (tmp_path / "report-a-link").symlink_to(other)
    try:
        assert remove_abandoned(tmp_path) == [old]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["class-held", "notes", "report-a-link", "report-being-made"]
    finally:
        os.close(lock)
    assert remove_abandoned(tmp_path) == [held]  # its holder let go


def test_only_the_kits_prefixes_make_scratch_folders(tmp_path: Path):
    with pytest.raises(ValueError, match="prefix"), scratch_folder(tmp_path, "anything-"):
        pass
