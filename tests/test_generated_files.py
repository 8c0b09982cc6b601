"""Generated files must match their single source (solutions/ and cnnkit.spec)."""

from __future__ import annotations

import ast

import pytest

from cnnkit import paths, spec
from cnnkit.course import stubgen


def test_exercises_are_generated_from_solutions():
    stale = stubgen.stale_files()
    assert not stale, f"exercises/ is stale for {stale}: run `cnnkit stubs` and commit the result"


@pytest.mark.parametrize("module", [e.module for e in spec.EXERCISES])
def test_stub_has_no_solution_code(module):
    text = (paths.EXERCISES_DIR / f"{module}.py").read_text()
    assert stubgen.BEGIN not in text and stubgen.END not in text
    assert f'raise NotImplementedError("{module}: write' in text
    ast.parse(text)  # the stub is valid Python


@pytest.mark.parametrize("module", [e.module for e in spec.EXERCISES])
def test_every_declared_function_exists_in_both(module):
    for folder in (paths.SOLUTIONS_DIR, paths.EXERCISES_DIR):
        tree = ast.parse((folder / f"{module}.py").read_text())
        defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        missing = set(spec.exercise(module).functions) - defined
        assert not missing, f"{folder.name}/{module}.py lacks {missing}"


def test_every_exercise_has_a_public_grader():
    for exercise in spec.EXERCISES:
        assert (paths.GRADERS_DIR / f"test_{exercise.module}.py").exists(), exercise.module


def test_marker_errors_are_reported():
    with pytest.raises(stubgen.MarkerError):
        stubgen.strip_solutions("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "ex1_output_size")
    with pytest.raises(stubgen.MarkerError):
        stubgen.strip_solutions("def f():\n    ### END SOLUTION\n", "ex1_output_size")
