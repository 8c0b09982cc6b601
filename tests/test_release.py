"""The student release leaks nothing (no solution code, no hidden test) and its public checks run."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnnkit import paths, spec
from cnnkit.course import stubgen
from cnnkit.course.build import HIDDEN_BEGIN, HIDDEN_END
from cnnkit.course.release import write_release

MARKERS = {stubgen.BEGIN, stubgen.END, HIDDEN_BEGIN, HIDDEN_END}
MIN_BODY_CHARS = 60  # shorter bodies (``return x``) are too generic to prove a leak


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_release(tmp_path_factory.mktemp("student") / "release")


def _text_files(root: Path) -> dict[Path, list[str]]:
    """Every text file's lines; a notebook's lines are its cells' source lines."""
    files = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue  # binary (the dataset sample)
        if path.suffix == ".ipynb":
            text = "\n".join("".join(cell["source"]) for cell in json.loads(text)["cells"])
        files[path] = text.splitlines()
    return files


def _normalized(lines: list[str]) -> str:
    """Whitespace-insensitive text: each line stripped, blank and marker lines dropped."""
    return "\n".join(line.strip() for line in lines if line.strip() and line.strip() not in MARKERS)


def function_bodies(path: Path) -> dict[str, str]:
    """``{qualified name: normalized body}`` of every function and method, docstring excluded."""
    source = path.read_text()
    lines = source.splitlines()
    bodies: dict[str, str] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                statements = child.body[1:] if ast.get_docstring(child) else child.body
                if statements:
                    segment = lines[statements[0].lineno - 1 : statements[-1].end_lineno]  # comments included
                    bodies[prefix + child.name] = _normalized(segment)
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")

    visit(ast.parse(source), "")
    return bodies


def secret_bodies() -> dict[str, str]:
    """Reference function bodies not given to students (not in the stub) and long enough to matter."""
    secrets = {}
    for solution in sorted(paths.SOLUTIONS_DIR.glob("*.py")):
        stub = function_bodies(paths.EXERCISES_DIR / solution.name)
        for name, body in function_bodies(solution).items():
            if len(body) >= MIN_BODY_CHARS and body != stub.get(name):
                secrets[f"solutions/{solution.name}::{name}"] = body
    for hidden in sorted(paths.HIDDEN_GRADERS_DIR.glob("*.py")):
        for name, body in function_bodies(hidden).items():
            if len(body) >= MIN_BODY_CHARS:
                secrets[f"graders/hidden/{hidden.name}::{name}"] = body
    return secrets


def test_secret_bodies_are_found():
    """The leak check below has something to look for (and finds it in the solutions themselves)."""
    secrets = secret_bodies()
    conv = secrets["solutions/ex2_conv2d.py::conv2d"]
    assert "einsum" in conv
    assert conv in _normalized((paths.SOLUTIONS_DIR / "ex2_conv2d.py").read_text().splitlines())
    assert not any(name.endswith("::_pair") for name in secrets), "given code is not a secret"


def test_release_has_what_students_need(release: Path):
    for part in ("exercises/ex1_output_size.py", "graders/conftest.py", "graders/test_ex1_output_size.py",
                 "cnnkit/grading/plugin.py", "notebooks/ex2_conv2d/ex2_conv2d.ipynb", "README.md", "pyproject.toml"):
        assert (release / part).is_file(), part
    if paths.DATASETS_DIR.is_dir():
        assert any((release / "datasets").iterdir())
    readme = (release / "README.md").read_text()
    assert "pip install -e ." in readme and "\npytest " in readme
    for exercise in spec.EXERCISES:  # what counts: every exercise's points, and how to hand it in
        assert f"| {exercise.number} | `{exercise.module}`: {exercise.title} | {exercise.points:g} |" in readme
    assert "## Submitting" in readme and "hidden checks" in readme


