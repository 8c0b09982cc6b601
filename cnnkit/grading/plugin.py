"""The pytest side of grading: points, exercises, visibility, the ``sub`` fixture, reports.

``graders/conftest.py`` loads this plugin. Conventions, each declared once:

* a grader file ``graders/test_<module>.py`` (public) or ``graders/hidden/test_<module>.py``
  (hidden) grades exercise ``<module>``: the file's place gives exercise and visibility;
* every grader test carries ``@pytest.mark.points(n)``: ``n`` is the test's worth, shared equally
  by its parametrized cases (a test with 4 cases gives ``n/4`` per passing case);
* an exercise's tests add up to its ``points`` in ``cnnkit.spec`` (the kit's tests check it);
* ``sub`` is the student's module (a ``Submission`` proxy running in a sandbox worker);
  ``ref`` is the reference solution (hidden tests only: students do not have it).

``pytest graders [--submission DIR] [--public-only] [-m ex2_conv2d]`` prints a points table
at the end; ``--cnnkit-report FILE`` also writes it as JSON.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from cnnkit import paths, spec
from cnnkit.grading.feedback import describe_failure, status_of
from cnnkit.grading.runner import total
from cnnkit.grading.submission import Submission
from cnnkit.sandbox import Sandbox, SandboxConfig
from cnnkit.sandbox.client import TimeoutMemory, isolation_summary, start_fork_server

settings.register_profile(
    "grading",  # what students and the autograder run: same examples every run, no deadline
    derandomize=True,
    deadline=None,
    max_examples=25,
    database=None,
    print_blob=False,
    report_multiple_bugs=False,
    suppress_health_check=list(HealthCheck),
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),  # no "explain": it names grader lines
)
settings.register_profile(
    "thorough",  # for instructors checking the graders: many random examples
    parent=settings.get_profile("grading"),
    derandomize=False,
    max_examples=300,
)
settings.load_profile(os.environ.get("CNNKIT_HYPOTHESIS_PROFILE", "grading"))


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


#: The fields of a ``TestResult`` a report row holds (``exercise`` is the row's place).
REPORTED_FIELDS = tuple(name for name in TestResult.__dataclass_fields__ if name != "exercise")


def _message_only(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """A failure's text without its traceback (``Item.repr_failure`` for graded tests, students' view)."""
    return f"{excinfo.typename}: {excinfo.value}"


def exercise_of(path: Path) -> str | None:
    """``.../test_ex2_conv2d.py`` -> ``ex2_conv2d`` when that is a known exercise."""
    stem = path.stem
    module = stem[len("test_"):] if stem.startswith("test_") else stem
    return module if module in spec.BY_MODULE else None


def test_key(item: pytest.Item) -> tuple[str, str]:
    """The test function an item is a case of: its file and its name without the ``[case]`` id."""
    return str(item.path), getattr(item, "originalname", None) or item.name.split("[", 1)[0]


@dataclass(frozen=True)
class GraderFile:
    """What a grader file's place says: the exercise module it names and who has it."""

    module: str  # from the name: test_<module>.py
    visibility: str  # "public" (graders/) or "hidden" (graders/hidden/)


def grader_file(path: Path, graders_dirs: Iterable[Path]) -> GraderFile | None:
    """``<graders>/test_<m>.py`` -> (m, public), ``<graders>/hidden/test_<m>.py`` -> (m, hidden), else None.

    Only the layout below a graders folder counts, never the folders above it: a checkout
    under a folder named ``hidden`` still has public tests.
    """
    path = Path(path).resolve()
    if not (path.name.startswith("test_") and path.suffix == ".py"):
        return None
    for folder in graders_dirs:
        if path.parent == folder:
            return GraderFile(path.stem[len("test_"):], "public")
        if path.parent == folder / "hidden":
            return GraderFile(path.stem[len("test_"):], "hidden")
    return None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cnnkit", "CNN exercise kit grading")
    group.addoption("--submission", default=None, help="folder with the student's exercise modules (default: exercises/)")
    group.addoption("--cnnkit-report", default=None, help="write the points report as JSON to this file")
    group.addoption("--public-only", action="store_true", help="run only the public grader tests")
    group.addoption("--timeout-scale", type=float, default=1.0, help="multiply every time limit (slow machines)")
    group.addoption("--cnnkit-tracebacks", action="store_true",
                    help="show pytest's full tracebacks of failing grader tests (instructors), "
                    "not only the feedback students get (--tb=long does the same)")
    group.addoption("--cnnkit-deny", action="append", default=[], metavar="PATH",
                    help="another file or folder student code may not open (e.g. where reports are written)")
    group.addoption("--cnnkit-timeouts", default=None, metavar="FILE",
                    help="share the memory of timed-out functions through this file (the runner's, private): "
                    "with the other processes grading the same submission")
    group.addoption("--cnnkit-elsewhere", action="append", default=[], metavar="MODULE",
                    help="an exercise another process sharing --cnnkit-timeouts grades: exercises built on it "
                    "wait until it is finished there")


