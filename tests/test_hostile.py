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
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import HOSTILE_DIR, build_submission, grader_test_names, module_of, variant_files

from cnnkit import paths, spec
from cnnkit.cli import main as cnnkit_main
from cnnkit.grading.runner import grade_submission, scores_by_exercise

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
    # Only train_model hangs: it times out once, later training tests are "timed out earlier".
    "ex8_training__hangs_ignoring_signals": expect("partial", "passed", "timeout", feedback="timed out earlier in",
                                                   required=("passed", "timeout")),
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
    # Attacks only the kernel can stop (raw libc, no audit event): graded with isolation "strong".
    "ex2_conv2d__libc_open_pythonapi": expect("zero", "failed", "error"),
    "ex2_conv2d__libc_open_cdll": expect("zero", "failed", "error"),
    "ex1_output_size__libc_system_detached": expect("zero", *BROKEN),
    "ex1_output_size__tcp_connect": expect("full", "passed"),
    "ex1_output_size__udp_sendto": expect("full", "passed"),
    "ex1_output_size__kill_processes": expect("full", "passed"),
    "ex1_output_size__fork_bomb": expect("full", "passed"),
    "ex1_output_size__ptrace_parent": expect("zero", *BROKEN),
    "ex1_output_size__forkserver_socket": expect("zero", *BROKEN),
    # Workers are forked from the warm grading server: no grader, reference or server client is in them;
    # the forged requests reach only the worker's own reply pipe, whose forged length is refused at once.
    "ex1_output_size__grader_memory": expect("zero", *BROKEN, feedback="which the grader refuses"),
    "ex1_output_size__rewrite_classmates": expect("full", "passed"),
}
#: Fixtures whose expectation holds only with the OS layers in force (the audit hook alone cannot
#: stop raw libc calls), and whose dangerous parts run only where the fixture verifies them in force.
NEEDS_OS_ISOLATION = {name for name in EXPECTED if "libc" in name} | {
    "ex1_output_size__tcp_connect", "ex1_output_size__udp_sendto", "ex1_output_size__kill_processes",
    "ex1_output_size__fork_bomb", "ex1_output_size__ptrace_parent", "ex1_output_size__forkserver_socket",
    "ex1_output_size__rewrite_classmates",
}


@functools.cache
def os_isolation_available() -> bool:
    """Whether this system can confine workers "strong" (Linux x86_64 with Landlock)."""
    import platform
    import sys

    from cnnkit.sandbox import confine

    return sys.platform.startswith("linux") and platform.machine() == "x86_64" and confine.landlock_abi() >= 1


def assert_strong(report: dict) -> None:
    """Where the system offers it, student code ran with isolation "strong" and every self-probe was refused."""
    if os_isolation_available():
        isolation = report["isolation"]
        assert isolation["level"] == "strong", isolation
        assert all(probe["blocked"] for probe in isolation["probes"].values()), isolation
BYSTANDER = {"ex1_output_size": "ex2_conv2d", "ex2_conv2d": "ex1_output_size"}
# Attacks on the process or the files, where a leak into the other exercise is conceivable: these
# grade a bystander exercise too, which must keep full marks (the rest grade only their own, for speed).
WITH_BYSTANDER = {"ex2_conv2d__syntax_error", "ex2_conv2d__memory_bomb", "ex1_output_size__os_exit_at_import",
                  "ex2_conv2d__patch_checks", "ex1_output_size__fake_report"}


def _tests(report: dict, module: str) -> list[dict]:
    return next(e["tests"] for e in report["exercises"] if e["module"] == module)


def test_every_fixture_has_an_expectation_and_every_kind_a_fixture():
    assert sorted(path.stem for path in HOSTILE) == sorted(EXPECTED)


