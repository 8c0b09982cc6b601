"""Grading speed as an instructor lives it: the figures of the grading-at-class-scale goals.

Every figure is the wall time of the real command line (``cnnkit grade``), measured here and
printed beside the figure recorded before the speed work (``BASELINE``), with the goal:

* ``suite``: the full suite (public + hidden) on the reference solutions, one submission, as
  ``cnnkit grade`` does it by default (its exercises split between one process per core);
* ``suite1``: the same with ``--jobs 1`` (one process), for the ratio;
* ``batch``: ``cnnkit grade CLASS --jobs 2`` on a class of mixed submissions (reference, stubs,
  mutants), as submissions per minute;
* ``hang``: one submission whose ``train_model`` hangs (sleeps, ignoring signals), graded with
  the default limits until every test is reported (capped by ``--hang-cap``);
* ``nbgrader``: ``nbgrader autograde`` of one student notebook (the reference code in the released
  notebooks of exercises 1 and 2), seconds per notebook (the slowest);
* ``kit`` (opt-in, about 20 minutes): the kit's own test suite, ``python -m pytest -n 2``;
* ``suite`` is repeated ``--repeats`` times and the median reported.

``CNNKIT_GRADER_THREADS=2`` (the default before the speed work) shows what one lever is worth.

Timing is noisy on a shared machine: run it alone (no other jobs), and compare figures measured
in the same run. It asserts nothing; it prints a table and, with ``--out``, writes it as JSON.

    python benchmarks/bench_grading.py [--figures suite,suite1,batch,hang,nbgrader,kit] [--repeats 3] [--class-size 6] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from helpers import MUTANTS_DIR, build_submission, module_of, variant_files  # noqa: E402

from cnnkit import paths  # noqa: E402


@dataclass(frozen=True)
class Figure:
    """One measured figure beside the one recorded before the speed work and the goal."""

    name: str
    unit: str
    measured: float
    baseline: str
    goal: str
    detail: str = ""


#: The figures recorded when the goals were set (2-core machine, quiet), for the side-by-side table.
BASELINE = {
    "suite": ("34.5 s", "<= 12 s"),
    "batch": ("4.2 submissions/min", ">= 12 submissions/min"),
    "hang": ("> 900 s (did not finish in 15 min)", "<= 180 s"),
    "nbgrader": ("35-50 s per notebook", "<= 10 s per notebook"),
    "kit": ("~15 min (-n 2)", "<= 8 min"),
}

HANGING_TRAIN_MODEL = '''
def train_model(model, optimizer, criterion, loader, num_epochs=1, *args, **kwargs):
    import signal, time
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):
        try:
            signal.signal(sig, signal.SIG_IGN)
        except (ValueError, OSError):
            pass
    while True:
        try:
            time.sleep(3600)
        except BaseException:
            pass
'''


def cnnkit_grade(*args: str, timeout: float | None = None) -> tuple[float, subprocess.CompletedProcess | None]:
    """Run ``cnnkit grade ARGS`` and return (wall seconds, the finished process or None when cut at ``timeout``)."""
    command = [sys.executable, "-m", "cnnkit", "grade", *args]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - started, None
    if done.returncode != 0:
        raise RuntimeError(f"cnnkit grade {' '.join(args)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return time.perf_counter() - started, done


def measure_suite(workdir: Path, repeats: int, *jobs: str) -> Figure:
    times = []
    for round_ in range(repeats):
        seconds, _ = cnnkit_grade(str(paths.SOLUTIONS_DIR), "--format", "json", "--output", str(workdir / f"ref{round_}.json"),
                                  *jobs)  # fmt: skip
        times.append(seconds)
    report = json.loads((workdir / "ref0.json").read_text())
    detail = f"rounds {', '.join(f'{t:.1f}' for t in times)} s; {report['score']:g}/{report['max_score']:g} points"
    name = "suite1" if jobs else "suite"
    return Figure(name, "s", statistics.median(times), *BASELINE["suite"], f"{' '.join(jobs)} {detail}".strip())


def make_class(folder: Path, size: int) -> dict[str, str]:
    """A class of ``size`` submissions cycling through reference, stubs and mutants; ``{student: kind}``."""
    mutants = variant_files(MUTANTS_DIR)
    kinds: dict[str, str] = {}
    for index in range(size):
        student = folder / f"student{index:03d}"
        choice = index % 3
        if choice == 0:
            build_submission(student, {})
            kinds[student.name] = "reference"
        elif choice == 1:
            shutil.copytree(paths.EXERCISES_DIR, student, ignore=shutil.ignore_patterns("__pycache__"))
            kinds[student.name] = "stubs"
        else:
            mutant = mutants[(index // 3) % len(mutants)]
            build_submission(student, {module_of(mutant): mutant.read_text()})
            kinds[student.name] = f"mutant {mutant.stem}"
    return kinds


def measure_batch(workdir: Path, size: int) -> Figure:
    klass = workdir / "class"
    kinds = make_class(klass, size)
    seconds, _ = cnnkit_grade(str(klass), "--jobs", "2", "--output", str(workdir / "grades"))
    per_minute = 60.0 * len(kinds) / seconds
    mix = f"{sum(k == 'reference' for k in kinds.values())} reference, {sum(k == 'stubs' for k in kinds.values())} stubs, "
    mix += f"{sum(k.startswith('mutant') for k in kinds.values())} mutants"
    return Figure("batch", "submissions/min", per_minute, *BASELINE["batch"], f"{len(kinds)} submissions ({mix}) in {seconds:.1f} s")


def measure_hang(workdir: Path, cap: float) -> Figure:
    submission = build_submission(workdir / "hanging", {"ex8_training": HANGING_TRAIN_MODEL})
    seconds, done = cnnkit_grade(str(submission), "--format", "json", "--output", str(workdir / "hang.json"), timeout=cap)
    if done is None:
        return Figure("hang", "s", seconds, *BASELINE["hang"], f"cut at the cap of {cap:g} s: not every test was reported")
    report = json.loads((workdir / "hang.json").read_text())
    statuses: dict[str, int] = {}
    earlier = 0  # timeouts answered at once ("timed out earlier in <test>"), not waited out again
    for exercise in report["exercises"]:
        for test in exercise["tests"]:
            statuses[test["status"]] = statuses.get(test["status"], 0) + 1
            earlier += "timed out earlier in" in test["feedback"]
    return Figure("hang", "s", seconds, *BASELINE["hang"],
                  f"every test reported: {statuses}, {earlier} of the timeouts reported at once")


NOTEBOOKS = ("ex1_output_size", "ex2_conv2d")  # the assignments of tests/test_nbgrader.py


def measure_nbgrader(workdir: Path) -> Figure:
    """``nbgrader autograde`` of one student's notebook per assignment: the reference code in the release."""
    import nbformat

    from cnnkit.course.build import write_course

    course = workdir / "course"
    write_course(course, only=list(NOTEBOOKS))
    seconds: dict[str, float] = {}
    for assignment in NOTEBOOKS:
        nbgrader(course, "generate_assignment", assignment, "--force")
        source = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", 4)
        released = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", 4)
        reference = {grade_id(c): c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
        for cell in released.cells:
            cell.source = reference.get(grade_id(cell), cell.source)
        folder = course / "submitted" / "student" / assignment
        folder.mkdir(parents=True)
        nbformat.write(released, folder / f"{assignment}.ipynb")
        started = time.perf_counter()
        nbgrader(course, "autograde", assignment, "--student", "student", "--force")
        seconds[assignment] = time.perf_counter() - started
    detail = ", ".join(f"{name} {value:.1f} s" for name, value in seconds.items())
    return Figure("nbgrader", "s/notebook", max(seconds.values()), *BASELINE["nbgrader"], f"slowest of: {detail}")


def grade_id(cell: Any) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def nbgrader(course: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"}, timeout=1800)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} exited {done.returncode}:\n{done.stderr[-2000:]}")


def measure_kit(workdir: Path) -> Figure:
    """The kit's own test suite as the issue measured it (``python -m pytest -n 2``): minutes."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "-q", "-p", "no:randomly"], cwd=REPO,
                          capture_output=True, text=True)  # fmt: skip
    minutes = (time.perf_counter() - started) / 60.0
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else f"exit {done.returncode}"
    return Figure("kit", "min", minutes, *BASELINE["kit"], summary)


MEASURES: dict[str, Callable[[Path, argparse.Namespace], Figure]] = {
    "suite": lambda workdir, args: measure_suite(workdir, args.repeats),
    "suite1": lambda workdir, args: measure_suite(workdir, args.repeats, "--jobs", "1"),
    "batch": lambda workdir, args: measure_batch(workdir, args.class_size),
    "hang": lambda workdir, args: measure_hang(workdir, args.hang_cap),
    "nbgrader": lambda workdir, args: measure_nbgrader(workdir),
    "kit": lambda workdir, args: measure_kit(workdir),
}
DEFAULT_FIGURES = "suite,batch,hang,nbgrader"  # "kit" takes about 20 minutes: ask for it


def table(figures: list[Figure]) -> str:
    lines = [f"{'figure':<7} {'measured':>24}  {'before':<36} {'goal':<24} detail"]
    for figure in figures:
        measured = f"{figure.measured:.1f} {figure.unit}"
        lines.append(f"{figure.name:<7} {measured:>24}  {figure.baseline:<36} {figure.goal:<24} {figure.detail}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--figures", default=DEFAULT_FIGURES,
                        help=f"comma-separated, from {','.join(MEASURES)} (kit, the kit's own suite, is opt-in: ~20 min)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the full-suite figure (median reported)")
    parser.add_argument("--class-size", type=int, default=6, help="submissions in the batch figure")
    parser.add_argument("--hang-cap", type=float, default=1200.0, help="seconds after which the hang figure gives up")
    parser.add_argument("--out", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.figures.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(MEASURES))
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(unknown)}; choose from {', '.join(MEASURES)}")
    figures = []
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as scratch:
        for name in chosen:
            workdir = Path(scratch) / name
            workdir.mkdir()
            figures.append(MEASURES[name](workdir, args))
            print(table(figures[-1:]).splitlines()[-1], flush=True)
    print()
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {load} (1, 5, 15 min)")
    print(table(figures))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps([asdict(figure) for figure in figures], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
