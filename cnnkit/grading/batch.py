"""Grade a whole class: every submission folder of a class folder, in parallel.

Each submission is graded by its own pytest subprocess (``cnnkit.grading.runner.grade_submission``) with
an overall wall-clock limit, so a failing or hanging submission costs its own time and never stops
the batch. Results, per student: ``<output>/<student>.json`` (the report every other output is made
from) and ``<output>/<student>.txt`` (what ``cnnkit grade`` prints: the feedback to hand back); for
the class: ``<output>/gradebook.csv`` and the class report ``<output>/report.html`` (``cnnkit report``).

Every submission is snapshotted into a folder private to the grader before any student code runs,
and the class folder, the snapshots and the output folder are denied to every worker: one
student's code can neither read nor rewrite a classmate's files or report.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from cnnkit import spec
from cnnkit.grading import reports
from cnnkit.grading.runner import GraderFault, grade_submission, reports_root, snapshot_submission
from cnnkit.grading.scratch import scratch_folder

GRADEBOOK = "gradebook.csv"


def is_submission(folder: Path) -> bool:
    """A submission folder holds at least one exercise module (``ex2_conv2d.py``, ...) directly."""
    return folder.is_dir() and any((folder / f"{exercise.module}.py").is_file() for exercise in spec.EXERCISES)


def class_submissions(folder: Path) -> list[Path]:
    """The submission folders directly inside ``folder`` (a class), sorted by name; [] if it is none."""
    if not folder.is_dir() or is_submission(folder):
        return []
    return sorted(child for child in folder.iterdir() if not child.name.startswith(".") and is_submission(child))


@dataclass
class BatchResult:
    """Per-student reports (None when the grader failed) and the reason of each failure."""

    reports: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    page: Path | None = None  # the class report (None: not asked for)


def grade_class(
    submissions: Sequence[Path],
    output_dir: Path,
    *,
    jobs: int = 1,
    public_only: bool = False,
    exercises: Sequence[str] | None = None,
    extra_args: Sequence[str] = (),
    wall_limit: float | None = None,
    grade: Callable[..., dict[str, Any]] = grade_submission,
    progress: bool = True,
    require_isolation: str = "",
    page: bool = True,
) -> BatchResult:
    """Grade every folder in ``submissions`` with ``jobs`` in parallel; write the reports, the CSV and the page.

    The student's name is the folder name. Student code may not open ``output_dir``. ``page``: write the class
    report (``report.html``) once every submission is graded.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    result = BatchResult()
    classes = sorted({folder.resolve().parent for folder in submissions})
    deny = [output_dir.resolve(), *classes, *(folder.resolve() for folder in submissions)]
    with scratch_folder(reports_root(), "class-") as staging:
        snapshots = {folder: snapshot_submission(folder, staging / folder.name) for folder in submissions}

        def one(folder: Path) -> dict[str, Any]:
            report = grade(
                snapshots[folder], public_only=public_only, exercises=exercises, extra_args=extra_args,
                wall_limit=wall_limit, deny=deny, **({"require_isolation": require_isolation} if require_isolation else {}),
            )
            return {**report, "submission": str(folder.resolve())}

        _grade_all(submissions, one, jobs, progress, output_dir, result)
    reports.write_gradebook(output_dir / GRADEBOOK, result.reports, result.errors)
    if page:
        from cnnkit.grading import classreport, report_page  # matplotlib and Jinja2: only once the class is graded

        graded = classreport.load_grades(output_dir, students=[folder.name for folder in submissions])
        result.page = report_page.write_page(graded, output_dir)
    return result


def write_student(output_dir: Path, student: str, report: dict[str, Any]) -> None:
    """One student's files: the JSON report (what everything else is made from) and the text to hand back."""
    (output_dir / f"{student}.json").write_text(reports.to_json(report))
    (output_dir / f"{student}.txt").write_text(reports.to_text(report))


def _grade_all(
    submissions: Sequence[Path], one: Callable[[Path], dict[str, Any]], jobs: int, progress: bool, output_dir: Path,
    result: BatchResult,
) -> None:
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(one, folder): folder.name for folder in submissions}
        try:
            _collect(futures, progress, output_dir, result)
        except BaseException:  # a signal stopped grading: the submissions not started never start
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _collect(futures: dict[Any, str], progress: bool, output_dir: Path, result: BatchResult) -> None:
    """Write each submission's report (or its failure) as it is graded."""
    bar = tqdm(as_completed(futures), total=len(futures), unit="submission", disable=not progress)
    for future in bar:
        student = futures[future]
        try:
            report = future.result()
        except (GraderFault, OSError, ValueError) as fault:
            result.reports[student] = None
            result.errors[student] = f"{type(fault).__name__}: {str(fault).splitlines()[0] if str(fault) else ''}"
            (output_dir / f"{student}.json").write_text(
                json.dumps({"student": student, "error": str(fault)}, indent=2) + "\n"
            )
            (output_dir / f"{student}.txt").unlink(missing_ok=True)  # an earlier run's feedback is not this one's
            continue
        result.reports[student] = report
        write_student(output_dir, student, report)
        bar.set_postfix_str(f"{student}: {report['score']:g}/{report['max_score']:g}")
