"""Grade a whole class: every submission folder of a class folder, in parallel.

Each submission is graded by its own pytest subprocess (``cnnkit.grading.grade_submission``) with
an overall wall-clock limit, so a failing or hanging submission costs its own time and never stops
the batch. Results: ``<output>/<student>.json`` per student and ``<output>/gradebook.csv``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from cnnkit import reports, spec
from cnnkit.grading import GraderFault, grade_submission

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


def grade_class(
    submissions: Sequence[Path],
    output_dir: Path,
    *,
    jobs: int = 1,
    public_only: bool = False,
    extra_args: Sequence[str] = (),
    wall_limit: float | None = None,
    grade: Callable[..., dict[str, Any]] = grade_submission,
    progress: bool = True,
) -> BatchResult:
    """Grade every folder in ``submissions`` with ``jobs`` in parallel; write the JSON reports and the CSV.

    The student's name is the folder name. Student code may not open ``output_dir``.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    result = BatchResult()

    def one(folder: Path) -> dict[str, Any]:
        return grade(
            folder, public_only=public_only, extra_args=extra_args, wall_limit=wall_limit, deny=[output_dir.resolve()]
        )

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(one, folder): folder.name for folder in submissions}
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
                continue
            result.reports[student] = report
            (output_dir / f"{student}.json").write_text(reports.to_json({**report}))
            bar.set_postfix_str(f"{student}: {report['score']:g}/{report['max_score']:g}")
    reports.write_gradebook(output_dir / GRADEBOOK, result.reports, result.errors)
    return result
