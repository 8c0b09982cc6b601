"""The command line's one error convention: a user's mistake is one line on stderr and an exit status."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnnkit import cli, stubgen
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
