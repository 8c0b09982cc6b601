"""Grading time of the reference solutions here against another commit of the kit, as a ratio.

A detached worktree of ``REV`` is made (and removed afterwards); ``cnnkit grade solutions`` (public
and hidden checks, every exercise both trees have, or those given with ``--exercise``) runs in each
tree in turn, ``--rounds`` times, alternating, so that the machine's drift falls on both alike. It
prints each run's wall time and score, the medians, and the ratio here / ``REV``. The worktree's
``cnnkit`` is the one imported there (``python -m`` puts the working folder first on the path).

Timing is noisy: run it alone on a quiet machine. It asserts nothing.

    python benchmarks/bench_against.py 062506b [--rounds 3] [--exercise ex1_output_size ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def exercises_of(tree: Path) -> set[str]:
    return {path.stem for path in (tree / "solutions").glob("ex*.py")}


def grade_once(tree: Path, exercises: list[str]) -> tuple[float, str]:
    """Wall seconds of one ``cnnkit grade solutions`` in ``tree``, and its score (or its exit code)."""
    options = [option for module in exercises for option in ("--exercise", module)]
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "cnnkit", "grade", "solutions", *options, "--format", "json"],
                          cwd=tree, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        return seconds, f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"
    report = json.loads(done.stdout)
    return seconds, f"{report['score']:g}/{report['max_score']:g}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", help="the commit to compare with (any git revision)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--exercise", action="append", default=[], help="grade only these (default: all both have)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cnnkit-bench-") as scratch:
        other = Path(scratch) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(other), args.rev], cwd=HERE, check=True)
        try:
            exercises = args.exercise or sorted(exercises_of(HERE) & exercises_of(other),
                                                key=lambda m: int(m[2:].split("_")[0]))
            trees = {args.rev: other, "here": HERE}
            times: dict[str, list[float]] = {name: [] for name in trees}
            print(f"{len(exercises)} exercises: {' '.join(exercises)}")
            for round_number in range(1, args.rounds + 1):
                for name, tree in trees.items():
                    seconds, score = grade_once(tree, exercises)
                    times[name].append(seconds)
                    print(f"round {round_number}  {name:>12}  {seconds:6.2f} s  {score}", flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=HERE, check=False)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print("medians: " + ", ".join(f"{name} {value:.2f} s" for name, value in medians.items())
          + f"; ratio here/{args.rev} {medians['here'] / medians[args.rev]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
