"""Graders, notebooks and releases written before 0.2's package layout keep working with this kit.

0.2 moved the flat modules into packages (``cnnkit.grading``, ``cnnkit.course``, ``cnnkit.mnist``);
``cnnkit.MOVED`` answers every old module name with the module at its new place, with a
``DeprecationWarning`` that names the new place and the version removing the old name.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import cnnkit
from cnnkit import paths, spec

# What the graders of the 0.1 release imported (the lines as they were written then).
OLD_GRADER_IMPORTS = """
from cnnkit.pytest_plugin import pytest_addoption, pytest_configure, ref, sub
from cnnkit.checks import Hint, check_tensor, fail
from cnnkit.strategies import tensor, tensor_cases
from cnnkit.known_gradients import ConvLoss, WeightedSine
from cnnkit.notebook import check, use_cells_as_modules
from cnnkit.autograde import SandboxGrades
from cnnkit.data import Batches, load_sample, normalize
from cnnkit.grading import GraderFault, grade_submission, pytest_command
from cnnkit.course import CollectionFailed
from cnnkit.sandbox.ops import LoopSetup, build_count_model, load_by_position
from cnnkit import compare, course, fast_layers, feedback, grade, mnist_grading, release, reports, stubgen
from cnnkit import batch, submission, tolerances
"""


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(paths.ROOT)})  # fmt: skip


def test_every_old_name_is_the_module_at_its_new_place():
    check = "\n".join(
        f"import {old}, {new}\nassert sys.modules[{old!r}] is sys.modules[{new!r}], {old!r}"
        for old, new in cnnkit.MOVED.items()
    )
    done = _python("import sys\n" + check + "\n" + OLD_GRADER_IMPORTS + "\nprint('ok')")
    assert done.stdout.strip() == "ok", done.stderr[-2000:]


def _warnings_of(code: str) -> list[str]:
    """The warnings ``code`` raises in a fresh interpreter (every one shown: ``-W always``), one a line."""
    done = subprocess.run([sys.executable, "-W", "always::DeprecationWarning", "-c", code], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(paths.ROOT)})  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return [line for line in done.stderr.splitlines() if "Warning" in line]


def test_an_old_module_name_warns_naming_its_new_place_and_the_removal():
    moved = list(cnnkit.MOVED.items())
    code = "import cnnkit, " + ", ".join(sorted(set(cnnkit.MOVED.values())))
    code += "".join(f"\nimport {old}" for old, _ in moved)
    expected = [f"<string>:{line}: DeprecationWarning: {old} is now {new}; the old name will be removed in cnnkit 0.5"
                for line, (old, new) in enumerate(moved, start=2)]
    assert _warnings_of(code) == expected
    assert cnnkit.OLD_NAMES_REMOVED_IN == "0.5"


def test_an_old_name_of_a_package_warns_but_its_submodules_do_not():
    shown = _warnings_of("from cnnkit.grading import server, hints\nfrom cnnkit.course import stubgen\n"
                         "from cnnkit.grading import grade_submission")
    assert set(shown) == {"<string>:3: DeprecationWarning: cnnkit.grading.grade_submission is now "
                          "cnnkit.grading.runner.grade_submission; the old name will be removed in cnnkit 0.5"}
    assert _warnings_of("import cnnkit.grading.runner, cnnkit.grading.plugin, cnnkit.course.build") == []


def _with_old_names(text: str) -> str:
    """The text as 0.1 wrote it: every moved module under its old name."""
    for old, new in sorted(cnnkit.MOVED.items(), key=lambda item: -len(item[1])):
        text = re.sub(rf"\b{re.escape(new)}\b", old, text)
    return text


def test_graders_written_with_the_old_names_still_grade(tmp_path: Path):
    """The public and hidden graders of two exercises, rewritten to 0.1's imports, give full marks."""
    graders = tmp_path / "graders"
    (graders / "hidden").mkdir(parents=True)
    modules = ("ex6_softmax", "ex9_gradcheck")  # between them: checks, strategies, known_gradients, plugin
    copied = [graders / "conftest.py", graders / "__init__.py", graders / "hidden" / "__init__.py"]
    for module in modules:
        copied += [graders / f"test_{module}.py", graders / "hidden" / f"test_{module}.py"]
    for target in copied:
        source = paths.ROOT / target.relative_to(tmp_path)
        target.write_text(_with_old_names(source.read_text()))
    old_text = "".join(path.read_text() for path in copied)
    for old in ("cnnkit.pytest_plugin", "cnnkit.checks", "cnnkit.strategies", "cnnkit.known_gradients"):
        assert old in old_text, f"the rewritten graders should import {old}"
    assert "cnnkit.grading." not in old_text
    shutil.copytree(paths.SOLUTIONS_DIR, tmp_path / "solutions")

    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "pytest", str(graders), "-q", "-p", "no:cacheprovider", "--rootdir",
               str(tmp_path), "--submission", str(tmp_path / "solutions"), "--cnnkit-report", str(report)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(paths.ROOT)})  # fmt: skip
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(report.read_text())
    scores = {exercise["module"]: (exercise["score"], exercise["max_score"]) for exercise in result["exercises"]}
    assert scores == {module: (spec.exercise(module).points,) * 2 for module in modules}, scores
