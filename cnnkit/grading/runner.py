"""Run the grader suite on a submission folder, in a fresh pytest process, and return its report.

The report is the JSON the kit's pytest plugin writes (see ``cnnkit.grading.plugin``):
``{"score", "max_score", "submission", "exercises": [{"name", "module", "score", "max_score",
"tests": [{"name", "score", "max_score", "status", "feedback", "visibility"}]}]}``.

The plugin rewrites the report after collection (every test "not run") and after each test, so
when a submission runs past its overall wall-clock limit the pytest process group is killed and
the tests that never finished are reported as "timeout": the report always lists every test.
"""

from __future__ import annotations

import json
import math
import os
import stat
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from cnnkit import paths, spec
from cnnkit.errors import FAULT, CommandError
from cnnkit.grading import server
from cnnkit.grading.scratch import scratch_folder
from cnnkit.sandbox.confine import LEVELS, REQUIRE_ENV
from cnnkit.sandbox.timeouts import TimeoutMemory

#: pytest exit codes that mean "grading completed" (0: all passed, 1: some tests failed).
COMPLETED_EXIT_CODES = (0, 1)


#: Every grading run keeps its report in a private folder under this one (its scratch folder,
#: which also holds the run's temporary files, the workers' folders among them), and every sandbox
#: is denied the whole of it but its own folders: student code in one submission of a parallel
#: batch can neither read nor overwrite the in-progress report of another. One per user (its
#: effective uid in the name): in the shared temp folder another user could otherwise create it
#: first, or plant a link there. ``reports_root`` makes it, or refuses one that is not safely ours.
REPORTS_ROOT = Path(tempfile.gettempdir()) / f"cnnkit-reports-{os.geteuid()}"
#: Searchable but not listable by others: workers running under ids of their own (the grader is
#: root: ``cnnkit.sandbox.confine.worker_uid``) pass through to their folders, whose names are random.
_PASS_THROUGH = 0o711


#: Isolation levels (see ``cnnkit.sandbox.confine``), weakest first.
ISOLATION_LEVELS = LEVELS


class GraderFault(RuntimeError):
    """The grader itself failed (no report, a collection error, a crash of pytest): not the student's fault."""


class IsolationTooWeak(GraderFault):
    """The workers could not be confined as strongly as required: no grade is given."""


def _not_dumpable() -> None:
    """``PR_SET_DUMPABLE 0`` on this trusted process (Linux): no worker may read its memory or environ.

    Inline rather than through ``cnnkit.sandbox.confine``, whose package imports torch.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
        except (OSError, AttributeError):
            pass


def snapshot_submission(submission: Path, target: Path) -> Path:
    """Copy the submission's top-level ``*.py`` files into ``target`` (private to the grader) before any code runs.

    Regular files are copied; a symbolic link is copied as a link, which the sandbox then refuses
    with a message (it is never followed, so it cannot smuggle in another file).
    """
    target.mkdir(mode=0o700)
    for path in sorted(Path(submission).glob("*.py")):
        if path.is_symlink():
            os.symlink(os.readlink(path), target / path.name)
        elif path.is_file():
            (target / path.name).write_bytes(path.read_bytes())
    return target


def required_isolation(explicit: str = "") -> str:
    """The stronger of ``explicit`` (``--require-isolation``) and ``CNNKIT_REQUIRE_ISOLATION``: either
    one fails closed the same way. ``IsolationTooWeak`` for a value of the variable that is no level."""
    from_env = os.environ.get(REQUIRE_ENV, "").strip()
    if from_env and from_env not in ISOLATION_LEVELS:
        raise IsolationTooWeak(f"{REQUIRE_ENV}={from_env!r} is not an isolation level ({', '.join(ISOLATION_LEVELS)}); "
                          "no grade given")
    return max((explicit, from_env), key=lambda level: ISOLATION_LEVELS.index(level) if level else -1)


def reports_mode() -> int:
    """The mode of ``REPORTS_ROOT``: 0o711 (``_PASS_THROUGH``) where the grader is root, as its workers run
    under uids of their own and must pass through it to their folders; else 0o700, as the workers keep the
    grader's uid (a user namespace mapping it to itself) and no other user needs to pass at all."""
    return _PASS_THROUGH if os.geteuid() == 0 else 0o700


