"""The grader tests' fixtures: ``sub`` (the student's module, in a sandbox worker) and ``ref`` (the reference
solution, in-process), and what names a grader file's exercise."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cnnkit import paths, spec
from cnnkit.grading.submission import Submission

if TYPE_CHECKING:
    from cnnkit.grading.plugin import GradingSession


def exercise_of(path: Path) -> str | None:
    """``.../test_ex2_conv2d.py`` -> ``ex2_conv2d`` when that is a known exercise."""
    stem = path.stem
    module = stem[len("test_"):] if stem.startswith("test_") else stem
    return module if module in spec.BY_MODULE else None


def _session(request: pytest.FixtureRequest) -> GradingSession:
    return request.config.pluginmanager.get_plugin("cnnkit-grading")


@pytest.fixture(scope="module")
def sub(request: pytest.FixtureRequest):
    """The student's module for this grader file's exercise, running in a sandbox worker."""
    module = exercise_of(Path(str(request.path)))
    if module is None:
        raise pytest.UsageError(f"{request.path} is not named test_<exercise module>.py")
    session = _session(request)
    # The exercise's sandbox, looked up at each call: the session keeps one per exercise (public
    # and hidden tests share it) and stops it when the next test grades another exercise.
    return Submission(module, lambda: session.sandbox_for(module))


@pytest.fixture(scope="module")
def ref(request: pytest.FixtureRequest):
    """The reference solution of this grader file's exercise (trusted, runs in-process)."""
    module = exercise_of(Path(str(request.path)))
    return load_reference(module)


def load_reference(module: str) -> Any:
    """Import ``solutions/<module>.py`` under a private name (its siblings importable too)."""
    name = f"cnnkit_reference_{module}"
    if name in sys.modules:
        return sys.modules[name]
    path = paths.SOLUTIONS_DIR / f"{module}.py"
    if not path.exists():
        pytest.skip(f"the reference solutions are not here ({paths.SOLUTIONS_DIR})")
    sys.path.insert(0, str(paths.SOLUTIONS_DIR))
    try:
        loaded_spec = importlib.util.spec_from_file_location(name, path)
        loaded = importlib.util.module_from_spec(loaded_spec)
        sys.modules[name] = loaded
        loaded_spec.loader.exec_module(loaded)
    finally:
        sys.path.remove(str(paths.SOLUTIONS_DIR))
    return loaded
