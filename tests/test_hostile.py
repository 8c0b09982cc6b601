"""Hostile submissions: the grader is never crashed, hung or fooled, and the report stays complete.

Each fixture ``tests/hostile/<module>__<attack>.py`` uses the mutant format: it holds only what it
changes and is appended to a copy of the reference solutions (``build_submission``), so a later
``def`` replaces the reference function, module-level code runs at import, and a syntax error
breaks the whole module. Most checks grade only the attacked exercise plus ex1 or ex2 as a
bystander that must keep full marks.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import TESTS_DIR, build_submission, module_of, variant_files

from cnnkit import paths, spec
from cnnkit.cli import main as cnnkit_main
from cnnkit.grading import run_graders, scores_by_exercise

HOSTILE_DIR = TESTS_DIR / "hostile"
HOSTILE = variant_files(HOSTILE_DIR)
FAST_CALLS = ["--timeout-scale", "0.2"]  # 2-s call limit: enough for ex1/ex2 reference code, quick to time out


@dataclass(frozen=True)
class Expect:
    """What the attacked exercise must score and how its tests must be reported."""

    score: str  # "zero", "full" or "partial"
    statuses: frozenset[str]  # every test of the attacked exercise has one of these
    feedback: str = ""  # some test's feedback contains this
    required: frozenset[str] = frozenset()  # statuses that must each appear at least once


def expect(score: str, *statuses: str, feedback: str = "", required: tuple[str, ...] = ()) -> Expect:
    return Expect(score, frozenset(statuses), feedback, frozenset(required))


# Code that cannot run: "error", or "failed" where a grader test catches the student's exception
# to check its type (e.g. "expected a ValueError") and sees the import error instead.
BROKEN = ("error", "failed")

EXPECTED: dict[str, Expect] = {
    "ex2_conv2d__syntax_error": expect("zero", *BROKEN, feedback="could not be imported: SyntaxError"),
    "ex1_output_size__import_error": expect("zero", *BROKEN, feedback="RuntimeError: this module breaks at import"),
    "ex1_output_size__infinite_loop": expect("partial", "passed", "timeout", feedback="longer than the limit",
                                             required=("passed", "timeout")),
    # Filling 4 GB takes seconds on a busy machine: the memory cap or the time limit stops it first.
    "ex2_conv2d__memory_bomb": expect("zero", *BROKEN, "timeout"),
    "ex1_output_size__print_flood": expect("full", "passed"),
    "ex1_output_size__sys_exit_in_function": expect("zero", *BROKEN, feedback="sys.exit"),
    "ex1_output_size__os_exit_in_function": expect("zero", *BROKEN, feedback="exited with status 0"),
    "ex1_output_size__sys_exit_at_import": expect("zero", *BROKEN, feedback="could not be imported: SystemExit"),
    "ex1_output_size__os_exit_at_import": expect("zero", *BROKEN, feedback="exited with status 0"),
    "ex2_conv2d__patch_checks": expect("zero", "failed", feedback="shape"),
    "ex1_output_size__fake_report": expect("full", "passed"),
    "ex2_conv2d__forbidden_api": expect("zero", "forbidden", "failed", "error", feedback="forbids",
                                        required=("forbidden",)),
    "ex2_conv2d__returns_nan": expect("zero", "failed", "error", feedback="NaN"),
    "ex2_conv2d__wrong_dtype": expect("zero", "failed", "error", feedback="dtype torch.float16"),
    "ex2_conv2d__wrong_shape": expect("zero", "failed", "error", feedback="your shape"),
    "ex2_conv2d__numpy_array": expect("zero", "failed", "error", feedback="numpy"),
    "ex2_conv2d__meta_device": expect("zero", "failed", "error", feedback="meta"),
    "ex2_conv2d__modifies_input": expect("zero", "failed", "error", feedback="in place"),
    "ex1_output_size__read_solutions": expect("zero", "failed"),
    "ex1_output_size__read_hidden_graders": expect("zero", "failed"),
}
BYSTANDER = {"ex1_output_size": "ex2_conv2d", "ex2_conv2d": "ex1_output_size"}
# Attacks on the process or the files, where a leak into the other exercise is conceivable: these
# grade a bystander exercise too, which must keep full marks (the rest grade only their own, for speed).
WITH_BYSTANDER = {"ex2_conv2d__syntax_error", "ex2_conv2d__memory_bomb", "ex1_output_size__os_exit_at_import",
                  "ex2_conv2d__patch_checks", "ex1_output_size__fake_report"}


def _tests(report: dict, module: str) -> list[dict]:
    return next(e["tests"] for e in report["exercises"] if e["module"] == module)


@functools.cache
def grader_test_names(module: str) -> list[str]:
    """Every grader test of ``module``, as the plugin collects them (nothing is run)."""
    report = run_graders(paths.SOLUTIONS_DIR, exercises=[module], extra_args=["--collect-only"])
    return [test["name"] for test in _tests(report, module)]


def test_every_fixture_has_an_expectation_and_every_kind_a_fixture():
    assert sorted(path.stem for path in HOSTILE) == sorted(EXPECTED)


@pytest.mark.parametrize("fixture", HOSTILE, ids=lambda path: path.stem)
def test_hostile_submission_gets_a_complete_truthful_report(fixture: Path, tmp_path: Path):
    if fixture.stem.endswith("read_hidden_graders") and not paths.HIDDEN_GRADERS_DIR.is_dir():
        pytest.skip("no graders/hidden/ in this checkout: nothing to protect")
    module = module_of(fixture)
    bystanders = [BYSTANDER[module]] if fixture.stem in WITH_BYSTANDER else []
    expected = EXPECTED[fixture.stem]
    submission = build_submission(tmp_path / "submission", {module: fixture.read_text()})
    report = run_graders(submission, exercises=[module, *bystanders], extra_args=FAST_CALLS, timeout=600)

    scores = scores_by_exercise(report)
    for bystander in bystanders:
        assert scores[bystander][0] == scores[bystander][1] > 0, "a bystander exercise lost points"
    tests = _tests(report, module)
    assert [test["name"] for test in tests] == grader_test_names(module), "the report lost tests"
    statuses = {test["status"] for test in tests}
    detail = [(t["name"], t["status"], t["feedback"][:300]) for t in tests]
    assert statuses <= expected.statuses, detail
    assert expected.required <= statuses, detail
    score, max_score = scores[module]
    assert {"zero": score == 0, "full": score == max_score, "partial": 0 < score < max_score}[expected.score], detail
    if expected.feedback:
        assert any(expected.feedback in test["feedback"] for test in tests), detail


def test_fake_report_cannot_replace_the_output_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    """The attacker is even told where the output goes (CNNKIT_HOSTILE_TARGET); the written file is still true."""
    fixture = HOSTILE_DIR / "ex1_output_size__fake_report.py"
    submission = build_submission(tmp_path / "submission", {"ex1_output_size": fixture.read_text()})
    output = tmp_path / "results" / "results.json"
    monkeypatch.setenv("CNNKIT_HOSTILE_TARGET", str(output))
    code = cnnkit_main(["grade", str(submission), "--format", "gradescope", "--output", str(output),
                        "--exercise", "ex1_output_size"])
    assert code == 0
    results = json.loads(output.read_text())
    max_score = sum(test["max_score"] for test in results["tests"])
    assert results["score"] == max_score < 9999
    assert all(test["status"] == "passed" for test in results["tests"])


def test_syntax_error_in_one_module_leaves_every_other_exercise_graded(tmp_path: Path):
    """Full suite: every exercise with graders is present; only the broken one scores 0."""
    fixture = HOSTILE_DIR / "ex2_conv2d__syntax_error.py"
    submission = build_submission(tmp_path / "submission", {"ex2_conv2d": fixture.read_text()})
    report = run_graders(submission, public_only=True)
    graded = {path.stem[len("test_"):] for path in paths.GRADERS_DIR.glob("test_*.py")} & set(spec.BY_MODULE)
    assert {e["module"] for e in report["exercises"]} == graded
    for module, (score, max_score) in scores_by_exercise(report).items():
        assert score == (0 if module == "ex2_conv2d" else max_score), _tests(report, module)


ROUNDS_UP = '''
def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    if min(in_size, kernel_size, stride) < 1 or padding < 0:
        raise ValueError("invalid")
    return -(-(in_size + 2 * padding - kernel_size) // stride) + 1
'''


def test_scores_are_identical_across_runs(tmp_path: Path):
    """Same submission, same report: Hypothesis is derandomised and nothing depends on timing."""
    submission = build_submission(tmp_path / "submission", {"ex1_output_size": ROUNDS_UP})
    first, second = (run_graders(submission, exercises=["ex1_output_size"]) for _ in range(2))
    assert 0 < first["score"] < first["max_score"]
    assert first["exercises"] == second["exercises"]


def test_overall_time_limit_reports_unfinished_tests_as_timeout(tmp_path: Path):
    """A submission that runs past the whole-run limit is cut off; every test is still in the report."""
    fixture = HOSTILE_DIR / "ex1_output_size__infinite_loop.py"
    submission = build_submission(tmp_path / "submission", {"ex1_output_size": fixture.read_text()})
    report = run_graders(submission, exercises=["ex1_output_size"], timeout=8)
    tests = _tests(report, "ex1_output_size")
    assert [t["name"] for t in tests] == grader_test_names("ex1_output_size")
    assert any("overall limit" in t["feedback"] for t in tests if t["status"] == "timeout")
    assert report["score"] == sum(t["score"] for t in tests)


def test_a_submission_cannot_touch_another_runs_report(tmp_path: Path):
    """In a parallel batch, a hostile submission must not overwrite another submission's in-progress report."""
    from cnnkit.grading import REPORTS_ROOT

    REPORTS_ROOT.mkdir(mode=0o700, exist_ok=True)
    other = REPORTS_ROOT / f"report-other-run-{tmp_path.name}"
    other.mkdir()
    try:
        (other / "report.json").write_text('{"submission": "another student"}')
        fixture = HOSTILE_DIR / "ex1_output_size__fake_report.py"
        submission = build_submission(tmp_path / "submission", {"ex1_output_size": fixture.read_text()})
        report = run_graders(submission, exercises=["ex1_output_size"])
        assert (other / "report.json").read_text() == '{"submission": "another student"}'
        score, max_score = scores_by_exercise(report)["ex1_output_size"]
        assert score == max_score < 9999
    finally:
        for path in other.iterdir():
            path.unlink()
        other.rmdir()
