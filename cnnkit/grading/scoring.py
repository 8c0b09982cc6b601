"""Scoring grader tests: one ``TestResult`` per test case, filled from pytest's reports (a failure explained
for students), and the exercise rules that zero a whole exercise (flagged or forbidden code)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from cnnkit import spec
from cnnkit.grading.feedback import explain
from cnnkit.sandbox import FlaggedCode, Sandbox


@dataclass
class TestResult:
    name: str
    exercise: str
    visibility: str  # "public" or "hidden"
    max_score: float
    test: str = ""  # the grader test function this is a case of
    points: float = 0.0  # that function's worth, shared by its cases
    score: float = 0.0
    status: str = "not run"
    feedback: str = ""
    check: str = ""  # the check that failed ("shape", "values", "timeout", ...): ``cnnkit.grading.feedback``
    mistake: str = ""  # the known mistake it recognised, if any
    where: str = ""  # the student's file:line their error points at, if their code raised
    group: str = ""  # failures with the same group are one mistake, shown once


class Scoring:
    """The ``GradingSession``'s scoring: pytest's report of each test case becomes its ``TestResult``."""

    config: pytest.Config
    results: dict[str, TestResult]
    sandboxes: dict[str, Sandbox]
    flags: dict[str, list[str]]
    tracebacks: bool

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        result = self.results.get(item.nodeid)
        if result is None:
            return
        if call.when == "call" or (call.when == "setup" and report.failed) or (report.skipped and call.when == "setup"):
            if report.passed:
                result.status, result.score, result.feedback = "passed", result.max_score, ""
            elif report.skipped:
                result.status, result.score = "skipped", 0.0
                result.feedback = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else "skipped"
            elif call.excinfo is not None:
                self.record_failure(result, call.excinfo.value)
                self.note_flags(result, call.excinfo.value)
                if not self.tracebacks:
                    report.longrepr = result.feedback  # the kit's source is not the student's business

    def record_failure(self, result: TestResult, exc: BaseException) -> None:
        """The explained failure (``feedback.explain``), what the student's code printed, and a note on the
        exercises it builds on when the error points into one of their files."""
        failure = explain(exc, result.exercise, self.config.getoption("cnnkit_hints"))
        result.status, result.score, result.feedback = failure.status, 0.0, failure.feedback
        result.check, result.mistake, result.where, result.group = (failure.check, failure.mistake, failure.where,
                                                                     failure.group)
        if result.status == "error" and result.exercise in self.sandboxes:
            tail = self.sandboxes[result.exercise].output_tail(300).strip()
            if tail:
                result.feedback += f"\n  your code printed (last lines): {tail[-300:]}"
        culprit = result.where.split(".py:", 1)[0] if result.where else ""
        if culprit in spec.exercise(result.exercise).depends_on:
            result.feedback += (f"\n  note: the error is in your {culprit}.py, which {result.exercise} runs: "
                                f"fix it there (pytest graders -m {culprit})")

    def note_flags(self, result: TestResult, exc: BaseException) -> None:
        """What the run-time detector flagged in a test, kept for the exercise's report (the first test's)."""
        leaf = exc
        while isinstance(leaf, BaseExceptionGroup) and leaf.exceptions:
            leaf = leaf.exceptions[0]
        if isinstance(leaf, FlaggedCode) and result.exercise not in self.flags:
            self.flags[result.exercise] = [f"while your code ran ({result.name}): {finding}"
                                           for finding in leaf.findings]

    def apply_exercise_rules(self) -> None:
        """A flagged construct or a forbidden call anywhere in an exercise zeroes the whole exercise.

        Flagged (up for review) comes first: every test of the exercise says so, with what was found.
        Forbidden: its tests that passed say ``forbidden`` (a "passed" worth 0 points would contradict
        the score); tests that failed on their own keep the status and feedback of their failure.
        """
        flagged = {r.exercise for r in self.results.values() if r.status == "flagged"}
        forbidden = {r.exercise for r in self.results.values() if r.status == "forbidden"} - flagged
        for result in self.results.values():
            if result.exercise in flagged and result.status not in ("flagged", "not run"):
                found = "; ".join(self.flags.get(result.exercise, ["(see the exercise's other tests)"]))
                result.feedback = f"flagged for review (found in another test of this exercise): {found}" + (
                    f"\n{result.feedback}" if result.feedback else "")
                result.status, result.score = "flagged", 0.0
            elif result.exercise in forbidden and result.status == "passed":
                result.status, result.score = "forbidden", 0.0
                result.feedback = (result.feedback + "\n" if result.feedback else "") + (
                    "scored 0: this exercise called a forbidden API in another test "
                    f"({spec.exercise(result.exercise).forbidden_why})"
                )
