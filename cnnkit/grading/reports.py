"""Render one grading report (the plugin's JSON, see ``cnnkit.grading.runner``) in every format course staff use.

The JSON report is the single source: ``text``, ``json`` and ``gradescope`` are all computed from
the same dict, so the three formats of one run always agree. The CSV gradebook of a class is
computed from the per-student reports the same way.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cnnkit import spec

STATUSES = ("passed", "failed", "error", "timeout", "forbidden", "flagged")
FLAGGED = "flagged for review"  # how every format introduces what put an exercise up for review
GRADESCOPE_HIDDEN = ("after_published", "hidden")  # allowed visibilities for hidden tests
FORMATS = ("text", "json", "gradescope")


def _number(value: float) -> float | int:
    """``3.0 -> 3``: whole points print without a trailing ``.0`` in JSON."""
    value = round(float(value), 4)  # shares of a parametrized test's points: 1/3 prints as 0.3333
    return int(value) if value.is_integer() else value


#: What a report row may carry about a failure besides its feedback (``cnnkit.grading.feedback.Failure``).
FAILURE_FIELDS = ("check", "mistake", "where", "group")


def normalize(report: Mapping[str, Any]) -> dict[str, Any]:
    """The documented JSON format: score, max_score, exercises[] with flags[] (what put the exercise up for
    review, where) and tests[] (name, score, max_score, status, feedback, visibility, and for a failure check,
    mistake, where, group), isolation and seconds.

    Statuses outside the documented ones (a skipped grader test) become "error".
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
                **{key: test.get(key, "") for key in FAILURE_FIELDS},
            }
            for test in exercise["tests"]
        ]
        exercises.append(
            {
                "name": exercise["name"],
                "module": exercise["module"],
                "score": _number(sum(test["score"] for test in raw)),
                "max_score": _number(sum(test["max_score"] for test in raw)),
                "flags": [str(flag) for flag in exercise.get("flags") or []],
                "tests": tests,
                **({"chain": exercise["chain"]} if exercise.get("chain") else {}),
            }
        )
    return {
        "score": _number(sum(t["score"] for e in report["exercises"] for t in e["tests"])),
        "max_score": _number(sum(t["max_score"] for e in report["exercises"] for t in e["tests"])),
        "submission": str(report.get("submission", "")),
        # Only the public checks ran (asked for, or a student release, which has no hidden ones).
        "public_only": not any(t.get("visibility") == "hidden" for e in report["exercises"] for t in e["tests"]),
        "exercises": exercises,
        "isolation": report.get("isolation"),
        **({"upload": report["upload"]} if report.get("upload") else {}),
        "seconds": report.get("seconds"),  # the run's wall-clock time (None: not measured)
    }