@pytest.mark.parametrize("fixture", HOSTILE, ids=lambda path: path.stem)
def test_hostile_submission_gets_a_complete_truthful_report(fixture: Path, tmp_path: Path):
    if fixture.stem.endswith("read_hidden_graders") and not paths.HIDDEN_GRADERS_DIR.is_dir():
        pytest.skip("no graders/hidden/ in this checkout: nothing to protect")
    if fixture.stem in NEEDS_OS_ISOLATION and not os_isolation_available():
        pytest.skip("needs OS isolation (Linux x86_64 with Landlock)")
    module = module_of(fixture)
    bystanders = [BYSTANDER[module]] if fixture.stem in WITH_BYSTANDER else []
    expected = EXPECTED[fixture.stem]
    submission = build_submission(tmp_path / "submission", {module: fixture.read_text()})
    report = grade_submission(submission, exercises=[module, *bystanders], extra_args=FAST_CALLS, wall_limit=600)

    assert_strong(report)
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


def test_a_hanging_train_model_waits_its_limit_once_in_ex8_and_not_at_all_in_ex14(tmp_path: Path):
    """Default limits: train_model sleeps, ignoring signals. It is waited on once (60 s); every later
    test that trains, in ex8 and in ex14 (which runs it), is reported at once, and says how to check."""
    fixture = HOSTILE_DIR / "ex8_training__hangs_ignoring_signals.py"
    submission = build_submission(tmp_path / "submission", {"ex8_training": fixture.read_text()})
    report = grade_submission(submission, exercises=["ex8_training", "ex14_mnist"], wall_limit=1200)

    assert report["complete"]
    for module in ("ex8_training", "ex14_mnist"):
        assert [test["name"] for test in _tests(report, module)] == grader_test_names(module), "the report lost tests"
    ex8, ex14 = _tests(report, "ex8_training"), _tests(report, "ex14_mnist")
    detail = [(t["name"], t["status"], t["feedback"][:200]) for t in ex8 + ex14]
    waited = [t for t in ex8 + ex14 if "longer than the limit" in t["feedback"]]
    assert len(waited) == 1 and waited[0] in ex8 and waited[0]["status"] == "timeout", detail
    earlier = [t for t in ex8 + ex14 if "timed out earlier in" in t["feedback"]]
    assert all(t["status"] == "timeout" and t["score"] == 0 for t in earlier), detail
    assert all(f"timed out earlier in {waited[0]['name']}" in t["feedback"] for t in earlier), detail
    assert all("pytest graders -m ex8_training -x" in t["feedback"] for t in earlier), detail
    assert {t["status"] for t in ex14} == {"timeout"} and all(t in earlier for t in ex14), detail
    assert all("ex8_training.train_model" in t["feedback"] for t in ex14), detail
    assert {t["status"] for t in ex8} == {"passed", "timeout"}, detail  # evaluate_model is still graded
    assert len(waited) + len(earlier) == sum(t["status"] == "timeout" for t in ex8 + ex14), detail


def test_timeout_memory_spares_smaller_inputs_and_functions_that_returned_on_as_large_ones():
    from cnnkit.sandbox.client import TimeoutMemory

    memory = TimeoutMemory()
    memory.timed_out("ex2_conv2d", ["conv2d"], 1000, "test_big", 10.0)
    assert memory.hopeless("ex2_conv2d", "conv2d", 1000).test == "test_big"
    assert memory.hopeless("ex2_conv2d", "conv2d", 999) is None  # a loop per pixel still gets its small tests
    assert memory.hopeless("ex2_conv2d", "conv2d", None) is not None  # an exercise built on it
    assert memory.hopeless("ex2_conv2d", "pool2d", 1000) is None
    memory.returned("ex2_conv2d", ["conv2d"], 1000, 0.5)  # it did finish an input as large: hangs on some only
    assert memory.hopeless("ex2_conv2d", "conv2d", 5000) is None
    assert memory.reduced_limit("ex2_conv2d", "conv2d", 5000, 10.0) == 5.0
    assert memory.reduced_limit("ex2_conv2d", "conv2d", 10, 10.0) == 10.0  # smaller inputs: the full limit


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
    assert results["score"] == pytest.approx(max_score) and max_score < 9999  # shares of a test's points add up
    assert all(test["status"] == "passed" for test in results["tests"])


