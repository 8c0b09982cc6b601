"""Run the grader suite on a submission folder, in a fresh pytest process, and return its report.

The report is the JSON the kit's pytest plugin writes (see ``cnnkit.pytest_plugin``):
``{"score", "max_score", "submission", "exercises": [{"name", "module", "score", "max_score",
"tests": [{"name", "score", "max_score", "status", "feedback", "visibility"}]}]}``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from cnnkit import paths


def pytest_command(
    submission: Path,
    report: Path,
    *,
    graders_dir: Path = paths.GRADERS_DIR,
    public_only: bool = False,
    exercises: Iterable[str] | None = None,
    extra_args: Sequence[str] = (),
) -> list[str]:
    """The ``python -m pytest graders ...`` command line that grades ``submission``."""
    command = [
        sys.executable, "-m", "pytest", str(graders_dir),
        "--submission", str(submission), "--cnnkit-report", str(report),
        "-q", "--no-header", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning",
        "--rootdir", str(graders_dir.parent),
    ]  # fmt: skip
    if public_only:
        command.append("--public-only")
    selected = list(exercises or [])
    if selected:
        command += ["-m", " or ".join(selected)]
    return command + list(extra_args)


def run_graders(
    submission: Path | str,
    *,
    public_only: bool = False,
    exercises: Iterable[str] | None = None,
    extra_args: Sequence[str] = (),
    timeout: float | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Grade ``submission`` and return the report dict (raises if the grader itself failed)."""
    with tempfile.TemporaryDirectory(prefix="cnnkit-report-") as scratch:
        report = Path(scratch) / "report.json"
        command = pytest_command(
            Path(submission).resolve(), report, public_only=public_only, exercises=exercises, extra_args=extra_args
        )
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=paths.ROOT, env={**os.environ, **(env or {})}
        )
        if not report.exists():
            raise RuntimeError(
                f"the grader produced no report (exit {completed.returncode}):\n"
                f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
            )
        result = json.loads(report.read_text())
        result["pytest_exit_code"] = completed.returncode
        return result


def scores_by_exercise(report: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """``{module: (score, max_score)}`` from a report."""
    return {e["module"]: (e["score"], e["max_score"]) for e in report["exercises"]}