#: Threads of the trusted process's own torch (the oracle: torch and the reference on small inputs).
#: One: with more, OpenMP's idle threads cost milliseconds per tiny operation on a busy machine
#: (measured: 6 ms vs 0.2 ms for a pooling forward + backward with 2 threads on 2 loaded cores).
GRADER_THREADS_ENV = "CNNKIT_GRADER_THREADS"
FAST_EXIT_ENV = "CNNKIT_FAST_EXIT"


def pytest_configure(config: pytest.Config) -> None:
    import torch

    torch.set_num_threads(max(1, int(os.environ.get(GRADER_THREADS_ENV) or 1)))
    config.addinivalue_line("markers", "points(n): the points a grader test is worth")
    config.addinivalue_line("markers", "public: a grader test students have")
    config.addinivalue_line("markers", "hidden: a grader test only instructors have")
    for exercise in spec.EXERCISES:
        config.addinivalue_line("markers", f"{exercise.module}: grader tests of {exercise.title}")
    config.pluginmanager.register(GradingSession(config), "cnnkit-grading")


class GradingSession:
    """Collects one result per grader test and writes the points table / JSON report."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.results: dict[str, TestResult] = {}
        self.cases: dict[tuple[str, str], int] = {}  # (file, test function) -> parametrized cases collected
        self.docs: dict[str, str] = {}  # nodeid -> grader test docstring (collect-only runs)
        self.sandboxes: dict[str, Sandbox] = {}
        # One per submission (shared with its other processes): a hang costs its limit once, not once per test.
        self.timeouts = TimeoutMemory(config.getoption("cnnkit_timeouts"))
        self.elsewhere = set(config.getoption("cnnkit_elsewhere"))
        self.started: set[str] = set()  # exercises whose first test has begun here
        submission = config.getoption("submission") or os.environ.get("CNNKIT_SUBMISSION")
        self.submission_dir = Path(submission).resolve() if submission else paths.EXERCISES_DIR
        # Full pytest tracebacks (the graders' and the kit's source) only when an instructor asks:
        # --cnnkit-tracebacks, or an explicit --tb=... other than the default.
        self.tracebacks = bool(config.getoption("cnnkit_tracebacks")) or config.getoption("tbstyle", "auto") != "auto"

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Students: the points table ends the output (no "short test summary" repeating each failure)."""
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        asked = any(str(arg).startswith("-r") for arg in self.config.invocation_params.args)
        if terminal is not None and not self.tracebacks and not asked:
            terminal.reportchars = ""
        if not self.config.option.collectonly:
            start_fork_server()  # it imports torch while pytest collects the graders

    # -- collection ---------------------------------------------------------------------------
    def graders_dirs(self) -> list[Path]:
        """The graders folders: those whose ``conftest.py`` loads this plugin (a checkout's, a release's)."""
        return [
            Path(plugin.__file__).resolve().parent
            for plugin in self.config.pluginmanager.get_plugins()
            if getattr(plugin, "sub", None) is sub and Path(getattr(plugin, "__file__", "") or "").name == "conftest.py"
        ]

    def grader_of(self, path: Path) -> GraderFile | None:
        """The grader file at ``path`` (exercise and visibility) when it is one of a known exercise."""
        place = grader_file(Path(str(path)), self.graders_dirs())
        return place if place is not None and place.module in spec.BY_MODULE else None

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> None:
        """The spec is the curriculum: a grader file for an undeclared module would run and never be scored."""
        place = grader_file(file_path, self.graders_dirs())
        if place is not None and place.module not in spec.BY_MODULE:
            raise parent.CollectError(
                f"{file_path} grades exercise module {place.module!r}, which cnnkit/spec.py does not declare "
                f"(known modules: {', '.join(spec.BY_MODULE)}); add its entry to spec.EXERCISES or rename the file"
            )

    def pytest_itemcollected(self, item: pytest.Item) -> None:
        """Mark each grader test with its exercise and visibility before ``-m`` selection runs."""
        place = self.grader_of(item.path)
        if place is not None:
            key = test_key(item)
            self.cases[key] = self.cases.get(key, 0) + 1
            item.add_marker(place.module)
            item.add_marker(place.visibility)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        kept, dropped = [], []
        for item in items:
            place = self.grader_of(item.path)
            if place is None:
                kept.append(item)
                continue
            module, visibility = place.module, place.visibility
            marker = item.get_closest_marker("points")
            if marker is None or not marker.args:
                raise pytest.UsageError(f"grader test {item.nodeid} has no @pytest.mark.points(n)")
            if visibility == "hidden" and config.getoption("public_only"):
                dropped.append(item)
                continue
            kept.append(item)
            if not self.tracebacks and isinstance(item, pytest.Function):
                # pytest would render the full traceback of every failure (parsing the source of each
                # frame: half of a failing submission's grading time, measured), only for
                # pytest_runtest_makereport to replace it with the feedback: render the message alone.
                item.repr_failure = _message_only  # type: ignore[method-assign]
            share = float(marker.args[0]) / self.cases.get(test_key(item), 1)
            self.results[item.nodeid] = TestResult(
                name=item.name, exercise=module, visibility=visibility, max_score=share,
                test=test_key(item)[1], points=float(marker.args[0]),
            )  # fmt: skip
            if config.option.collectonly:  # the course builder's registry: what each check is about
                self.docs[item.nodeid] = (getattr(getattr(item, "function", None), "__doc__", "") or "").strip()
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        # Curriculum order (a stable sort keeps each grader file's tests together): an exercise is
        # graded before the exercises built on it, so a function that hangs times out first in its
        # own exercise and is not waited on again by the ones that run it (``TimeoutMemory``).
        order = {exercise.module: index for index, exercise in enumerate(spec.EXERCISES)}
        def curriculum_index(item: pytest.Item) -> tuple[int, bool]:  # public tests before hidden ones
            result = self.results.get(item.nodeid)
            if result is None:
                return len(order), False
            return order.get(result.exercise, len(order)), result.visibility == "hidden"

        items[:] = sorted(kept, key=curriculum_index)
        self.write_report()  # every test listed ("not run") before any runs: a killed run still lists them all

    # -- running ------------------------------------------------------------------------------
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
            self.sandboxes[module] = Sandbox(module, config)
        return self.sandboxes[module]

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
            self.close_sandbox(current)
            self.timeouts.finished(current)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        if nodeid in self.results:
            self.write_report()

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
                result.status = status_of(call.excinfo.value)
                result.score = 0.0
                result.feedback = describe_failure(call.excinfo.value, result.exercise)
                if result.status == "error" and result.exercise in self.sandboxes:
                    tail = self.sandboxes[result.exercise].output_tail(300).strip()
                    if tail:
                        result.feedback += f"\n  your code printed (last lines): {tail[-300:]}"
                dependencies = spec.exercise(result.exercise).depends_on
                if dependencies:
                    result.feedback += (
                        f"\n  note: {result.exercise} runs your {' and '.join(dependencies)}; "
                        "if those lose points, fix them first"
                    )
                if not self.tracebacks:
                    # What a student reads: the feedback block `cnnkit grade` prints, not the kit's source.
                    hidden = " (hidden)" if result.visibility == "hidden" else ""
                    report.longrepr = (f"[{result.status}] {result.name}{hidden}  "
                                       f"{result.score:g} / {result.max_score:g} points\n"
                                       + result.feedback)

    # -- reporting ------------------------------------------------------------------------------
    def apply_exercise_rules(self) -> None:
        """A forbidden call anywhere in an exercise zeroes the whole exercise.

        Its tests that passed say ``forbidden`` (a "passed" worth 0 points would contradict the
        score); tests that failed on their own keep the status and feedback of their failure.
        """
        forbidden = {r.exercise for r in self.results.values() if r.status == "forbidden"}
        for result in self.results.values():
            if result.exercise in forbidden and result.status == "passed":
                result.status, result.score = "forbidden", 0.0
                result.feedback = (result.feedback + "\n" if result.feedback else "") + (
                    "scored 0: this exercise called a forbidden API in another test "
                    f"({spec.exercise(result.exercise).forbidden_why})"
                )

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
                    "tests": tests,
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

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        for module in list(self.sandboxes):
            self.close_sandbox(module)
        for module in sorted({result.exercise for result in self.results.values()}):
            self.timeouts.finished(module)  # also those whose tests never ran (a fixture failed, -x)
        self.write_report(complete=True)
        self.session = session

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """A grading run that writes its report (``--cnnkit-report``: the runner's) exits here, skipping
        the interpreter's teardown of torch and its modules (1-2 s per run, measured; a batch pays it per
        submission). Everything is written by now: the report, the terminal summary, the workers stopped.
        ``CNNKIT_FAST_EXIT=0`` keeps the ordinary exit."""
        session = getattr(self, "session", None)
        if (session is None or not config.getoption("cnnkit_report") or os.environ.get(FAST_EXIT_ENV) == "0"
                or hasattr(config, "workerinput")):  # fmt: skip
            return
        capture = config.pluginmanager.get_plugin("capturemanager")
        if capture is not None:
            capture.stop_global_capturing()  # what was captured outside tests goes out first
        config.get_terminal_writer().flush()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(session.exitstatus))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.results:
            return
        report = self.report()
        write = terminalreporter.write_line
        terminalreporter.section("cnnkit points")
        write(f"submission: {report['submission']}")
        for exercise in report["exercises"]:
            passed = sum(t["status"] == "passed" for t in exercise["tests"])
            write(
                f"  {exercise['module']:<18} {passed:>3}/{len(exercise['tests']):<3} tests  "
                f"{exercise['score']:>5g} / {exercise['max_score']:<5g} points"
            )
        write(f"  {'TOTAL':<18} {'':>11} {report['score']:>5g} / {report['max_score']:<5g} points")


