"""Reporting grades: the JSON report (rewritten after every test, complete at the end), the header naming
the folder graded, and the points table that ends the terminal output."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from cnnkit import spec
from cnnkit.grading import reports
from cnnkit.grading.runner import total
from cnnkit.grading.scoring import TestResult
from cnnkit.sandbox.client import isolation_summary

#: The fields of a ``TestResult`` a report row holds (``exercise`` is the row's place).
REPORTED_FIELDS = tuple(name for name in TestResult.__dataclass_fields__ if name != "exercise")


class Reporting:
    """The ``GradingSession``'s reports: JSON (``--cnnkit-report``) and the terminal's points table."""

    config: pytest.Config
    results: dict[str, TestResult]
    docs: dict[str, str]
    chains: dict[str, dict[str, Any]]
    flags: dict[str, list[str]]
    submission_dir: Path
    tracebacks: bool

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        if nodeid in self.results:
            self.write_report()

    def report(self) -> dict[str, Any]:
        self.apply_exercise_rules()
        by_exercise: dict[str, list[dict[str, Any]]] = {}
        # public tests first, however the files were collected
        for nodeid, result in sorted(self.results.items(), key=lambda item: item[1].visibility == "hidden"):
            row = {name: getattr(result, name) for name in REPORTED_FIELDS}  # not asdict: it is rebuilt per test
            if nodeid in self.docs:
                row["doc"] = self.docs[nodeid]
            by_exercise.setdefault(result.exercise, []).append(row)
        exercises = []
        for exercise in spec.EXERCISES:
            tests = by_exercise.get(exercise.module)
            if not tests:
                continue
            exercises.append(
                {
                    "name": exercise.title,
                    "module": exercise.module,
                    "score": total(t["score"] for t in tests),
                    "max_score": total(t["max_score"] for t in tests),
                    "flags": self.flags.get(exercise.module, []),  # what put it up for review, where
                    "tests": tests,
                    **({"chain": self.chains[exercise.module]} if exercise.module in self.chains else {}),
                }
            )
        return {
            "score": total(e["score"] for e in exercises),
            "max_score": total(e["max_score"] for e in exercises),
            "submission": str(self.submission_dir),
            "exercises": exercises,
            "isolation": isolation_summary(),  # the weakest OS confinement any worker reached
        }

    def write_report(self, complete: bool = False) -> None:
        """Write the JSON report (if asked for) atomically; ``complete`` is False while tests still run."""
        path = self.config.getoption("cnnkit_report")
        if not path or not self.results:
            return
        report = {**self.report(), "complete": complete}
        partial = Path(f"{path}.partial")
        # Rewritten after every test (a killed run still reports what finished): compact until the last.
        partial.write_text(json.dumps(report, indent=2 if complete else None))
        os.replace(partial, path)

    def pytest_report_header(self, config: pytest.Config) -> str:
        """The first thing a student reads: which folder is graded (their work, not an installed copy)."""
        which = "public checks" if config.getoption("public_only") else "all checks here"
        return f"cnnkit: grading {self.submission_dir} ({which})"

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_terminal_summary(self, terminalreporter: Any):  # noqa: ANN201 - a hook wrapper
        """Students read each distinct failure once, in the points table (``print_points``), not one pytest
        section per failing case: graded failures are held back from pytest's own list while it prints
        (collection errors and failures of other tests still show; the final tally still counts them)."""
        failed = terminalreporter.stats.get("failed", [])
        graded = [report for report in failed if report.nodeid in self.results] if not self.tracebacks else []
        terminalreporter.stats["failed"] = [report for report in failed if report not in graded]
        try:
            return (yield)
        finally:
            terminalreporter.stats["failed"] = failed
            self.print_points(terminalreporter)

    def print_points(self, terminalreporter: Any) -> None:
        """The report ``cnnkit grade`` prints: each exercise's points, each distinct failure once, the total."""
        if not self.results:
            return
        terminalreporter.section("cnnkit points")
        for line in reports.to_text(self.report()).rstrip("\n").splitlines():
            terminalreporter.write_line(line)
