"""``cnnkit grade``: grade one submission (or a class of them) and write the report.

    cnnkit grade [SUBMISSION] [--format text|json|gradescope] [--output FILE] [--public-only]
                 [--exercise MODULE ...] [--timeout SECONDS] [--total-timeout SECONDS] [--jobs N]
                 [--require-isolation strong|partial] [--hidden-visibility after_published|hidden]
                 [--hints none|concept|method]

Exit status (``cnnkit.errors``): 0 whenever grading completed (whatever the score), 2 (USAGE)
for bad usage, 3 (FAULT) when the grader itself failed or the workers were confined less than
``--require-isolation`` (or ``CNNKIT_REQUIRE_ISOLATION``) demands; errors are a ``CommandError``,
one line on standard error, and no grade is written. The pytest run happens in a subprocess
(``cnnkit.grading.runner``), so a fault of the grader cannot take this command down with it.
SIGTERM, SIGINT or SIGHUP ends it with every run killed and every temporary folder removed
(exit 128 + the signal's number, no grade written).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path

from cnnkit import paths, spec
from cnnkit.errors import FAULT, OK, CommandError
from cnnkit.grading import hints, reports, uploads
from cnnkit.grading.batch import GRADEBOOK, class_submissions, grade_class, is_submission
from cnnkit.grading.runner import ISOLATION_LEVELS, GraderFault, IsolationTooWeak, default_shards, grade_submission

#: The per-call limit of an ordinary exercise; ``--timeout`` rescales every exercise's limit from it.
DEFAULT_CALL_TIMEOUT = next(f.default for f in fields(spec.Exercise) if f.name == "call_timeout")
DEFAULT_CLASS_WALL_LIMIT = 1800.0
HIDDEN_VISIBILITY = reports.GRADESCOPE_HIDDEN[0]  # Gradescope shows hidden tests once grades are published


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submission", nargs="?", type=Path, default=paths.EXERCISES_DIR,
                        help="folder with the exercise modules (default: exercises/), or a folder of such folders")
    parser.add_argument("--format", choices=reports.FORMATS, default="text",
                        help="report format (default: text); a class always gets both text and JSON per student")
    parser.add_argument("--output", type=Path, default=None,
                        help="write the report to this file (default: standard output); for a class, a folder "
                        "for the per-student reports (.json, .txt), gradebook.csv and report.html (default: ./grades)")
    parser.add_argument("--public-only", action="store_true", help="run only the public checks students have")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help=f"time limit of one call into student code (default {DEFAULT_CALL_TIMEOUT:g} s); "
                        "exercises with longer limits (training) are scaled in proportion")
    parser.add_argument("--total-timeout", type=float, default=None, metavar="SECONDS",
                        help="overall limit per submission; unfinished tests are reported as timeout "
                        f"(default: none for one submission, {DEFAULT_CLASS_WALL_LIMIT:g} s per submission of a class)")
    parser.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                        help="processes grading at once: for a class, submissions in parallel (default 1); for one "
                        "submission, its exercises split between N processes (default: one per core, at most 4)")
    parser.add_argument("--exercise", action="append", choices=list(spec.BY_MODULE), default=None,
                        help="grade only this exercise module (repeatable)")
    parser.add_argument("--require-isolation", choices=ISOLATION_LEVELS[1:], default="",
                        help="refuse to grade (exit 3) unless student code runs with at least this OS isolation "
                        "(strong: Landlock and seccomp in force; see docs/security-model.md)")
    parser.add_argument("--hidden-visibility", choices=reports.GRADESCOPE_HIDDEN, default=None,
                        help=f"with --format gradescope: visibility of hidden tests (default: {HIDDEN_VISIBILITY})")
    parser.add_argument("--hints", choices=hints.LEVELS, default=hints.DEFAULT_LEVEL,
                        help="how much the feedback's hints say: none, concept (what is wrong and which idea of "
                        "the lesson to revisit) or method (also the technique); never code "
                        f"(default: {hints.DEFAULT_LEVEL})")


def _pytest_args(args: argparse.Namespace) -> list[str]:
    extra = ["--cnnkit-hints", args.hints]  # the log holds each failure's feedback, as students see it
    if args.timeout is not None:
        extra += ["--timeout-scale", repr(args.timeout / DEFAULT_CALL_TIMEOUT)]
    return extra


class Stopped(BaseException):
    """A signal ended grading (a ``BaseException``: no ``except Exception`` on the way may swallow it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by signal {signum}")
        self.signum = signum


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@contextlib.contextmanager
def stopped_by_signals() -> Iterator[None]:
    """While grading: a stop signal kills every run and server at once (``server.abort_all``), then
    raises ``Stopped`` here, so that every ``finally`` on the way removes its temporary folders."""
    from cnnkit.grading import server

    def stop(signum: int, _frame: object) -> None:
        for each in STOP_SIGNALS:
            signal.signal(each, signal.SIG_IGN)  # the cleanup below runs once, whatever comes next
        server.abort_all(signum)
        raise Stopped(signum)

    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only; whoever runs this there handles them
        return
    previous = {each: signal.signal(each, stop) for each in STOP_SIGNALS}
    try:
        yield
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)