def _session(request: pytest.FixtureRequest) -> GradingSession:
    return request.config.pluginmanager.get_plugin("cnnkit-grading")


@pytest.fixture(scope="module")
def sub(request: pytest.FixtureRequest):
    """The student's module for this grader file's exercise, running in a sandbox worker."""
    module = exercise_of(Path(str(request.path)))
    if module is None:
        raise pytest.UsageError(f"{request.path} is not named test_<exercise module>.py")
    session = _session(request)
    # The exercise's sandbox, looked up at each call: the session keeps one per exercise (public
    # and hidden tests share it) and stops it when the next test grades another exercise.
    return Submission(module, lambda: session.sandbox_for(module))


@pytest.fixture(scope="module")
def ref(request: pytest.FixtureRequest):
    """The reference solution of this grader file's exercise (trusted, runs in-process)."""
    module = exercise_of(Path(str(request.path)))
    return load_reference(module)


def load_reference(module: str) -> Any:
    """Import ``solutions/<module>.py`` under a private name (its siblings importable too)."""
    name = f"cnnkit_reference_{module}"
    if name in sys.modules:
        return sys.modules[name]
    path = paths.SOLUTIONS_DIR / f"{module}.py"
    if not path.exists():
        pytest.skip(f"the reference solutions are not here ({paths.SOLUTIONS_DIR})")
    sys.path.insert(0, str(paths.SOLUTIONS_DIR))
    try:
        loaded_spec = importlib.util.spec_from_file_location(name, path)
        loaded = importlib.util.module_from_spec(loaded_spec)
        sys.modules[name] = loaded
        loaded_spec.loader.exec_module(loaded)
    finally:
        sys.path.remove(str(paths.SOLUTIONS_DIR))
    return loaded