def test_student_install_has_no_notebook_server_or_nbgrader_unless_asked(release: Path):
    import tomllib

    project = tomllib.loads((release / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if d.startswith(("nbgrader", "jupyter", "notebook"))]
    assert any(d.startswith("jupyterlab") for d in project["optional-dependencies"]["notebooks"])


def test_release_has_no_solution_or_hidden_folder(release: Path):
    names = {p.relative_to(release).as_posix() for p in release.rglob("*")}
    assert not any(n == "solutions" or n.startswith("solutions/") for n in names)
    assert not any(n.startswith("graders/hidden") or n.startswith("tests/") for n in names)
    assert not list(release.rglob("*.db")), "no nbgrader gradebook"


def test_no_file_has_solution_or_hidden_markers(release: Path):
    for path, lines in _text_files(release).items():
        marked = [line for line in lines if line.strip() in MARKERS]
        assert not marked, f"{path.relative_to(release)} keeps a marker region: {marked[:2]}"


def test_no_file_contains_reference_or_hidden_code(release: Path):
    secrets = secret_bodies()
    for path, lines in _text_files(release).items():
        text = _normalized(lines)
        leaked = [name for name, body in secrets.items() if body in text]
        assert not leaked, f"{path.relative_to(release)} contains the code of {leaked}"


def test_public_checks_run_in_the_release_and_give_zero_on_the_stubs(release: Path, tmp_path: Path):
    report = tmp_path / "report.json"
    environment = {**os.environ, "CNNKIT_ROOT": str(release), "PYTHONPATH": str(release)}
    command = [sys.executable, "-m", "pytest", "graders", "-q", "-p", "no:cacheprovider", "--cnnkit-report",
               str(report), "-W", "ignore::DeprecationWarning"]  # fmt: skip
    completed = subprocess.run(command, cwd=release, env=environment, capture_output=True, text=True, timeout=900)
    assert report.exists(), completed.stdout[-3000:] + completed.stderr[-3000:]
    result = json.loads(report.read_text())
    assert str(release) in result["submission"]
    assert result["score"] == 0 and result["max_score"] > 0
    public = sorted(p.stem[len("test_"):] for p in (release / "graders").glob("test_*.py"))
    assert sorted(e["module"] for e in result["exercises"]) == public
    for exercise in result["exercises"]:
        for test in exercise["tests"]:
            assert test["visibility"] == "public"
            assert "grader error" not in test["feedback"], (exercise["module"], test)


def _graded_in(folder: Path, *command: str) -> str:
    """Run ``command`` in ``folder`` as a student would: the kit imported from this checkout (the installed
    copy), no ``CNNKIT_ROOT``."""
    environment = {key: value for key, value in os.environ.items() if key != "CNNKIT_ROOT"}
    done = subprocess.run([sys.executable, "-m", *command], cwd=folder, env=environment, capture_output=True,
                          text=True, timeout=900)
    return done.stdout + done.stderr


def test_the_folder_the_student_is_in_is_graded_not_the_installed_copy(release: Path, tmp_path: Path):
    """Two copies of the release, one with exercise 1 done: each grades its own ``exercises/`` (the kit itself
    is imported from this checkout in both, as a student's other clone would be), and says which folder."""
    import shutil

    done = tmp_path / "second-clone"
    shutil.copytree(release, done)
    shutil.copy2(paths.SOLUTIONS_DIR / "ex1_output_size.py", done / "exercises" / "ex1_output_size.py")
    for command in (("pytest", "graders", "-m", "ex1_output_size", "-p", "no:cacheprovider"),
                    ("cnnkit.cli", "grade", "--exercise", "ex1_output_size")):
        stubs, solved = _graded_in(release, *command), _graded_in(done, *command)
        assert f"Grading {release / 'exercises'} (public checks)" in stubs, stubs[-2000:]
        assert f"Grading {done / 'exercises'} (public checks)" in solved, solved[-2000:]
        total = [line for line in stubs.splitlines() + solved.splitlines() if line.startswith("TOTAL")]
        (zero, _, out_of), (full, _, of) = (line.split()[1:4] for line in total)
        assert zero == "0" and full == of == out_of != "0", total


def test_an_error_three_calls_deep_names_the_students_file_and_line_in_the_release(release: Path, tmp_path: Path):
    """The release as a student has it: exercise 2 raises IndexError in a helper three calls below ``conv2d``
    (the scenario of ``benchmarks/feedback_scenarios.py``); the report names the student's file, the line
    that raised, its source and the calls that led there, once."""
    import importlib.util
    import shutil

    found = importlib.util.spec_from_file_location("scenarios", paths.ROOT / "benchmarks" / "feedback_scenarios.py")
    scenarios = importlib.util.module_from_spec(found)
    found.loader.exec_module(scenarios)
    student = tmp_path / "release"
    shutil.copytree(release, student)
    source = scenarios.SCENARIOS["ex2_index_error_helper"]["ex2_conv2d"]
    (student / "exercises" / "ex2_conv2d.py").write_text(source)
    raising = 1 + next(i for i, line in enumerate(source.splitlines()) if "sizes[4]" in line)
    text = _graded_in(student, "cnnkit.cli", "grade", "--exercise", "ex2_conv2d")
    where = [line.strip() for line in text.splitlines() if line.strip().startswith("where (your code):")]
    assert where == [f"where (your code): ex2_conv2d.py, line {raising}, in _last_two"], text[-3000:]
    assert "sizes[2], sizes[4]" in text and "-> _window_sizes" in text and "the same in" in text, text[-3000:]