def isolation_line(report: Mapping[str, Any]) -> str:
    """One line: the OS isolation student code ran under, what was applied, what the self-probes saw.

    ``strong``: Landlock and seccomp in force, every probe refused and every resource bound held
    (tasks, memory, disk, the kill at the end); ``partial``: some of it; ``advisory``: Python's audit
    hook only (it deters, it does not enforce).
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
    if isolation.get("bounds"):
        line += "; bounds: " + "; ".join(f"{name} by {how}" for name, how in isolation["bounds"].items())
    if isolation.get("missing"):
        line += f"; missing: {'; '.join(isolation['missing'])}"
    return line


def _student_isolation_line(report: Mapping[str, Any]) -> str:
    """What a student needs to know about isolation: nothing when it is strong, one short line otherwise."""
    isolation = report.get("isolation") or {}
    level = isolation.get("level")
    if level in (None, "strong"):
        return ""
    return f"Isolation: {level} (your code ran less confined than when graded; `cnnkit grade` without --public-only says why)"


def to_json(report: Mapping[str, Any]) -> str:
    return json.dumps(normalize(report), indent=2) + "\n"


# -- text -------------------------------------------------------------------------------------------
def failure_groups(tests: Iterable[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """An exercise's failed tests, one list per distinct failure (same ``group``), in report order.

    A test without a group (a report from before groups) is a group of its own.
    """
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for index, test in enumerate(tests):
        if test["status"] != "passed":
            groups.setdefault(test.get("group") or f"#{index}", []).append(test)
    return list(groups.values())


def not_started(tests: Iterable[Mapping[str, Any]]) -> bool:
    """An exercise not started: no test passed, and the stub's ``NotImplementedError`` is what its tests ran into.

    A test that expected another exception (``ValueError`` for invalid arguments) fails on a stub without a
    check id: it does not count against; a failure any check recognised (a value, a shape) does.
    """
    tests = list(tests)
    return any(test.get("check") == "not_implemented" for test in tests) and all(
        test.get("status") != "passed" and test.get("check") in ("not_implemented", "", None) for test in tests)


def _points(value: float) -> str:
    return f"{_number(value):g}"


def _same_again(group: list[Mapping[str, Any]], total_tests: int) -> str:
    """``the same in 5 more of 11 checks (test_a x4, test_b; 1.8 points)``: the rest of a group, in one line."""
    rest = group[1:]
    counts: dict[str, int] = {}
    for test in rest:
        base = test["name"].split("[", 1)[0]
        counts[base] = counts.get(base, 0) + 1
    names = ", ".join(f"{name} x{count}" if count > 1 else name for name, count in counts.items())
    lost = sum(test["max_score"] - test["score"] for test in rest)
    return f"the same in {len(rest)} more of {total_tests} checks ({names}; {_points(lost)} points)"


def exercise_lines(exercise: Mapping[str, Any]) -> list[str]:
    """One exercise of the text report: its line, then each distinct failure once.

    An exercise not started is its line alone; a failure several checks share is shown for the
    first of them (public checks and worked examples come first), then counted in one line.
    """
    tests = exercise["tests"]
    passed = sum(test["status"] == "passed" for test in tests)
    line = (f"{exercise['module']:<24} {exercise['name']:<38} {passed:>3}/{len(tests):<3} tests  "
            f"{_points(exercise['score']):>5} / {_points(exercise['max_score']):<5} points")
    if not_started(tests):
        return [line + "  not started"]
    lines = [line] + [f"    {FLAGGED}: {flag}" for flag in exercise.get("flags") or []]
    if exercise.get("chain"):
        lines.append("    " + chain_line(exercise["module"], exercise["chain"]))
    for group in failure_groups(tests):
        first = group[0]
        hidden = " (hidden)" if first["visibility"] == "hidden" else ""
        lines.append(f"    [{first['status']}] {first['name']}{hidden}  {_points(first['score'])} / "
                     f"{_points(first['max_score'])}")
        lines += ["        " + text for text in first["feedback"].splitlines()]
        if len(group) > 1:
            lines.append("        " + _same_again(group, len(tests)))
    return lines


def chain_line(module: str, chain: Mapping[str, Any]) -> str:
    """An exercise graded with the reference versions of its earlier modules: does it also work with the
    student's own (``cnnkit.grading.chain``)? Never scored."""
    if chain["works"]:
        return "with your own earlier modules too: it works the same (this line is not scored)"
    culprits = ", ".join(chain["modules"]) or "the combination of them (no single one alone)"
    return (f"with your own earlier modules it does not work the same, because of {culprits}: {chain['detail']} "
            f"(not scored here: {module} was graded with the reference versions; fix those exercises)")


def public_summary(report: Mapping[str, Any]) -> str:
    """``public checks: x / y points; z more points are graded by hidden checks at submission``."""
    declared = sum(spec.exercise(e["module"]).points for e in report["exercises"] if e["module"] in spec.BY_MODULE)
    hidden = _number(declared - report["max_score"])
    line = f"public checks: {_points(report['score'])} / {_points(report['max_score'])} points"
    if hidden > 0:
        line += f"; {_points(hidden)} more points are graded by hidden checks when you submit"
    return line


def to_text(report: Mapping[str, Any]) -> str:
    """What ``cnnkit grade`` prints: the folder graded, per exercise its points and each distinct failure once,
    the total. Instructors' reports (all checks) say the isolation; students' only when it is not strong."""
    report = normalize(report)
    public_only = report["public_only"]
    which = "public checks" if public_only else "public and hidden checks"
    lines = [f"Grading {report['submission']} ({which})"]
    isolation = _student_isolation_line(report) if public_only else isolation_line(report)
    lines += [isolation] if isolation else []
    lines.append("")
    for exercise in report["exercises"]:
        lines += exercise_lines(exercise)
    lines += ["", f"{'TOTAL':<63}  {'':>9} {_points(report['score']):>5} / {_points(report['max_score']):<5} points"]
    if public_only:
        lines.append(public_summary(report))
    return "\n".join(lines) + "\n"


def _gradescope_output(test: Mapping[str, Any], first_of_group: Mapping[str, Any] | None) -> str:
    """A test's output on Gradescope: its feedback, or, for a failure another test shows already, a pointer
    (never for a flag: each test of a flagged exercise says what was found and where)."""
    if test["status"] == "passed":
        return test["feedback"]
    if first_of_group is not None and first_of_group is not test and test["status"] != "flagged":
        return f"[{test['status']}] the same as {first_of_group['name']} (its output explains it)"
    return f"[{test['status']}] {test['feedback']}"


def apportion(values: list[float], places: int = 4) -> list[float]:
    """``values`` rounded to ``places`` decimals so that they add up to their own sum rounded the same way
    (largest remainders: three shares of 1/3 become 0.3334, 0.3333, 0.3333, not three 0.3333)."""
    scale = 10**places
    units = [value * scale for value in values]
    floors = [math.floor(unit + 1e-9) for unit in units]
    missing = round(sum(units)) - sum(floors)
    for index in sorted(range(len(units)), key=lambda i: floors[i] - units[i])[:max(0, missing)]:
        floors[index] += 1
    return [unit / scale for unit in floors]


