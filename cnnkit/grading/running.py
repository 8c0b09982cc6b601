"""Running grader tests: one sandbox worker per exercise (the earlier exercises given as the reference where
the spec says so), the source check before an exercise's first test, and the unscored chain check after its
last (not ``cnnkit.grading.runner``, which runs pytest itself)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from cnnkit import paths, spec
from cnnkit.grading import chain, rules
from cnnkit.grading.scoring import TestResult
from cnnkit.sandbox import FlaggedCode, ForbiddenCall, Sandbox, SandboxConfig, StudentError
from cnnkit.sandbox.client import TimeoutMemory

#: ``1``: as ``--cnnkit-no-source-check``, for the kit's tests that grade through the ``cnnkit`` command.
NO_SOURCE_CHECK_ENV = "CNNKIT_NO_SOURCE_CHECK"


class Running:
    """The ``GradingSession``'s running hooks: the sandbox each exercise's tests call into."""

    config: pytest.Config
    results: dict[str, TestResult]
    sandboxes: dict[str, Sandbox]
    timeouts: TimeoutMemory
    elsewhere: set[str]
    started: set[str]
    chains: dict[str, dict[str, Any]]
    refusals: dict[str, StudentError | None]
    flags: dict[str, list[str]]
    submission_dir: Path

    def sandbox_for(self, module: str) -> Sandbox:
        if module not in self.sandboxes:
            denied = [paths.SOLUTIONS_DIR, paths.HIDDEN_GRADERS_DIR, paths.ROOT / "tests"]
            report = self.config.getoption("cnnkit_report")
            if report:
                denied.append(Path(report).resolve())
            denied += [Path(extra).resolve() for extra in self.config.getoption("cnnkit_deny")]
            config = SandboxConfig(
                submission_dir=self.submission_dir,
                denied_roots=[path for path in denied if path != self.submission_dir],
                timeout_scale=self.config.getoption("timeout_scale"),
                timeouts=self.timeouts,
            )
            self.sandboxes[module] = Sandbox(module, config, given=self.reference_dependencies(module))
        return self.sandboxes[module]

    def reference_dependencies(self, module: str) -> dict[str, str]:
        """The reference source of each exercise ``module`` builds on, when its spec grades it with them and
        they are all here (instructors); {} otherwise (students: their own modules run)."""
        exercise = spec.exercise(module)
        if exercise.builds_on != "reference" or not exercise.depends_on:
            return {}
        sources = {dependency: paths.SOLUTIONS_DIR / f"{dependency}.py" for dependency in exercise.depends_on}
        if not all(path.is_file() for path in sources.values()):
            return {}
        return {dependency: path.read_text() for dependency, path in sources.items()}

    def close_sandbox(self, module: str) -> None:
        sandbox = self.sandboxes.pop(module, None)
        if sandbox is not None:
            sandbox.close()

    def exercise_of_item(self, item: pytest.Item | None) -> str | None:
        """The exercise a grader test grades (None: not a grader test, or no next test)."""
        result = self.results.get(item.nodeid) if item is not None else None
        return result.exercise if result is not None else None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """One worker per exercise, never shared: close any other exercise's before this test runs."""
        current = self.exercise_of_item(item)
        for module in [m for m in self.sandboxes if m != current]:
            self.close_sandbox(module)
        if current is not None and current not in self.started:
            self.started.add(current)
            # Graded in curriculum order here; one built on an exercise another process grades waits for
            # it, so that a function that hung there is known here and not waited on again.
            self.timeouts.wait_for([m for m in spec.exercise(current).depends_on if m in self.elsewhere])
            self.refusals[current] = self.check_source(current)
        if current is not None and self.refusals.get(current) is not None:
            raise self.refusals[current].with_traceback(None)  # fails at set-up: none of the student's code runs

    def check_source(self, module: str) -> StudentError | None:
        """The source check of ``module`` (and the earlier exercises it imports) in the submission, once per
        exercise before its first test: the error each of its tests then fails with, or None."""
        if self.config.getoption("cnnkit_no_source_check") or os.environ.get(NO_SOURCE_CHECK_ENV) == "1":
            return None
        findings = rules.check_submission(self.submission_dir, module, given=self.reference_dependencies(module))
        status = rules.exercise_status(findings)
        if status is None:
            return None
        shown = [finding for finding in findings if finding.status == status]
        if status == "forbidden":
            return ForbiddenCall(f"{module}: your code uses what this exercise forbids:\n{rules.summary(shown)}",
                                 [finding.construct for finding in shown])
        self.flags[module] = [finding.describe() for finding in shown]
        return FlaggedCode(f"{module}: flagged for review: the source check found what the exercise rules do not allow "
                           f"(this exercise scores 0 while it is there):\n{rules.summary(shown)}", self.flags[module])

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        result = self.results.get(item.nodeid)
        if result is not None and "sub" in getattr(item, "fixturenames", ()):
            self.sandbox_for(result.exercise).begin_test(result.name)
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item, nextitem: pytest.Item | None):
        """An exercise's public and hidden tests run adjacently and share its worker; it stops after the last."""
        yield
        current = self.exercise_of_item(item)
        if current is not None and self.exercise_of_item(nextitem) != current:
            self.check_chain(current)
            self.close_sandbox(current)
            self.timeouts.finished(current)

    def check_chain(self, module: str) -> None:
        """Graded with the reference versions of its earlier modules: say, unscored, whether the exercise also
        works with the student's own (``cnnkit.grading.chain``)."""
        sandbox = self.sandboxes.get(module)
        if sandbox is None or not sandbox.given or not spec.exercise(module).chain_check:
            return
        line = chain.check_chain(module, sandbox, sandbox.given,
                                 lambda given: Sandbox(module, sandbox.config, given=given))
        if line is not None:
            self.chains[module] = line