def reports_root(root: Path | None = None) -> Path:
    """``REPORTS_ROOT`` (or ``root``), made if needed (mode 0o700, then ``reports_mode``).

    An existing one is used only when it is safely this user's: a folder, not a symbolic link, owned by
    the effective uid and writable by no group or other user; else ``CommandError`` (exit ``FAULT``, no
    grade given), as another user could read or replace the reports in it. It is opened without
    following links and checked and chmodded through that descriptor, so it cannot be swapped between.
    """
    folder = REPORTS_ROOT if root is None else root
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as error:
        raise _unsafe(folder, _unsafe_why(folder, error)) from None
    try:
        _check_private(descriptor, folder)
        os.fchmod(descriptor, reports_mode())
    finally:
        os.close(descriptor)
    return folder


def _unsafe_why(folder: Path, error: OSError) -> str:
    """Why ``folder`` could not be opened as a folder (a link, not a folder, or the system's reason)."""
    if folder.is_symlink():
        return "it is a symbolic link"
    if folder.exists() and not folder.is_dir():
        return "it is not a folder"
    return error.strerror or str(error)


def _check_private(descriptor: int, folder: Path) -> None:
    """``CommandError`` unless the open folder is owned by the effective uid and no group or other may write it."""
    status = os.fstat(descriptor)
    problem = ""
    if status.st_uid != os.geteuid():
        problem = f"it belongs to uid {status.st_uid}, not to uid {os.geteuid()}"
    elif status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        problem = f"others may write to it (mode {stat.S_IMODE(status.st_mode):o})"
    if problem:
        raise _unsafe(folder, problem)


def _unsafe(folder: Path, why: str) -> CommandError:
    """The one error line for a reports folder that is not safely this user's."""
    return CommandError(f"unsafe reports folder {folder}: {why}; no grade given "
                        "(remove it, or set TMPDIR to a folder of your own)", FAULT)


def run_folder(scratch: Path, name: str) -> Path:
    """A run's temp folder in its scratch folder (``TMPDIR`` of that run: the workers' folders go there)."""
    scratch.chmod(_PASS_THROUGH)
    folder = scratch / name
    folder.mkdir(mode=_PASS_THROUGH)
    folder.chmod(_PASS_THROUGH)  # whatever the umask
    return folder


def check_isolation(report: dict[str, Any], required: str) -> None:
    """Raise ``IsolationTooWeak`` when the report's isolation level is below ``required`` ("": no requirement)."""
    if not required:
        return
    isolation = report.get("isolation") or {}
    tests = [test for exercise in report.get("exercises", []) for test in exercise["tests"]]
    if not isolation and tests and all(test["status"] in ("flagged", "forbidden") for test in tests):
        return  # the source check refused every exercise before any of its code ran: nothing was there to confine
    level = isolation.get("level", "not measured (no worker ran)")
    if level not in ISOLATION_LEVELS or ISOLATION_LEVELS.index(level) < ISOLATION_LEVELS.index(required):
        missing = "; ".join(isolation.get("missing") or []) or "see the report's isolation section"
        raise IsolationTooWeak(f"isolation {level} is below the required {required} ({missing}); no grade given")


def grader_files(module: str, graders_dir: Path = paths.GRADERS_DIR, public_only: bool = False) -> list[Path]:
    """``module``'s public grader file and (where present, unless ``public_only``) its hidden one."""
    files = [graders_dir / f"test_{module}.py"]
    if not public_only:
        files.append(graders_dir / "hidden" / f"test_{module}.py")
    return [path for path in files if path.exists()]


