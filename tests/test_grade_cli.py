"""``cnnkit grade``: formats, exit statuses, --public-only, and batch grading of a small class.

Everything grades exercise 1 only (``--exercise ex1_output_size``) to stay fast; the engine does
not depend on which exercise it grades.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
from pathlib import Path

import pytest
from helpers import TESTS_DIR, build_submission

from cnnkit import paths
from cnnkit.cli import main as cnnkit_main
from cnnkit.grading import grade, reports
from cnnkit.grading.hints import exercise_hints
from cnnkit.grading.runner import GraderFault, grade_submission

EX1 = ["--exercise", "ex1_output_size"]


def _grade_json(submission: Path, tmp_path: Path, *extra: str) -> dict:
    output = tmp_path / "report.json"
    assert cnnkit_main(["grade", str(submission), "--format", "json", "--output", str(output), *EX1, *extra]) == 0
    return json.loads(output.read_text())


def test_the_three_formats_render_the_same_run(tmp_path: Path, capsys: pytest.CaptureFixture):
    report = _grade_json(paths.SOLUTIONS_DIR, tmp_path)
    assert report["score"] == report["max_score"] > 0
    assert cnnkit_main(["grade", str(paths.SOLUTIONS_DIR), "--format", "gradescope", *EX1]) == 0
    gradescope = json.loads(capsys.readouterr().out)
    assert gradescope == reports.to_gradescope(report)  # grading is deterministic: same run, same rendering
    assert cnnkit_main(["grade", str(paths.SOLUTIONS_DIR), *EX1]) == 0
    assert capsys.readouterr().out == reports.to_text(report)


def test_stubs_score_zero_and_still_exit_0(tmp_path: Path):
    report = _grade_json(paths.EXERCISES_DIR, tmp_path)
    assert report["score"] == 0 < report["max_score"]
    tests = report["exercises"][0]["tests"]
    assert {t["status"] for t in tests} <= {"error", "failed"}
    assert any("not implemented" in t["feedback"] for t in tests)


def test_public_only_runs_only_public_tests(tmp_path: Path):
    full = _grade_json(paths.SOLUTIONS_DIR, tmp_path)
    public = _grade_json(paths.SOLUTIONS_DIR, tmp_path, "--public-only")
    assert {t["visibility"] for t in public["exercises"][0]["tests"]} == {"public"}
    assert len(public["exercises"][0]["tests"]) <= len(full["exercises"][0]["tests"])


def test_hints_level_reaches_the_feedback(tmp_path: Path):
    """``--hints`` (default concept) is passed to the graders as ``--cnnkit-hints``: none, concept, method."""
    mutant = (TESTS_DIR / "mutants" / "ex1_output_size__padding_counted_once.py").read_text()
    submission = build_submission(tmp_path / "submission", {"ex1_output_size": mutant})
    hint = exercise_hints("ex1_output_size")["padding_counted_once"]
    levels = (("none", ""), ("concept", hint.concept), ("method", hint.at("method")), (None, hint.concept))
    for level, expected in levels:
        report = _grade_json(submission, tmp_path, "--public-only", *(("--hints", level) if level else ()))
        recognised = [t for t in report["exercises"][0]["tests"] if t.get("mistake") == "padding_counted_once"]
        assert recognised, level  # the mistake is recognised whatever the level: only the words change
        for test in recognised:
            shown = [line.strip().removeprefix("hint: ") for line in test["feedback"].splitlines()
                     if line.strip().startswith("hint:")]
            assert shown == ([expected] if expected else []), (level, test["feedback"])


def test_hints_option_is_passed_to_pytest():
    parser = argparse.ArgumentParser()
    grade.add_arguments(parser)
    assert grade._pytest_args(parser.parse_args([]))[:2] == ["--cnnkit-hints", "concept"]
    assert grade._pytest_args(parser.parse_args(["--hints", "method"]))[:2] == ["--cnnkit-hints", "method"]
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["--hints", "everything"])
    assert exited.value.code == 2


def test_bad_usage_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture):
    assert cnnkit_main(["grade", str(tmp_path / "missing")]) == 2
    (tmp_path / "notes.txt").write_text("no python here")
    assert cnnkit_main(["grade", str(tmp_path)]) == 2
    assert "no exercise modules" in capsys.readouterr().err


def test_grader_fault_exits_3_with_a_message(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    monkeypatch.setattr(grade, "_pytest_args", lambda args: ["--no-such-pytest-option"])
    assert cnnkit_main(["grade", str(paths.SOLUTIONS_DIR)]) == 3
    assert "grader fault" in capsys.readouterr().err
    with pytest.raises(GraderFault, match="no report"):
        grade_submission(paths.SOLUTIONS_DIR, extra_args=["--no-such-pytest-option"])


def test_batch_grades_a_class_and_the_gradebook_matches_the_reports(tmp_path: Path):
    """Reference, stubs, a crashing and a hanging submission: all graded, none stops the batch."""
    klass = tmp_path / "class"
    shutil.copytree(paths.SOLUTIONS_DIR, klass / "alice", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(paths.EXERCISES_DIR, klass / "bob", ignore=shutil.ignore_patterns("__pycache__"))
    for student, attack in (("carol", "os_exit_at_import"), ("dave", "infinite_loop")):
        source = (TESTS_DIR / "hostile" / f"ex1_output_size__{attack}.py").read_text()
        build_submission(klass / student, {"ex1_output_size": source})
    (klass / "README.txt").write_text("not a submission")
    output = tmp_path / "grades"
    code = cnnkit_main(["grade", str(klass), "--jobs", "2", "--output", str(output), "--timeout", "1",
                        "--total-timeout", "120", *EX1])
    assert code == 0
    rows = {row["student"]: row for row in csv.DictReader((output / "gradebook.csv").open())}
    assert sorted(rows) == ["alice", "bob", "carol", "dave"]
    for student, row in rows.items():
        report = json.loads((output / f"{student}.json").read_text())
        assert float(row["total"]) == report["score"]
        assert float(row["ex1_output_size"]) == report["exercises"][0]["score"]
        assert float(row["max_score"]) == report["max_score"]
    max_score = float(rows["alice"]["max_score"])
    assert float(rows["alice"]["total"]) == max_score
    assert float(rows["bob"]["total"]) == float(rows["carol"]["total"]) == 0
    assert 0 < float(rows["dave"]["total"]) < max_score