def run(args: argparse.Namespace) -> int:
    """Grade; a usage mistake or a grader fault raises ``CommandError`` (``cnnkit.cli`` prints it)."""
    try:
        with stopped_by_signals():
            return _run(args)
    except Stopped as stopped:
        print(f"cnnkit grade: stopped by signal {stopped.signum}; every run killed, no grade written",
              file=sys.stderr)
        return 128 + stopped.signum


def _run(args: argparse.Namespace) -> int:
    folder: Path = args.submission
    if not folder.is_dir():
        raise CommandError(f"{folder} is not a folder")
    if (args.jobs is not None and args.jobs < 1) or (args.timeout is not None and args.timeout <= 0):
        raise CommandError("--jobs and --timeout must be positive")
    if args.hidden_visibility is not None and args.format != "gradescope":
        raise CommandError(f"--hidden-visibility applies to --format gradescope only, not {args.format}")
    if args.format == "gradescope":  # an upload is one submission, wherever its files are
        return _grade_upload(folder, args)
    if is_submission(folder):
        return _grade_one(folder, args)
    students = class_submissions(folder)
    if not students:
        names = ", ".join(f"{e.module}.py" for e in spec.EXERCISES[:2])
        raise CommandError(f"{folder} holds no exercise modules ({names}, ...) and no submission folders")
    return _grade_class(students, args)


def _grade_upload(folder: Path, args: argparse.Namespace) -> int:
    """Gradescope: the exercise files at any depth of the upload, or the course's notebooks (``uploads``); an
    upload with nothing gradable still gets a ``results.json`` that tells the student why (score 0)."""
    import tempfile

    upload = uploads.gather(folder)
    if not upload.sources:
        results = {"score": 0, "output": upload.nothing_gradable(), "tests": [], "visibility": "visible",
                   "stdout_visibility": "hidden"}
        _write(json.dumps(results, indent=2) + "\n", args.output)
        return OK
    with tempfile.TemporaryDirectory(prefix="cnnkit-upload-") as scratch:
        staged = uploads.stage(upload, Path(scratch) / "submission")
        return _grade_one(staged, args, shown_as=folder, upload=upload)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)


def _grade_one(folder: Path, args: argparse.Namespace, shown_as: Path | None = None,
               upload: uploads.Upload | None = None) -> int:
    deny = [args.output.resolve()] if args.output else []
    try:
        report = grade_submission(
            folder, public_only=args.public_only, exercises=args.exercise, extra_args=_pytest_args(args),
            wall_limit=args.total_timeout, deny=deny, require_isolation=args.require_isolation,
            shards=args.jobs or default_shards(),
        )  # fmt: skip
    except IsolationTooWeak as weak:
        raise CommandError(str(weak), FAULT) from None
    except GraderFault as fault:
        why = str(fault).splitlines()[0] if str(fault) else type(fault).__name__
        raise CommandError(f"grader fault, no grade given: {why} (its output: python -m pytest graders "
                           f"--submission {folder})", FAULT) from None
    if shown_as is not None:
        report["submission"] = str(shown_as)
    if upload is not None:
        report["upload"] = {"taken_from": upload.taken_from, "notes": upload.notes}
    _write(reports.render(report, args.format, args.hidden_visibility or HIDDEN_VISIBILITY), args.output)
    if args.output is not None:
        print(f"{shown_as or folder}: {report['score']:g} / {report['max_score']:g} points; report in {args.output}",
              file=sys.stderr)
    return OK


def _grade_class(students: list[Path], args: argparse.Namespace) -> int:
    output = args.output or Path("grades")
    if output.exists() and not output.is_dir():
        raise CommandError(f"grading a class writes a folder of reports; {output} is a file")
    wall_limit = args.total_timeout if args.total_timeout is not None else DEFAULT_CLASS_WALL_LIMIT
    result = grade_class(
        students, output, jobs=args.jobs or 1, public_only=args.public_only, exercises=args.exercise,
        extra_args=_pytest_args(args), wall_limit=wall_limit, require_isolation=args.require_isolation,
    )  # fmt: skip
    graded = sum(report is not None for report in result.reports.values())
    print(f"graded {graded} of {len(students)} submissions; gradebook: {output / GRADEBOOK}; "
          f"feedback: {output}/<student>.txt; class report: {result.page}")
    for student, error in sorted(result.errors.items()):
        print(f"  {student}: NOT GRADED ({error})", file=sys.stderr)
    weak = [student for student, error in result.errors.items() if error.startswith(IsolationTooWeak.__name__)]
    if weak:
        raise CommandError(f"isolation below the required {args.require_isolation} for {len(weak)} submission(s); "
                           "those were not graded", FAULT)
    return OK
