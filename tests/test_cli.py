"""The command line's one error convention: a user's mistake is one line on stderr and an exit status."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnnkit import cli, paths
from cnnkit.course import stubgen
from cnnkit.errors import FAULT, USAGE, CommandError


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    return code, capsys.readouterr().err


def test_release_into_a_foreign_folder_is_one_line(tmp_path: Path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    code, err = _run(capsys, "release", "--out", str(tmp_path))
    assert code == USAGE
    assert err.strip().splitlines() == [f"cnnkit release: {tmp_path} is not empty and not a cnnkit release: choose another --out"]
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_unbalanced_markers_are_one_line(tmp_path: Path, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise stubgen.MarkerError("ex1_output_size: ### END SOLUTION without ### BEGIN SOLUTION at line 3")

    monkeypatch.setattr(stubgen, "stale_files", broken)
    code, err = _run(capsys, "stubs", "--check")
    assert code == USAGE
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "without ### BEGIN SOLUTION" in err


def test_a_command_error_keeps_its_exit_status(capsys, monkeypatch):
    def faulty(args):
        raise CommandError("the grader failed", FAULT)

    monkeypatch.setattr(stubgen, "run", faulty)
    code, err = _run(capsys, "stubs")
    assert (code, err) == (FAULT, "cnnkit stubs: the grader failed\n")


def test_no_command_prints_help_and_usage_status(capsys):
    assert cli.main([]) == USAGE
    assert "COMMAND" in capsys.readouterr().out


# -- cnnkit grade ----------------------------------------------------------------------------------
def test_grade_usage_mistakes_are_one_line_with_usage_status(tmp_path: Path, capsys):
    code, err = _run(capsys, "grade", str(tmp_path / "missing"))
    assert (code, err) == (USAGE, f"cnnkit grade: {tmp_path / 'missing'} is not a folder\n")
    code, err = _run(capsys, "grade", str(tmp_path), "--jobs", "0")
    assert (code, err) == (USAGE, "cnnkit grade: --jobs and --timeout must be positive\n")
    (tmp_path / "notes.txt").write_text("no python here")
    code, err = _run(capsys, "grade", str(tmp_path))
    assert code == USAGE and len(err.splitlines()) == 1 and "no exercise modules" in err


def test_a_grader_fault_is_one_line_with_fault_status(capsys, monkeypatch):
    from cnnkit.grading import grade
    from cnnkit.grading.runner import GraderFault

    def faulty(*args, **kwargs):
        raise GraderFault("the grader produced no report (pytest exit 4):\nERROR: usage: ...\n  many lines")

    monkeypatch.setattr(grade, "grade_submission", faulty)
    code, err = _run(capsys, "grade", str(paths.SOLUTIONS_DIR))
    assert code == FAULT and len(err.splitlines()) == 1, err
    assert err.startswith("cnnkit grade: grader fault, no grade given: the grader produced no report (pytest exit 4)")


def test_grade_passes_the_chosen_exercises_to_the_runner(capsys, monkeypatch):
    """--exercise goes to the runner's ``exercises=``, not a hand-built ``-m``."""
    from cnnkit.grading import grade

    seen = {}

    def fake(submission, **kwargs):
        seen.update(kwargs)
        return {"score": 0, "max_score": 0, "submission": str(submission), "exercises": []}

    monkeypatch.setattr(grade, "grade_submission", fake)
    code, _ = _run(capsys, "grade", str(paths.SOLUTIONS_DIR), "--exercise", "ex2_conv2d", "--exercise", "ex3_pooling")
    assert code == 0
    assert seen["exercises"] == ["ex2_conv2d", "ex3_pooling"] and "-m" not in seen["extra_args"]


# -- cnnkit course ---------------------------------------------------------------------------------
def test_course_mistakes_are_one_line(tmp_path: Path, capsys):
    code, err = _run(capsys, "course", "--out", str(tmp_path), "--assignment", "no_such_assignment")
    assert code == USAGE and len(err.splitlines()) == 1 and "no assignment named no_such_assignment" in err
    (tmp_path / "file").write_text("")
    code, err = _run(capsys, "course", "--out", str(tmp_path / "file"))
    assert code == USAGE
    assert err == f"cnnkit course: {tmp_path / 'file'} is a file; --out is the course folder to write\n"


def test_course_collection_failure_is_one_line_with_fault_status(tmp_path: Path, capsys, monkeypatch):
    from cnnkit.course import build as course

    def failing(root=None):
        raise course.CollectionFailed("collecting the graders failed (exit 2):\nE   SyntaxError\n  more")

    monkeypatch.setattr(course, "collect_registry", failing)
    code, err = _run(capsys, "course", "--out", str(tmp_path / "course"))
    assert code == FAULT and len(err.splitlines()) == 1, err
    assert err.startswith("cnnkit course: collecting the graders failed (exit 2)")