def test_syntax_error_in_one_module_leaves_every_other_exercise_graded(tmp_path: Path):
    """Full suite: every exercise with graders is present; the broken one scores 0, the exercises that
    import it (spec ``depends_on``) lose what needs it, every other one keeps full marks."""
    fixture = HOSTILE_DIR / "ex2_conv2d__syntax_error.py"
    submission = build_submission(tmp_path / "submission", {"ex2_conv2d": fixture.read_text()})
    report = grade_submission(submission, public_only=True)
    graded = {path.stem[len("test_"):] for path in paths.GRADERS_DIR.glob("test_*.py")} & set(spec.BY_MODULE)
    assert {e["module"] for e in report["exercises"]} == graded
    for module, (score, max_score) in scores_by_exercise(report).items():
        if module in spec.dependents("ex2_conv2d"):
            assert score < max_score, _tests(report, module)
        else:
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
    first, second = (grade_submission(submission, exercises=["ex1_output_size"]) for _ in range(2))
    assert 0 < first["score"] < first["max_score"]
    assert first["exercises"] == second["exercises"]


def test_overall_time_limit_reports_unfinished_tests_as_timeout(tmp_path: Path):
    """A submission that runs past the whole-run limit is cut off; every test is still in the report."""
    fixture = HOSTILE_DIR / "ex1_output_size__infinite_loop.py"
    submission = build_submission(tmp_path / "submission", {"ex1_output_size": fixture.read_text()})
    # Per-call limits stretched to 200 s, so that only the overall limit can stop the loop; 15 s
    # leaves a run (a fork of the warm grading server, or its cold start) time to collect when loaded.
    report = grade_submission(submission, exercises=["ex1_output_size"], extra_args=["--timeout-scale", "20"],
                              wall_limit=15)
    tests = _tests(report, "ex1_output_size")
    assert [t["name"] for t in tests] == grader_test_names("ex1_output_size")
    assert any("overall limit" in t["feedback"] for t in tests if t["status"] == "timeout")
    assert report["score"] == pytest.approx(sum(t["score"] for t in tests))


def test_a_submission_cannot_touch_another_runs_report(tmp_path: Path):
    """In a parallel batch, a hostile submission must not overwrite another submission's in-progress report."""
    from cnnkit.grading.runner import REPORTS_ROOT

    REPORTS_ROOT.mkdir(mode=0o700, exist_ok=True)
    other = REPORTS_ROOT / f"report-other-run-{tmp_path.name}"
    other.mkdir()
    try:
        (other / "report.json").write_text('{"submission": "another student"}')
        fixture = HOSTILE_DIR / "ex1_output_size__fake_report.py"
        submission = build_submission(tmp_path / "submission", {"ex1_output_size": fixture.read_text()})
        report = grade_submission(submission, exercises=["ex1_output_size"])
        assert (other / "report.json").read_text() == '{"submission": "another student"}'
        score, max_score = scores_by_exercise(report)["ex1_output_size"]
        assert score == max_score < 9999
    finally:
        for path in other.iterdir():
            path.unlink()
        other.rmdir()


# -- attacks that need a listener, a second student or an nbgrader course --------------------------------
def _needs_os_isolation() -> None:
    if not os_isolation_available():
        pytest.skip("needs OS isolation (Linux x86_64 with Landlock)")


def test_network_attacks_reach_no_listener(tmp_path: Path):
    """TCP connect (Python and raw libc) and UDP sendto to listeners on 127.0.0.1: nothing arrives."""
    _needs_os_isolation()
    tcp, udp = socket.socket(socket.AF_INET, socket.SOCK_STREAM), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with tcp, udp:
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(8)
        udp.bind(("127.0.0.1", 0))
        tcp.setblocking(False)
        udp.setblocking(False)
        for name, port in (("tcp_connect", tcp.getsockname()[1]), ("udp_sendto", udp.getsockname()[1])):
            fixture = HOSTILE_DIR / f"ex1_output_size__{name}.py"
            submission = build_submission(tmp_path / name, {"ex1_output_size": fixture.read_text()})
            report = grade_submission(submission, exercises=["ex1_output_size"], env={"CNNKIT_HOSTILE_PORT": str(port)})
            assert_strong(report)
            assert report["score"] == report["max_score"] > 0
        with pytest.raises(BlockingIOError):
            tcp.accept()
        with pytest.raises(BlockingIOError):
            udp.recvfrom(100)


