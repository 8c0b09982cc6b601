"""Render one grading report (the plugin's JSON, see ``cnnkit.grading.runner``) in every format course staff use.

The JSON report is the single source: ``text``, ``json`` and ``gradescope`` are all computed from
the same dict, so the three formats of one run always agree. The CSV gradebook of a class is
computed from the per-student reports the same way.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cnnkit import spec

STATUSES = ("passed", "failed", "error", "timeout", "forbidden")
GRADESCOPE_HIDDEN = ("after_published", "hidden")  # allowed visibilities for hidden tests
FORMATS = ("text", "json", "gradescope")


def _number(value: float) -> float | int:
    """``3.0 -> 3``: whole points print without a trailing ``.0`` in JSON."""
    value = round(float(value), 4)  # shares of a parametrized test's points: 1/3 prints as 0.3333
    return int(value) if value.is_integer() else value


def normalize(report: Mapping[str, Any]) -> dict[str, Any]:
    """The documented JSON format: score, max_score, exercises[] with tests[] (name, score, max_score, status, feedback).

    Statuses outside the five documented ones (a skipped grader test) become "error".
    """
    exercises = []
    for exercise in report["exercises"]:
        raw = exercise["tests"]  # sums from the unrounded shares (3 cases of 1/3 point make 1, not 1.0002)
        tests = [
            {
                "name": test["name"],
                "score": _number(test["score"]),
                "max_score": _number(test["max_score"]),
                "status": test["status"] if test["status"] in STATUSES else "error",
                "feedback": test.get("feedback", ""),
                "visibility": test.get("visibility", "public"),
            }
            for test in exercise["tests"]
        ]
        exercises.append(
            {
                "name": exercise["name"],
                "module": exercise["module"],
                "score": _number(sum(test["score"] for test in raw)),
                "max_score": _number(sum(test["max_score"] for test in raw)),
                "tests": tests,
            }
        )
    return {
        "score": _number(sum(t["score"] for e in report["exercises"] for t in e["tests"])),
        "max_score": _number(sum(t["max_score"] for e in report["exercises"] for t in e["tests"])),
        "submission": str(report.get("submission", "")),
        "exercises": exercises,
        "isolation": report.get("isolation"),
    }


def isolation_line(report: Mapping[str, Any]) -> str:
    """One line: the OS isolation student code ran under, what was applied, what the self-probes saw.

    ``strong``: Landlock and seccomp in force and every probe refused; ``partial``: some of it;
    ``advisory``: Python's audit hook only (it deters, it does not enforce).
    """
    isolation = report.get("isolation")
    if not isolation:
        return "Isolation: not measured (no student code ran)"
    applied = [str(item).split(":")[0] for item in isolation.get("applied", [])]
    probes = isolation.get("probes") or {}
    seen = ", ".join(f"{name} {'refused' if result.get('blocked') else 'ALLOWED'}" for name, result in probes.items())
    line = f"Isolation: {isolation.get('level')} ({', '.join(applied) or 'audit hook only'})"
    if seen:
        line += f"; probes: {seen}"
    if isolation.get("missing"):
        line += f"; missing: {'; '.join(isolation['missing'])}"
    return line


def to_json(report: Mapping[str, Any]) -> str:
    return json.dumps(normalize(report), indent=2) + "\n"


def to_text(report: Mapping[str, Any]) -> str:
    """A table per exercise (tests passed, points), the feedback of each failure, and the total."""
    report = normalize(report)
    lines = [f"Grading {report['submission']}", isolation_line(report), ""]
    for exercise in report["exercises"]:
        tests = exercise["tests"]
        passed = sum(test["status"] == "passed" for test in tests)
        lines.append(
            f"{exercise['module']:<18} {exercise['name']:<40} {passed:>3}/{len(tests):<3} tests  "
            f"{exercise['score']:>5g} / {exercise['max_score']:<5g} points"
        )
        for test in tests:
            if test["status"] == "passed":
                continue
            hidden = " (hidden)" if test["visibility"] == "hidden" else ""
            lines.append(f"    [{test['status']}] {test['name']}{hidden}  {test['score']:g} / {test['max_score']:g}")
            lines += ["        " + line for line in test["feedback"].splitlines()]
    lines += ["", f"{'TOTAL':<59}  {'':>9} {report['score']:>5g} / {report['max_score']:<5g} points", ""]
    return "\n".join(lines)


def to_gradescope(report: Mapping[str, Any], hidden_visibility: str = "after_published") -> dict[str, Any]:
    """A Gradescope autograder ``results.json``: public tests "visible", hidden ones ``hidden_visibility``."""
    if hidden_visibility not in GRADESCOPE_HIDDEN:
        raise ValueError(f"hidden tests must be one of {GRADESCOPE_HIDDEN}, not {hidden_visibility!r}")
    report = normalize(report)
    tests = []
    for exercise in report["exercises"]:
        number = spec.exercise(exercise["module"]).number if exercise["module"] in spec.BY_MODULE else 0
        for index, test in enumerate(exercise["tests"], start=1):
            hidden = test["visibility"] == "hidden"
            output = test["feedback"] if test["status"] == "passed" else f"[{test['status']}] {test['feedback']}"
            tests.append(
                {
                    "name": f"{exercise['module']}: {test['name']}" + (" (hidden)" if hidden else ""),
                    "number": f"{number}.{index}",
                    "score": test["score"],
                    "max_score": test["max_score"],
                    "status": "passed" if test["status"] == "passed" else "failed",
                    "output": output,
                    "tags": [exercise["module"], test["status"]],
                    "visibility": hidden_visibility if hidden else "visible",
                }
            )
    summary = "\n".join(
        f"{exercise['module']}: {exercise['score']:g} / {exercise['max_score']:g}" for exercise in report["exercises"]
    )
    return {
        "score": report["score"],
        "output": f"{summary}\ntotal: {report['score']:g} / {report['max_score']:g}\n{isolation_line(report)}",
        "extra_data": {"isolation": report["isolation"]},
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def render(report: Mapping[str, Any], fmt: str, hidden_visibility: str = "after_published") -> str:
    """The report as text in format ``fmt`` (one of ``FORMATS``)."""
    if fmt == "text":
        return to_text(report)
    if fmt == "json":
        return to_json(report)
    if fmt == "gradescope":
        return json.dumps(to_gradescope(report, hidden_visibility), indent=2) + "\n"
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


# -- class gradebook -------------------------------------------------------------------------------
def gradebook_columns(reports: Iterable[Mapping[str, Any]]) -> list[str]:
    """The exercise modules graded in any report, in curriculum order."""
    seen = {exercise["module"] for report in reports for exercise in report.get("exercises", [])}
    return [exercise.module for exercise in spec.EXERCISES if exercise.module in seen]


def write_gradebook(path: Path, reports: Mapping[str, Mapping[str, Any] | None], errors: Mapping[str, str]) -> None:
    """CSV: one row per student (sorted), one column per exercise, then total, max_score and error.

    ``reports[student]`` is None for a submission the grader could not grade; ``errors`` says why.
    """
    graded = [normalize(report) for report in reports.values() if report is not None]
    modules = gradebook_columns(graded)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *modules, "total", "max_score", "error"])
        for student in sorted(reports):
            report = reports[student]
            if report is None:
                writer.writerow([student, *([""] * len(modules)), "", "", errors.get(student, "not graded")])
                continue
            normal = normalize(report)
            scores = {exercise["module"]: exercise["score"] for exercise in normal["exercises"]}
            writer.writerow(
                [student, *(scores.get(module, "") for module in modules), normal["score"], normal["max_score"], ""]
            )
