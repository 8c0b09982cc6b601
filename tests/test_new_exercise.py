"""README's "Writing or changing an exercise", walked on a copy of the kit with a toy exercise.

The toy (``ex99_toy``: square every element) gets every step a real exercise gets: a spec entry,
a solution with markers, a generated stub, public and hidden graders whose points add up to the
spec's, and a mutant. Its graders, run as the README says, give the reference full marks, the
stub zero, and the mutant less than full marks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import build_submission

from cnnkit import paths

MODULE = "ex99_toy"
SPEC_ENTRY = f'''    Exercise(
        "{MODULE}",
        "Toy: square every element",
        ("square",),
        forbidden=("pow", "square"),
        forbidden_why="the exercise is to square with a multiplication",
        points=3,
    ),
'''
SOLUTION = '''"""Exercise 99: a toy, squaring every element.

Shapes: ``x`` of any shape -> the same shape.
"""

from __future__ import annotations

import torch


def square(x: torch.Tensor) -> torch.Tensor:
    """Each element of ``x`` times itself: ``x`` of any shape, the result of the same shape and dtype."""
    ### BEGIN SOLUTION
    return x * x
    ### END SOLUTION
'''
PUBLIC_GRADER = '''"""Public checks for the toy exercise."""

import pytest
import torch


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", [(3,), (2, 4)])
def test_square_values(sub, shape):
    """Every element squared, negative ones too."""
    x = torch.arange(-4.0, -4.0 + torch.Size(shape).numel()).reshape(shape)
    got = sub.square(x)
    assert torch.equal(got, x * x), f"square: got {got.tolist()}, expected {(x * x).tolist()}"
'''
HIDDEN_GRADER = '''"""Hidden checks for the toy exercise: the reference is the oracle."""

import pytest
import torch


@pytest.mark.points(1)
def test_square_matches_the_reference(sub, ref):
    x = torch.linspace(-3, 3, 7, dtype=torch.float64)
    assert torch.equal(sub.square(x), ref.square(x)), "square: differs from the reference"
'''
MUTANT = '''"""Keeps the sign: x * |x| instead of x * x."""


def square(x):
    return x * x.abs()
'''


def tracked_copy(target: Path) -> Path:
    """The repository's tracked files (what a fresh clone has), copied to ``target``."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=paths.ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: the tracked files are unknown")
    for name in filter(None, listed.stdout.split("\0")):
        source = paths.ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def add_spec_entry(kit: Path) -> None:
    """Step 1: the exercise's entry, last in ``spec.EXERCISES``."""
    spec_file = kit / "cnnkit" / "spec.py"
    text = spec_file.read_text()
    start = text.index("EXERCISES: tuple[Exercise, ...] = (")
    end = text.index("\n)\n", start) + 1  # the line closing the tuple
    spec_file.write_text(text[:end] + SPEC_ENTRY + text[end:])


def in_kit(kit: Path, *command: str) -> subprocess.CompletedProcess:
    """Run ``python <command>`` with the copy's cnnkit importable and its root as the kit root."""
    env = {**os.environ, "PYTHONPATH": str(kit), "CNNKIT_ROOT": str(kit)}
    return subprocess.run([sys.executable, *command], cwd=kit, env=env, capture_output=True, text=True)


def grade(kit: Path, submission: Path, report: Path) -> dict:
    """README's command: ``python -m pytest graders --submission DIR -m <module>``."""
    done = in_kit(kit, "-m", "pytest", str(kit / "graders"), "--submission", str(submission), "-m", MODULE,
                  "-q", "-p", "no:cacheprovider", "--cnnkit-report", str(report))
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(report.read_text())
    assert [exercise["module"] for exercise in result["exercises"]] == [MODULE], done.stdout[-3000:]
    return result


@pytest.mark.slow  # about a minute: the kit copied, three grading runs
def test_a_new_exercise_walks_the_readme_steps(tmp_path: Path):
    kit = tracked_copy(tmp_path / "kit")
    add_spec_entry(kit)
    (kit / "solutions" / f"{MODULE}.py").write_text(SOLUTION)
    stubs = in_kit(kit, "-m", "cnnkit", "stubs")
    assert stubs.returncode == 0 and f"{MODULE}.py" in stubs.stdout, stubs.stdout + stubs.stderr
    stub = (kit / "exercises" / f"{MODULE}.py").read_text()
    assert "x * x" not in stub and f'raise NotImplementedError("{MODULE}: write square")' in stub
    (kit / "graders" / f"test_{MODULE}.py").write_text(PUBLIC_GRADER)
    (kit / "graders" / "hidden" / f"test_{MODULE}.py").write_text(HIDDEN_GRADER)
    (kit / "tests" / "mutants" / f"{MODULE}__keeps_the_sign.py").write_text(MUTANT)

    reference = grade(kit, kit / "solutions", tmp_path / "reference.json")
    assert reference["score"] == reference["max_score"] == 3  # public 2 + hidden 1: the spec's points
    assert {test["visibility"] for test in reference["exercises"][0]["tests"]} == {"public", "hidden"}
    stubbed = grade(kit, kit / "exercises", tmp_path / "stub.json")
    assert stubbed["score"] == 0 and stubbed["max_score"] == 3
    mutant = build_submission(tmp_path / "mutant", {MODULE: MUTANT}, base=kit / "solutions")
    graded = grade(kit, mutant, tmp_path / "mutant.json")
    assert graded["score"] < graded["max_score"] == 3