def to_gradescope(report: Mapping[str, Any], hidden_visibility: str = "after_published") -> dict[str, Any]:
    """A Gradescope autograder ``results.json``: public tests "visible", hidden ones ``hidden_visibility``.

    Per-test points are apportioned (``apportion``) so that they add up to the total score exactly."""
    if hidden_visibility not in GRADESCOPE_HIDDEN:
        raise ValueError(f"hidden tests must be one of {GRADESCOPE_HIDDEN}, not {hidden_visibility!r}")
    raw = [test for exercise in report["exercises"] for test in exercise["tests"]]
    scores = iter(apportion([test["score"] for test in raw]))
    maxima = iter(apportion([test["max_score"] for test in raw]))
    report = normalize(report)
    tests = []
    for exercise in report["exercises"]:
        number = spec.exercise(exercise["module"]).number if exercise["module"] in spec.BY_MODULE else 0
        first = {id(test): group[0] for group in failure_groups(exercise["tests"]) for test in group}
        for index, test in enumerate(exercise["tests"], start=1):
            hidden = test["visibility"] == "hidden"
            tests.append(
                {
                    "name": f"{exercise['module']}: {test['name']}" + (" (hidden)" if hidden else ""),
                    "number": f"{number}.{index}",
                    "score": next(scores),
                    "max_score": next(maxima),
                    "status": "passed" if test["status"] == "passed" else "failed",
                    "output": _gradescope_output(test, first.get(id(test))),
                    "tags": [exercise["module"], test["status"]],
                    "visibility": hidden_visibility if hidden else "visible",
                }
            )
    summary = "\n".join(
        f"{exercise['module']}: {exercise['score']:g} / {exercise['max_score']:g}"
        + "".join(f"\n  {FLAGGED}: {flag}" for flag in exercise["flags"])
        for exercise in report["exercises"]
    )
    upload, graded = report.get("upload") or {}, {exercise["module"] for exercise in report["exercises"]}
    moved = {module: where for module, where in upload.get("taken_from", {}).items()
             if module in graded and where != f"{module}.py"}  # found elsewhere than at the top: say where
    if moved or upload.get("notes"):
        taken = ["graded: " + "; ".join(f"{module} from {where}" for module, where in moved.items())] if moved else []
        summary = "\n".join([*taken, *upload.get("notes", []), summary])
    return {
        "score": round(sum(test["score"] for test in tests), 4),
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


def attention_statuses(seen: Iterable[str] = ()) -> list[str]:
    """The statuses an instructor looks at (timeout, error, forbidden, ...): every one of ``STATUSES`` but
    passed and failed, then any other status ``seen``, so that a status added later needs no change here."""
    ordinary = ("passed", "failed")
    return [s for s in STATUSES if s not in ordinary] + sorted(set(seen) - set(STATUSES) - set(ordinary))


def exercises_with_status(report: Mapping[str, Any], status: str) -> list[str]:
    """The exercise modules of ``report`` started (``not_started``: a stub's NotImplementedError is no "error")
    with at least one test in ``status``, in report order."""
    return [e["module"] for e in report["exercises"]
            if not not_started(e["tests"]) and any(t["status"] == status for t in e["tests"])]


def flags_cell(report: Mapping[str, Any]) -> str:
    """A student's flags for the gradebook: ``module: finding | finding; module: ...`` ("" when none)."""
    return "; ".join(f"{exercise['module']}: {' | '.join(exercise['flags'])}"
                     for exercise in report["exercises"] if exercise["flags"])


def write_gradebook(path: Path, reports: Mapping[str, Mapping[str, Any] | None], errors: Mapping[str, str]) -> None:
    """CSV: one row per student (sorted), one column per exercise, then total, max_score and error, the
    exercises not started, one column per status worth a look (``attention_statuses``; ``timeout_exercises``:
    the started exercises with a test in that status), exercises space-separated, the isolation level, and
    flags (what put exercises up for review, and where, for the instructor to read).

    ``reports[student]`` is None for a submission the grader could not grade; ``errors`` says why.
    """
    graded = [normalize(report) for report in reports.values() if report is not None]
    modules = gradebook_columns(graded)
    statuses = attention_statuses(t["status"] for r in graded for e in r["exercises"] for t in e["tests"])
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *modules, "total", "max_score", "error", "not_started",
                         *(f"{status}_exercises" for status in statuses), "isolation", "flags"])
        for student in sorted(reports):
            report = reports[student]
            if report is None:
                writer.writerow([student, *([""] * len(modules)), "", "", errors.get(student, "not graded"), "",
                                 *([""] * len(statuses)), "", ""])
                continue
            normal = normalize(report)
            scores = {exercise["module"]: exercise["score"] for exercise in normal["exercises"]}
            writer.writerow([
                student, *(scores.get(module, "") for module in modules), normal["score"], normal["max_score"], "",
                " ".join(e["module"] for e in normal["exercises"] if not_started(e["tests"])),
                *(" ".join(exercises_with_status(normal, status)) for status in statuses),
                (normal["isolation"] or {}).get("level", ""), flags_cell(normal),
            ])  # fmt: skip