def pytest_command(
    submission: Path | None,
    report: Path,
    *,
    graders_dir: Path = paths.GRADERS_DIR,
    public_only: bool = False,
    exercises: Iterable[str] | None = None,
    extra_args: Sequence[str] = (),
) -> list[str]:
    """The ``python -m pytest graders ...`` command line that grades ``submission``.

    With ``exercises``, only those exercises' grader files are collected (the others are
    never imported). ``submission`` None: collect only, grade nothing.
    """
    selected = list(exercises or [])
    targets = [path for module in selected for path in grader_files(module, graders_dir, public_only)]
    command = [
        sys.executable, "-m", "pytest", *map(str, targets or [graders_dir]),
        "--cnnkit-report", str(report),
        "-q", "--no-header", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning",
        "--rootdir", str(graders_dir.parent),
    ]  # fmt: skip
    command += ["--collect-only"] if submission is None else ["--submission", str(submission)]
    if public_only:
        command.append("--public-only")
    if selected:
        command += ["-m", " or ".join(selected)]
    return command + list(extra_args)


def run_pytest(command: list[str], log_path: Path, *, cwd: Path, env: dict[str, str] | None,
               wall_limit: float | None, tmp: Path | None = None) -> int | None:
    """Run a pytest command (``pytest_command``) in its own process group and cgroup, output to
    ``log_path``, its temporary files in ``tmp``; its exit code, or None when it ran past ``wall_limit``
    (then all of it, fork server and workers included, is killed). The process is a fork of this
    process's warm grading server (``cnnkit.grading.server``): Python, pytest, Hypothesis and torch are
    imported once, not per run."""
    try:
        return server.run_pytest(command, log_path, cwd=cwd, env=_environment(env), wall_limit=wall_limit, tmp=tmp)
    except server.ServerDied as died:
        raise GraderFault(f"{died} (out of memory?); no grade given") from None


def total(points: Iterable[float]) -> float:
    """A sum of points as reports give it: exact to 1e-9 whatever the order (shares such as 2/3 add up
    to 10.000000000000002 in one order and 10.0 in another)."""
    return round(math.fsum(points), 9)


def _environment(extra: dict[str, str] | None) -> dict[str, str]:
    """A grading run's environment: this process's, with ``extra``."""
    # Bytecode caching stays on for the graders (pytest caches their assertion-rewritten code):
    # where PYTHONDONTWRITEBYTECODE is set, every run would recompile them (~1.3 s of CPU each).
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {**environment, **(extra or {})}


def _run_variables(env: dict[str, str] | None, root: Path, require_isolation: str) -> dict[str, str]:
    """What ``grade_submission`` adds to a run's environment."""
    extra = {**(env or {}), "CNNKIT_ROOT": str(root)}
    if require_isolation:
        extra["CNNKIT_REQUIRE_ISOLATION"] = require_isolation
    return extra


def mark_unfinished(report: dict[str, Any], status: str, feedback: str) -> None:
    """Give every test still "not run" the ``status`` and ``feedback`` (score 0)."""
    for exercise in report["exercises"]:
        for test in exercise["tests"]:
            if test["status"] == "not run":
                test.update(status=status, score=0.0, feedback=feedback)
        exercise["score"] = total(test["score"] for test in exercise["tests"])
    report["score"] = total(exercise["score"] for exercise in report["exercises"])


def plan_shards(modules: Sequence[str], shards: int) -> list[list[str]]:
    """``modules`` split into at most ``shards`` groups of about equal grading time (spec
    ``grading_seconds``), each in curriculum order; empty groups are dropped.

    An exercise built on others (``depends_on``) takes those not placed yet into its group, so it
    rarely waits for another process to finish them; then the costliest unit goes to the group with
    the least so far.
    """
    seconds = {module: spec.exercise(module).grading_seconds for module in modules}
    units: list[list[str]] = []
    placed: set[str] = set()
    for module in sorted(modules, key=lambda m: -seconds[m]):
        if module not in placed:
            unit = [module, *(d for d in spec.exercise(module).depends_on if d in seconds and d not in placed)]
            placed.update(unit)
            units.append(unit)
    groups: list[list[str]] = [[] for _ in range(max(1, shards))]
    loads = [0.0] * len(groups)
    for unit in sorted(units, key=lambda u: -sum(seconds[m] for m in u)):
        lightest = loads.index(min(loads))
        groups[lightest] += unit
        loads[lightest] += sum(seconds[m] for m in unit)
    order = {exercise.module: index for index, exercise in enumerate(spec.EXERCISES)}
    return [sorted(group, key=order.__getitem__) for group in groups if group]