def test_detached_process_cannot_rewrite_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """libc system() with a backgrounded shell: no marker appears and the report stays as written."""
    _needs_os_isolation()
    fixture = HOSTILE_DIR / "ex1_output_size__libc_system_detached.py"
    submission = build_submission(tmp_path / "submission", {"ex1_output_size": fixture.read_text()})
    output, marker = tmp_path / "results.json", tmp_path / "marker"
    monkeypatch.setenv("CNNKIT_HOSTILE_TARGET", str(output))
    monkeypatch.setenv("CNNKIT_HOSTILE_MARKER", str(marker))
    code = cnnkit_main(["grade", str(submission), "--format", "json", "--output", str(output),
                        "--exercise", "ex1_output_size", "--require-isolation", "strong"])
    assert code == 0
    written = output.read_text()
    time.sleep(4)  # the shell would have slept 2 s, then written: give it every chance
    assert not marker.exists()
    assert output.read_text() == written
    report = json.loads(written)
    assert report["score"] == 0 < report["max_score"]
    assert_strong(report)


def test_symlink_to_a_solution_is_refused(tmp_path: Path):
    """A submitted file that is a symbolic link to the reference is not followed: 0, with a clear message."""
    submission = build_submission(tmp_path / "submission", {})
    (submission / "ex2_conv2d.py").unlink()
    (submission / "ex2_conv2d.py").symlink_to(paths.SOLUTIONS_DIR / "ex2_conv2d.py")
    report = grade_submission(submission, exercises=["ex2_conv2d"], extra_args=FAST_CALLS)
    tests = _tests(report, "ex2_conv2d")
    assert report["score"] == 0 < report["max_score"]
    assert any("symbolic link" in test["feedback"] for test in tests), [t["feedback"][:200] for t in tests]


def test_a_student_cannot_rewrite_a_classmates_files_in_a_parallel_batch(tmp_path: Path, monkeypatch):
    """alice overwrites every ex1_output_size.py she can find; bob, graded alongside, keeps full marks."""
    _needs_os_isolation()
    fixture = HOSTILE_DIR / "ex1_output_size__rewrite_classmates.py"
    klass = tmp_path / "class"
    build_submission(klass / "alice", {"ex1_output_size": fixture.read_text()})
    for student in ("bob", "carol"):
        build_submission(klass / student, {})
    before = {p: p.read_bytes() for p in klass.glob("*/ex1_output_size.py")}
    monkeypatch.setenv("CNNKIT_HOSTILE_CLASS", str(klass))
    grades = tmp_path / "grades"
    code = cnnkit_main(["grade", str(klass), "--output", str(grades), "--jobs", "3", "--exercise", "ex1_output_size",
                        "--require-isolation", "strong"])
    assert code == 0
    assert {p: p.read_bytes() for p in klass.glob("*/ex1_output_size.py")} == before
    for student in ("alice", "bob", "carol"):
        report = json.loads((grades / f"{student}.json").read_text())
        assert report["score"] == report["max_score"] > 0, (student, report["score"])
        assert report["submission"] == str((klass / student).resolve())
        assert_strong(report)


def test_advisory_isolation_is_reported_and_can_be_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    """With the OS layers switched off, every report says "advisory", and --require-isolation refuses to grade."""
    from cnnkit.grading import reports

    report = grade_submission(paths.SOLUTIONS_DIR, exercises=["ex1_output_size"], env={"CNNKIT_ISOLATION": "advisory"})
    assert report["isolation"]["level"] == "advisory"
    assert not any(probe["blocked"] for probe in report["isolation"]["probes"].values() if os.name == "posix")
    assert "Isolation: advisory" in reports.to_text(report)
    gradescope = reports.to_gradescope(report)
    assert gradescope["extra_data"]["isolation"]["level"] == "advisory"
    assert "Isolation: advisory" in gradescope["output"]
    monkeypatch.setenv("CNNKIT_ISOLATION", "advisory")
    output = tmp_path / "results.json"
    code = cnnkit_main(["grade", str(paths.SOLUTIONS_DIR), "--exercise", "ex1_output_size", "--output", str(output),
                        "--require-isolation", "partial"])
    assert code == 3 and not output.exists()
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and "isolation advisory is below the required partial" in lines[0], lines
