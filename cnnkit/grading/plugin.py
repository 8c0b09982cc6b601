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

This module keeps the pytest hooks (``pytest_addoption``, ``pytest_configure``) and the session's
state, start and end; the session's parts are ``cnnkit.grading.collection``, ``.running``,
``.scoring`` and ``.reporting``, and the fixtures ``cnnkit.grading.fixtures`` (all importable from here).
"""

from __future__ import annotations

import atexit
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from cnnkit import paths, spec
from cnnkit.grading import hints
from cnnkit.grading.collection import Collection, GraderFile, grader_file, test_key
from cnnkit.grading.fixtures import exercise_of, load_reference, ref, sub
from cnnkit.grading.reporting import REPORTED_FIELDS, Reporting
from cnnkit.grading.running import NO_SOURCE_CHECK_ENV, Running
from cnnkit.grading.scoring import Scoring, TestResult
from cnnkit.sandbox import Sandbox, StudentError
from cnnkit.sandbox.client import TimeoutMemory, start_fork_server

#: What other modules import from here (graders' conftest.py: the hooks and fixtures; the kit's tests).
__all__ = [
    "FAST_EXIT_ENV", "GRADER_THREADS_ENV", "NO_SOURCE_CHECK_ENV", "REPORTED_FIELDS", "GraderFile", "GradingSession",
    "TestResult", "exercise_of", "grader_file", "load_reference", "pytest_addoption", "pytest_configure", "ref",
    "sub", "test_key",
]  # fmt: skip

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


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    from cnnkit.grading import ini  # options with ini counterparts have no default here: it fills them in

    ini.add_ini_options(parser, pluginmanager)
    group = parser.getgroup("cnnkit", "CNN exercise kit grading")
    group.addoption("--submission", default=None, help="folder with the student's exercise modules (default: exercises/)")
    group.addoption("--cnnkit-report", default=None, help="write the points report as JSON to this file")
    group.addoption("--public-only", action="store_true", help="run only the public grader tests")
    group.addoption("--timeout-scale", type=float, default=None, help="multiply every time limit (slow machines)")
    group.addoption("--cnnkit-hints", choices=hints.LEVELS, default=None,
                    help="how much the feedback's hints say: none, concept (what is wrong, which idea to "
                    "revisit; the default) or method (also the technique)")
    group.addoption("--cnnkit-tracebacks", action="store_true", default=None,
                    help="show pytest's full tracebacks of failing grader tests (instructors), "
                    "not only the feedback students get (--tb=long does the same)")
    group.addoption("--cnnkit-deny", action="append", default=[], metavar="PATH",
                    help="another file or folder student code may not open (e.g. where reports are written)")
    group.addoption("--cnnkit-timeouts", default=None, metavar="FILE",
                    help="share the memory of timed-out functions through this file (the runner's, private): "
                    "with the other processes grading the same submission")
    group.addoption("--cnnkit-no-source-check", action="store_true",
                    help="run the submission without checking its source first (the kit's tests of the layers "
                    "below the source check: the run-time detector and the OS confinement)")
    group.addoption("--cnnkit-elsewhere", action="append", default=[], metavar="MODULE",
                    help="an exercise another process sharing --cnnkit-timeouts grades: exercises built on it "
                    "wait until it is finished there")


#: Threads of the trusted process's own torch (the oracle: torch and the reference on small inputs).
#: One: with more, OpenMP's idle threads cost milliseconds per tiny operation on a busy machine
#: (measured: 6 ms vs 0.2 ms for a pooling forward + backward with 2 threads on 2 loaded cores).
GRADER_THREADS_ENV = "CNNKIT_GRADER_THREADS"

#: ``0``: a grading run that writes its report ends with the ordinary exit, not ``fast_exit``.
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


class GradingSession(Collection, Running, Scoring, Reporting):
    """Collects one result per grader test and writes the points table / JSON report.

    One pytest plugin, read in parts: ``Collection`` (``cnnkit.grading.collection``), ``Running``
    (``cnnkit.grading.running``), ``Scoring`` (``cnnkit.grading.scoring``), ``Reporting``
    (``cnnkit.grading.reporting``); here, the state they share and the session's start and end.
    """

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
        self.chains: dict[str, dict[str, Any]] = {}  # exercise -> its unscored chain line (``check_chain``)
        # Exercise -> why its tests are refused before they run (the source check's findings), or None.
        self.refusals: dict[str, StudentError | None] = {}
        self.flags: dict[str, list[str]] = {}  # exercise -> what put it up for review (the report's "flags")
        submission = config.getoption("submission") or os.environ.get("CNNKIT_SUBMISSION")
        self.submission_dir = Path(submission).resolve() if submission else self.default_submission()
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

    def default_submission(self) -> Path:
        """The ``exercises/`` beside the graders being run (``pytest graders`` in a copy of the release grades
        that copy's work, whichever copy is installed), else the kit root's."""
        for folder in self.graders_dirs():
            if paths.is_kit_folder(folder.parent):
                return folder.parent / "exercises"
        return paths.EXERCISES_DIR

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        for module in list(self.sandboxes):
            self.close_sandbox(module)
        for module in sorted({result.exercise for result in self.results.values()}):
            self.timeouts.finished(module)  # also those whose tests never ran (a fixture failed, -x)
        self.write_report(complete=True)
        self.session = session

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """A grading run that writes its report (``--cnnkit-report``: the runner's) and is the process's program
        ends with ``fast_exit``, once pytest has finished (every plugin's ``pytest_unconfigure`` and cleanup).
        ``CNNKIT_FAST_EXIT=0`` keeps the ordinary exit."""
        session = getattr(self, "session", None)
        if (session is None or not config.getoption("cnnkit_report") or os.environ.get(FAST_EXIT_ENV) == "0"
                or hasattr(config, "workerinput") or not pytest_is_the_program(config)):  # fmt: skip
            return
        exit_fast_after_pytest(int(session.exitstatus))


def pytest_is_the_program(config: pytest.Config) -> bool:
    """Whether this pytest run is the process's program (``pytest ...``, ``python -m pytest ...``): not a
    ``pytest.main(...)`` that other code called (an outer test run, the grading server) and goes on after."""
    return list(config.invocation_params.args) == sys.argv[1:]


def exit_fast_after_pytest(status: int) -> None:
    """Have ``fast_exit(status)`` end the process once pytest has returned, unless it ends in an uncaught
    exception (a later ``pytest_unconfigure`` or cleanup that raised: the ordinary exit then keeps its status)."""
    uncaught: list[BaseException] = []
    previous = sys.excepthook

    def excepthook(kind: type[BaseException], value: BaseException, traceback: Any) -> None:
        uncaught.append(value)
        previous(kind, value, traceback)

    sys.excepthook = excepthook
    atexit.register(fast_exit, status, uncaught)


def fast_exit(status: int, uncaught: list[BaseException] | None = None) -> None:
    """End the process with pytest's exit status, skipping the interpreter's teardown of torch and its modules.

    Registered with ``atexit`` from the last ``pytest_unconfigure``, it is the first exit handler to run:
    after pytest has returned, so every plugin's ``pytest_unconfigure`` and ``config.add_cleanup`` has run
    (an ``os._exit`` inside the hook, as before, cut off the other plugins' trylast hooks and every cleanup).
    What it still skips are exit handlers registered earlier (``atexit``; logging's is done here). After an
    uncaught exception (``uncaught``) it does nothing: the ordinary exit keeps the traceback's status.

    Measured (``python -m pytest graders -m ex1_output_size -q --cnnkit-report R`` on the stubs, 2 shared cores,
    load ~2.4, 3 runs alternating, medians): 4.32 s with it, 5.02 s with ``CNNKIT_FAST_EXIT=0`` (ratio 0.86);
    from the complete report to the process's end 0.20 s vs 0.73 s. The ``os._exit`` inside the hook it
    replaces: 4.54 s, 0.12 s (the other plugins' unconfigure and cleanups, which it skipped, cost ~0.1 s).
    """
    if uncaught:
        return
    logging = sys.modules.get("logging")
    if logging is not None:
        logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