def default_shards() -> int:
    """Processes to grade one submission with: one per core this process may use (at most 4)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def merge_reports(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One report from the reports of a submission's shards: exercises in curriculum order, scores
    added up, the weakest isolation any worker reached."""
    order = {exercise.module: index for index, exercise in enumerate(spec.EXERCISES)}
    exercises = sorted((e for r in reports for e in r["exercises"]), key=lambda e: order.get(e["module"], len(order)))
    isolations = [r["isolation"] for r in reports if r.get("isolation")]
    isolation = None
    if isolations:
        weakest = min(isolations, key=lambda i: ISOLATION_LEVELS.index(i["level"]) if i["level"] in ISOLATION_LEVELS else -1)
        isolation = {**weakest, "workers": sum(i.get("workers", 0) for i in isolations)}
    return {**reports[0], "exercises": exercises, "isolation": isolation,
            "score": total(e["score"] for e in exercises), "max_score": total(e["max_score"] for e in exercises)}


def grade_submission(
    submission: Path | str,
    *,
    public_only: bool = False,
    exercises: Iterable[str] | None = None,
    extra_args: Sequence[str] = (),
    wall_limit: float | None = None,
    deny: Sequence[Path] = (),
    env: dict[str, str] | None = None,
    require_isolation: str = "",
    root: Path = paths.ROOT,
    shards: int = 1,
) -> dict[str, Any]:
    """Grade ``submission`` in pytest subprocesses and return the complete report dict.

    Every way the kit grades goes through here (``cnnkit grade``, batches, notebooks' checks,
    nbgrader's autograde step, the kit's own tests), with the same guarantees: a private report
    folder denied to student code, the report checked to be this run's and complete, a run past
    its limit reported test by test as "timeout".

    The submission is snapshotted first (``snapshot_submission``); the graders see only the
    snapshot, and the report names the original folder. ``wall_limit``: seconds for the whole
    run; tests unfinished by then are reported as "timeout". ``deny``: more paths student code
    may not open (report outputs, the class folder). ``require_isolation``: "strong" or
    "partial" makes workers below that level refuse to run student code, and raises
    ``IsolationTooWeak``. ``root``: the kit checkout (or student release) whose ``graders/`` run.
    ``shards``: pytest processes grading the exercises at once (``plan_shards``; each exercise in
    one of them, in its own sandbox as always), sharing the memory of timed-out functions. Raises
    ``GraderFault`` when pytest did not grade (collection error, internal error, no report).
    """
    _not_dumpable()
    require_isolation = required_isolation(require_isolation)
    reports = reports_root()
    original = Path(submission).resolve()
    graders_dir = root / "graders"
    selected = list(exercises) if exercises is not None else None
    if shards > 1:
        modules = selected or [e.module for e in spec.EXERCISES if grader_files(e.module, graders_dir, public_only)]
        groups: list[list[str] | None] = list(plan_shards(modules, shards))
    else:
        groups = [selected]
    with scratch_folder(reports, "report-") as scratch:
        snapshot = snapshot_submission(original, Path(scratch) / "submission")
        denied = [reports, original, *deny]
        variables = _run_variables(env, root, require_isolation)
        shared = ["--cnnkit-timeouts", str(Path(scratch) / "timeouts.jsonl")] if len(groups) > 1 else []
        started = time.monotonic()

        def grade_shard(index: int) -> dict[str, Any]:
            group = groups[index]
            elsewhere = [m for other in groups if other is not group for m in other or ()]
            report_path, log_path = Path(scratch) / f"report-{index}.json", Path(scratch) / f"pytest-{index}.log"
            command = pytest_command(
                snapshot, report_path, graders_dir=graders_dir, public_only=public_only, exercises=group,
                extra_args=[*extra_args, *(arg for path in denied for arg in ("--cnnkit-deny", str(path))),
                            *shared, *(arg for module in elsewhere for arg in ("--cnnkit-elsewhere", module))],
            )  # fmt: skip
            remaining = None if wall_limit is None else max(0.0, wall_limit - (time.monotonic() - started))
            tmp = run_folder(Path(scratch), f"tmp-{index}")
            try:
                exit_code = run_pytest(command, log_path, cwd=root, env=variables, wall_limit=remaining, tmp=tmp)
            finally:
                if shared:  # however it ended, the exercises built on this shard's ones need not wait for it
                    memory = TimeoutMemory(shared[1])
                    for module in group or ():
                        memory.finished(module)
            return _shard_report(report_path, snapshot, log_path.read_text(errors="replace"), exit_code, wall_limit)

        if len(groups) == 1:
            shard_reports = [grade_shard(0)]
        else:
            with ThreadPoolExecutor(max_workers=len(groups)) as pool:
                shard_reports = list(pool.map(grade_shard, range(len(groups))))
        report = merge_reports(shard_reports)
        report["submission"] = str(original)
        report["complete"] = True
        report["pytest_exit_code"] = max((r["pytest_exit_code"] for r in shard_reports), key=lambda c: (c is None, c or 0))
        report["seconds"] = round(time.monotonic() - started, 2)
        check_isolation(report, require_isolation)
        return report


