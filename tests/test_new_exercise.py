"""docs/new-exercise.md ("Writing a new exercise"), walked on a copy of the kit with a toy exercise.

The toy (``ex99_toy``: square every element) gets every step a real exercise gets, and nothing else:
a spec entry and its row in README's points table, a solution with markers, a generated stub, public
and hidden graders whose points add up to the spec's, a curriculum module with the hint of the mistake
its graders recognise, a mutant, and its notebook. Its graders, run as that page says, give the
reference full marks, the stub zero, and the mutant less than full marks, with the curriculum's hint.
The copy is a git repository: the files the steps touched are exactly ``TOUCHED`` (no other file of
the kit needs an edit for a new exercise: the grading server's preloads, the plugin, the course).
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
        support=("cnnkit.curriculum.ex99_toy",),
        points=3,
    ),
'''
README_ROW = "| `ex99_toy` | Toy: square every element | 3 |"
CURRICULUM = '''"""Exercise 99's hints: what the feedback says when a grader recognises a known mistake."""

from __future__ import annotations

from collections.abc import Mapping

from cnnkit.grading.hints import HintText

HINTS: Mapping[str, HintText] = {
    "sign_kept": HintText("a square is never negative: the negative elements kept their sign",
                          "multiply each element by itself, sign included"),
}
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

from cnnkit.grading.checks import Mistake, check_tensor


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", [(3,), (2, 4)])
def test_square_values(sub, shape):
    """Every element squared, negative ones too."""
    x = torch.arange(-4.0, -4.0 + torch.Size(shape).numel()).reshape(shape)
    check_tensor(sub.square(x), x * x, what="square(x)", hints=[Mistake("sign_kept", lambda: x * x.abs())])
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


#: What the steps touch, as ``git status --porcelain`` says it: M(odified) or ?? (new).
TOUCHED = {
    "README.md": "M",
    "cnnkit/spec.py": "M",
    "cnnkit/curriculum/ex99_toy.py": "??",
    "solutions/ex99_toy.py": "??",
    "exercises/ex99_toy.py": "??",
    "graders/test_ex99_toy.py": "??",
    "graders/hidden/test_ex99_toy.py": "??",
    "tests/mutants/ex99_toy__keeps_the_sign.py": "??",
}


def git(kit: Path, *args: str) -> str:
    """``git <args>`` in the copy (an identity of its own: the copy's commits are its own)."""
    command = ["git", "-c", "user.name=cnnkit", "-c", "user.email=cnnkit@localhost", *args]
    return subprocess.run(command, cwd=kit, capture_output=True, text=True, check=True).stdout


def tracked_copy(target: Path) -> Path:
    """The repository's tracked files (what a fresh clone has), copied to ``target``, committed there."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=paths.ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: the tracked files are unknown")
    for name in filter(None, listed.stdout.split("\0")):
        source = paths.ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git(target, "init", "-q")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "the kit as cloned")
    return target


def touched(kit: Path) -> dict[str, str]:
    """The files changed or added in the copy since it was made: path -> git's status ("M", "??")."""
    lines = git(kit, "status", "--porcelain", "--untracked-files=all").splitlines()
    return {line[3:]: line[:2].strip() for line in lines}


def add_spec_entry(kit: Path) -> None:
    """Step 1: the exercise's entry, last in ``spec.EXERCISES``, and its row in README's points table."""
    spec_file = kit / "cnnkit" / "spec.py"
    text = spec_file.read_text()
    start = text.index("EXERCISES: tuple[Exercise, ...] = (")
    end = text.index("\n)\n", start) + 1  # the line closing the tuple
    spec_file.write_text(text[:end] + SPEC_ENTRY + text[end:])
    readme = kit / "README.md"
    lines = readme.read_text().splitlines(keepends=True)
    total = next(index for index, line in enumerate(lines) if line.startswith("| | **total** |"))
    old_total = float(lines[total].split("**")[3])
    lines[total] = f"| | **total** | **{old_total + 3:g}** |\n"
    lines.insert(total, README_ROW + "\n")
    readme.write_text("".join(lines))


def in_kit(kit: Path, *command: str) -> subprocess.CompletedProcess:
    """Run ``python <command>`` with the copy's cnnkit importable and its root as the kit root."""
    env = {**os.environ, "PYTHONPATH": str(kit), "CNNKIT_ROOT": str(kit)}
    return subprocess.run([sys.executable, *command], cwd=kit, env=env, capture_output=True, text=True)


def grade(kit: Path, submission: Path, report: Path) -> dict:
    """docs/new-exercise.md's command: ``python -m pytest graders --submission DIR -m <module>``."""
    done = in_kit(kit, "-m", "pytest", str(kit / "graders"), "--submission", str(submission), "-m", MODULE,
                  "-q", "-p", "no:cacheprovider", "--cnnkit-report", str(report))
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(report.read_text())
    assert [exercise["module"] for exercise in result["exercises"]] == [MODULE], done.stdout[-3000:]
    return result


@pytest.mark.slow  # about two minutes: the kit copied, three grading runs, the notebook, the kit's checks
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
    (kit / "cnnkit" / "curriculum" / f"{MODULE}.py").write_text(CURRICULUM)
    (kit / "tests" / "mutants" / f"{MODULE}__keeps_the_sign.py").write_text(MUTANT)
    course = in_kit(kit, "-m", "cnnkit", "course", "--out", str(tmp_path / "course"), "--assignment", MODULE)
    notebook = tmp_path / "course" / "source" / MODULE / f"{MODULE}.ipynb"
    assert course.returncode == 0 and "def square" in notebook.read_text(), course.stdout + course.stderr

    reference = grade(kit, kit / "solutions", tmp_path / "reference.json")
    assert reference["score"] == reference["max_score"] == 3  # public 2 + hidden 1: the spec's points
    assert {test["visibility"] for test in reference["exercises"][0]["tests"]} == {"public", "hidden"}
    stubbed = grade(kit, kit / "exercises", tmp_path / "stub.json")
    assert stubbed["score"] == 0 and stubbed["max_score"] == 3
    mutant = build_submission(tmp_path / "mutant", {MODULE: MUTANT}, base=kit / "solutions")
    graded = grade(kit, mutant, tmp_path / "mutant.json")
    assert graded["score"] < graded["max_score"] == 3
    assert "the negative elements kept their sign" in json.dumps(graded)  # the curriculum module's hint

    # The kit's own checks of what the steps touch: stubs current, points table, preloaded curriculum.
    check = in_kit(kit, "-m", "cnnkit", "stubs", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    table = in_kit(kit, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_graders.py", "-k",
                   "readme_points_table or points_add_up")
    assert table.returncode == 0, table.stdout[-3000:]
    preload = in_kit(kit, "-c", "from cnnkit.grading import server; print(server.PRELOAD[-1])")
    assert preload.stdout.strip() == f"cnnkit.curriculum.{MODULE}", preload.stderr

    files = touched(kit)
    print("files the steps touched:", *(f"{status:>2} {path}" for path, status in sorted(files.items())), sep="\n  ")
    assert files == TOUCHED
