"""The reports folder is the user's own: per user in the temp folder, made private, refused when planted.

Another local user could create ``<tmp>/cnnkit-reports-<uid>`` first (to read the reports, or replace
them), or plant a symbolic link there; ``cnnkit.grading.runner.reports_root`` refuses every such
folder with one line (``CommandError``, exit ``FAULT``) instead of grading into it.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from cnnkit import paths
from cnnkit.errors import FAULT, CommandError
from cnnkit.grading import runner


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_the_folder_is_named_for_the_user_in_the_temp_folder():
    assert runner.REPORTS_ROOT == Path(tempfile.gettempdir()) / f"cnnkit-reports-{os.geteuid()}"


def test_a_fresh_folder_is_the_users_with_the_documented_mode(tmp_path: Path):
    folder = runner.reports_root(tmp_path / "reports")
    assert folder.lstat().st_uid == os.geteuid()
    assert _mode(folder) == runner.reports_mode()
    # root's workers run under uids of their own and pass through; otherwise nobody else needs to.
    assert runner.reports_mode() == (0o711 if os.geteuid() == 0 else 0o700)


def test_the_users_own_folder_is_reused_and_closed(tmp_path: Path):
    folder = tmp_path / "reports"
    folder.mkdir()
    folder.chmod(0o755)
    (folder / "kept").write_text("a run's file")
    assert runner.reports_root(folder) == folder
    assert _mode(folder) == runner.reports_mode()
    assert (folder / "kept").read_text() == "a run's file"


def _refused(folder: Path) -> str:
    with pytest.raises(CommandError) as refused:
        runner.reports_root(folder)
    assert refused.value.exit_code == FAULT
    message = refused.value.message
    assert "\n" not in message and message.startswith(f"unsafe reports folder {folder}: ")
    return message


def test_a_planted_symbolic_link_is_refused(tmp_path: Path):
    target = tmp_path / "attackers"
    target.mkdir(mode=0o777)
    target.chmod(0o777)
    link = tmp_path / "reports"
    link.symlink_to(target)
    assert "symbolic link" in _refused(link)
    assert _mode(target) == 0o777  # nothing was done through the link


def test_a_file_in_its_place_is_refused(tmp_path: Path):
    planted = tmp_path / "reports"
    planted.write_text("")
    assert "not a folder" in _refused(planted)


def test_a_folder_of_another_user_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "reports"
    folder.mkdir(mode=0o700)
    if os.geteuid() == 0:
        os.chown(folder, 12345, 12345)
    else:  # an ordinary user cannot give a folder away: the folder's owner is then "someone else"
        real = os.geteuid()
        monkeypatch.setattr(runner.os, "geteuid", lambda: real + 1)
    assert "belongs to uid" in _refused(folder)


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o1733])
def test_a_folder_others_may_write_is_refused(tmp_path: Path, mode: int):
    folder = tmp_path / "reports"
    folder.mkdir()
    folder.chmod(mode)
    assert "others may write" in _refused(folder)
    assert _mode(folder) == mode  # refused as it was, not repaired


def test_cnnkit_grade_refuses_a_planted_folder_in_one_line(tmp_path: Path):
    """Another user's link at the user's reports folder: ``cnnkit grade`` says so and grades nothing."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / f"cnnkit-reports-{os.geteuid()}").symlink_to(tmp_path / "elsewhere")
    done = subprocess.run(
        [sys.executable, "-m", "cnnkit", "grade", str(paths.SOLUTIONS_DIR), "--exercise", "ex1_output_size"],
        capture_output=True, text=True, env={**os.environ, "TMPDIR": str(tmp_path)}, timeout=300,
    )  # fmt: skip
    assert done.returncode == FAULT, done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()], done.stderr
    assert done.stderr.startswith("cnnkit grade: unsafe reports folder") and "symbolic link" in done.stderr
    assert done.stdout == "" and not any((tmp_path / "elsewhere").iterdir())


def test_grading_works_in_the_users_folder():
    report = runner.grade_submission(paths.SOLUTIONS_DIR, exercises=["ex1_output_size"])
    assert report["score"] == report["max_score"] > 0
    assert runner.REPORTS_ROOT.lstat().st_uid == os.geteuid()
    assert _mode(runner.REPORTS_ROOT) == runner.reports_mode()