def _shard_report(report_path: Path, snapshot: Path, output: str, exit_code: int | None,
                  wall_limit: float | None) -> dict[str, Any]:
    """One pytest run's report, its unfinished tests marked; ``GraderFault`` when it did not grade."""
    if not report_path.exists():
        raise GraderFault(f"the grader produced no report (pytest exit {exit_code}):\n{output[-3000:]}")
    report = _read_report(report_path, snapshot, output)
    if exit_code is None:
        mark_unfinished(
            report, "timeout",
            f"not graded: the whole submission ran past its overall limit of {wall_limit:g} s",
        )  # fmt: skip
    elif exit_code not in COMPLETED_EXIT_CODES or not report.get("complete", True):
        raise GraderFault(f"the grader failed (pytest exit {exit_code}):\n{output[-3000:]}")
    else:
        mark_unfinished(report, "error", "this test did not run (a grader fixture failed; see the log)")
    report["pytest_exit_code"] = exit_code
    return report


def _read_report(path: Path, submission: Path, log: str) -> dict[str, Any]:
    """The plugin's report for ``submission``; anything else (unreadable, another run's) is a grader fault."""
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise GraderFault(f"the grader's report is unreadable ({exc}):\n{log[-3000:]}") from None
    if not isinstance(report, dict) or report.get("submission") != str(submission) or "exercises" not in report:
        raise GraderFault(f"the report at {path} is not this run's report for {submission} (tampered with?)")
    return report


def scores_by_exercise(report: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """``{module: (score, max_score)}`` from a report."""
    return {e["module"]: (e["score"], e["max_score"]) for e in report["exercises"]}


class CollectionFailed(GraderFault):
    """pytest could not collect the graders (the first line says so, the rest is pytest's output)."""


def collect_graders(root: Path = paths.ROOT, timeout: float = 600.0) -> list[dict[str, Any]]:
    """Every grader test case in ``root/graders`` (hidden ones too), in curriculum order, without
    running any: the report's tests, each with ``module``, ``test`` (its function), ``points``
    (the test's worth, shared by its cases) and ``doc``."""
    with scratch_folder(reports_root(), "collect-") as scratch:
        report_path, log_path = Path(scratch) / "report.json", Path(scratch) / "pytest.log"
        command = pytest_command(None, report_path, graders_dir=root / "graders")
        exit_code = run_pytest(command, log_path, cwd=root, env={"CNNKIT_ROOT": str(root)}, wall_limit=timeout,
                               tmp=run_folder(Path(scratch), "tmp"))
        output = log_path.read_text(errors="replace")
        if exit_code != 0 or not report_path.exists():
            raise CollectionFailed(f"collecting the graders failed (exit {exit_code}):\n{output[-3000:]}")
        report = json.loads(report_path.read_text())
    return [{**test, "module": exercise["module"]} for exercise in report["exercises"] for test in exercise["tests"]]
