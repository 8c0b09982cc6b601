"""The report writers: one plugin report rendered as text, JSON, Gradescope results.json and a CSV gradebook.

These tests render hand-built reports (no grading run), so they are fast and exact.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from cnnkit import paths
from cnnkit.grading import reports

SCHEMA_PATH = Path("/work/shared/docs/gradescope-results.schema.json")


def make_report(score_ex2: float = 4.0) -> dict:
    """A plugin-style report: ex1 full marks (one public, one hidden test), ex2 partly failed."""
    return {
        "score": 3.0 + score_ex2,
        "max_score": 3.0 + 9.0,
        "submission": "/class/alice",
        "complete": True,
        "exercises": [
            {"name": "Convolution output size", "module": "ex1_output_size", "score": 3.0, "max_score": 3.0, "tests": [
                {"name": "test_a", "visibility": "public", "max_score": 1.0, "score": 1.0, "status": "passed",
                 "feedback": ""},
                {"name": "test_b", "visibility": "hidden", "max_score": 2.0, "score": 2.0, "status": "passed",
                 "feedback": ""},
            ]},
            {"name": "2-D convolution", "module": "ex2_conv2d", "score": score_ex2, "max_score": 9.0, "tests": [
                {"name": "test_c", "visibility": "public", "max_score": 4.0, "score": score_ex2, "status":
                 "passed" if score_ex2 else "failed", "feedback": "" if score_ex2 else "conv2d: wrong"},
                {"name": "test_d[1]", "visibility": "hidden", "max_score": 5.0, "score": 0.0, "status": "timeout",
                 "feedback": "ex2_conv2d: your code ran longer than the limit of 10 s"},
            ]},
        ],  # fmt: skip
    }


def test_json_has_the_documented_fields_and_sums():
    report = json.loads(reports.render(make_report(), "json"))
    assert set(report) >= {"score", "max_score", "exercises"}
    assert report["score"] == 7 and report["max_score"] == 12
    for exercise in report["exercises"]:
        assert set(exercise) >= {"name", "module", "score", "max_score", "tests"}
        assert exercise["score"] == sum(t["score"] for t in exercise["tests"])
        for test in exercise["tests"]:
            assert set(test) >= {"name", "score", "max_score", "status", "feedback"}
            assert test["status"] in reports.STATUSES


def test_statuses_outside_the_documented_five_become_error():
    report = make_report()
    report["exercises"][0]["tests"][0].update(status="skipped", score=0.0)
    assert reports.normalize(report)["exercises"][0]["tests"][0]["status"] == "error"
    assert reports.normalize(report)["score"] == 6


def test_text_has_a_row_per_exercise_the_failures_and_the_total():
    text = reports.render(make_report(score_ex2=0.0), "text")
    assert "ex1_output_size" in text and "2/2" in text
    assert "ex2_conv2d" in text and "0/2" in text
    assert "[failed] test_c" in text and "conv2d: wrong" in text
    assert "[timeout] test_d[1] (hidden)" in text
    assert "TOTAL" in text and "3 / 12" in text


@pytest.mark.parametrize("hidden_visibility", reports.GRADESCOPE_HIDDEN)
def test_gradescope_results_validate_against_the_schema(hidden_visibility: str):
    schema = json.loads(SCHEMA_PATH.read_text())
    results = json.loads(reports.render(make_report(), "gradescope", hidden_visibility))
    jsonschema.validate(results, schema)
    assert results["score"] == 7
    assert [t["max_score"] for t in results["tests"]] == [1, 2, 4, 5]
    visibility = {t["name"]: t["visibility"] for t in results["tests"]}
    assert visibility["ex1_output_size: test_a"] == "visible"
    assert visibility["ex1_output_size: test_b (hidden)"] == hidden_visibility
    timed_out = next(t for t in results["tests"] if "test_d" in t["name"])
    assert timed_out["status"] == "failed" and "[timeout]" in timed_out["output"]


def test_gradescope_refuses_an_unknown_visibility():
    with pytest.raises(ValueError, match="after_published"):
        reports.to_gradescope(make_report(), "visible")


def test_gradebook_rows_match_the_reports(tmp_path: Path):
    path = tmp_path / "gradebook.csv"
    graded = {"alice": make_report(4.0), "bob": make_report(0.0), "carol": None}
    reports.write_gradebook(path, graded, {"carol": "GraderFault: no report"})
    rows = list(csv.DictReader(path.open()))
    assert [row["student"] for row in rows] == ["alice", "bob", "carol"]
    statuses = [f"{status}_exercises" for status in reports.attention_statuses()]
    assert list(rows[0]) == ["student", "ex1_output_size", "ex2_conv2d", "total", "max_score", "error",
                             "not_started", *statuses, "isolation", "flags"]
    assert rows[0]["timeout_exercises"] == "ex2_conv2d" and rows[0]["error_exercises"] == ""
    assert (rows[0]["ex2_conv2d"], rows[0]["total"], rows[1]["total"]) == ("4", "7", "3")
    assert rows[2]["total"] == "" and "no report" in rows[2]["error"]


def test_a_check_hint_follows_that_check_of_its_own_exercise_only():
    """ex2's shape hint follows ex2's failed shape check; never another exercise's, never words of a message."""
    from cnnkit.grading.checks import CheckFailure
    from cnnkit.grading.feedback import describe_failure
    from cnnkit.grading.hints import exercise_hints

    shape_hint = exercise_hints("ex2_conv2d")["shape"].concept
    problem = "your shape (1, 1, 1, 2) / expected shape (1, 1, 1, 3)"
    shape = CheckFailure("conv2d", problem, "x (1, 1, 1, 1)", check="shape")
    assert f"hint: {shape_hint}" in describe_failure(shape, "ex2_conv2d")
    other = CheckFailure("cross_entropy_backward", problem, "logits (1, 3)", check="shape")
    assert "hint:" not in describe_failure(other, "ex12_softmax_ce_backward")  # ex12 has no shape hint
    assert "hint:" not in describe_failure(AssertionError(f"conv2d: {problem}"), "ex2_conv2d")  # words match nothing
    values = CheckFailure("conv2d", "3 of 9 values differ", check="values")
    assert "hint:" not in describe_failure(values, "ex2_conv2d")


def test_text_counts_a_zeroed_exercises_tests_as_forbidden():
    """A forbidden call zeroes the exercise: no test of it counts as passed, each line prints its own score."""
    report = make_report()
    report["exercises"][1]["tests"][0].update(status="forbidden", score=0.0, feedback="scored 0: forbidden")
    report["exercises"][1]["tests"][1].update(status="forbidden", feedback="conv2d called torch.conv2d")
    text = reports.render(report, "text")
    assert "0/2" in text and "[forbidden] test_c  0 / 4" in text and "[forbidden] test_d[1] (hidden)  0 / 5" in text


# -- the plugin, run on a tiny graders folder ------------------------------------------------------
GRADER_CONFTEST = "from cnnkit.grading.plugin import pytest_addoption, pytest_configure, ref, sub  # noqa: F401\n"
PUBLIC_GRADER = '''
import pytest
from cnnkit.sandbox.errors import ForbiddenCall


@pytest.mark.points(2)
def test_passes():
    pass


@pytest.mark.points(3)
def test_calls_a_forbidden_api():
    raise ForbiddenCall("conv_output_size called torch.conv2d", ["conv2d"])
'''
HIDDEN_GRADER = '''
import pytest


@pytest.mark.points(1)
def test_hidden_passes():
    pass
'''


def write_tiny_graders(graders: Path) -> Path:
    """A graders folder: the plugin's conftest, graders for ex1_output_size that touch no student code."""
    (graders / "hidden").mkdir(parents=True)
    for package in (graders, graders / "hidden"):  # two files named test_ex1_output_size.py: packages
        (package / "__init__.py").write_text("")
    (graders / "conftest.py").write_text(GRADER_CONFTEST)
    (graders / "test_ex1_output_size.py").write_text(PUBLIC_GRADER)
    (graders / "hidden" / "test_ex1_output_size.py").write_text(HIDDEN_GRADER)
    return graders


def run_pytest(graders: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pytest", str(graders), "-q", "-p", "no:cacheprovider",
               "--rootdir", str(graders.parent), *args]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, cwd=graders.parent,
                          env={**os.environ, "PYTHONPATH": str(paths.ROOT)})


def run_tiny_graders(graders: Path, report: Path) -> dict:
    done = run_pytest(write_tiny_graders(graders), "--cnnkit-report", str(report))
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(report.read_text())


def test_a_zeroed_exercises_passing_tests_say_forbidden_and_visibility_ignores_folders_above(tmp_path: Path):
    """The kit checked out under a folder named ``hidden``: its public graders stay public."""
    checkout = tmp_path / "hidden" / "kit"
    report = run_tiny_graders(checkout / "graders", tmp_path / "report.json")
    tests = {test["name"]: test for test in report["exercises"][0]["tests"]}
    assert {name: (t["visibility"], t["status"], t["score"]) for name, t in tests.items()} == {
        "test_passes": ("public", "forbidden", 0.0),
        "test_calls_a_forbidden_api": ("public", "forbidden", 0.0),
        "test_hidden_passes": ("hidden", "forbidden", 0.0),
    }
    assert "forbidden API in another test" in tests["test_passes"]["feedback"]
    assert report["score"] == 0 and report["max_score"] == 6
    assert "  0/3 " in reports.render(report, "text")


@pytest.mark.parametrize("place", ["test_ex99_undeclared.py", "hidden/test_ex99_undeclared.py"])
def test_a_grader_file_for_a_module_the_spec_does_not_declare_fails_collection(tmp_path: Path, place: str):
    """Otherwise its tests would run and never be scored; selecting another exercise does not hide it."""
    graders = write_tiny_graders(tmp_path / "graders")
    (graders / place).write_text(HIDDEN_GRADER)
    done = run_pytest(graders, "-m", "ex1_output_size")
    output = done.stdout + done.stderr
    assert done.returncode not in (0, 5), output
    assert f"{graders / place} grades exercise module 'ex99_undeclared'" in output
    assert "does not declare (known modules: ex1_output_size, ex2_conv2d" in output
    assert "error during collection" in output and " passed" not in output


def test_a_failure_that_does_not_reproduce_is_failed_and_says_so():
    """Hypothesis wraps it in FlakyFailure (an exception group): the group, not its first leaf, says flaky."""
    from hypothesis.errors import FlakyFailure

    from cnnkit.grading.feedback import describe_failure, status_of

    for inner in (AssertionError("conv2d: values differ"), TypeError("unsupported operand")):
        flaky = FlakyFailure("Inconsistent results", [inner])
        assert status_of(flaky) == "failed"
        assert "different results for the same input" in describe_failure(flaky, "ex2_conv2d")
    assert status_of(TypeError("grader bug")) == "error"
