"""Every route a student uploads by is graded on Gradescope, and an upload with nothing to grade says why.

Each test runs ``cnnkit grade UPLOAD --format gradescope`` as ``run_autograder`` does (exercise 1 only,
for speed) and reads the ``results.json`` it writes, which must validate against Gradescope's schema.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import jsonschema
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from cnnkit import paths
from cnnkit.cli import main as cnnkit_main
from cnnkit.course.notebook import module_marker
from cnnkit.grading import reports

SCHEMA_PATH = paths.ROOT.parent / "shared" / "docs" / "gradescope-results.schema.json"  # beside the checkout
SCHEMA = json.loads(SCHEMA_PATH.read_text()) if SCHEMA_PATH.exists() else None
SOLVED = (paths.SOLUTIONS_DIR / "ex1_output_size.py").read_text()


def _results(upload: Path, tmp_path: Path, *extra: str) -> dict:
    output = tmp_path / "results" / "results.json"
    code = cnnkit_main(["grade", str(upload), "--format", "gradescope", "--output", str(output),
                        "--exercise", "ex1_output_size", *extra])
    assert code == 0 and output.is_file(), code
    results = json.loads(output.read_text())
    if SCHEMA is not None:
        jsonschema.validate(results, SCHEMA)
    return results


def _full_marks(results: dict) -> None:
    assert results["score"] > 0 and all(t["score"] == t["max_score"] for t in results["tests"]), results
    assert math.isclose(sum(t["score"] for t in results["tests"]), results["score"], abs_tol=1e-9)


def test_files_at_the_top(tmp_path: Path):
    upload = tmp_path / "submission"
    upload.mkdir()
    (upload / "ex1_output_size.py").write_text(SOLVED)
    _full_marks(_results(upload, tmp_path))


def test_files_in_a_folder_are_one_submission_not_a_class(tmp_path: Path):
    """A zip's top folder (Gradescope unpacks it): the file is found there, and results.json stays a file."""
    upload = tmp_path / "submission"
    (upload / "my-homework" / "exercises").mkdir(parents=True)
    (upload / "my-homework" / "exercises" / "ex1_output_size.py").write_text(SOLVED)
    (upload / "__MACOSX").mkdir()
    (upload / "__MACOSX" / "ex1_output_size.py").write_text("raise SystemExit('not the student file')")
    results = _results(upload, tmp_path)
    _full_marks(results)
    assert "ex1_output_size from my-homework/exercises/ex1_output_size.py" in results["output"]


def test_the_course_notebooks_are_graded_from_their_code_cells(tmp_path: Path):
    upload = tmp_path / "submission"
    upload.mkdir()
    notebook = new_notebook(cells=[new_markdown_cell("# Exercise 1"),
                                   new_code_cell(f"{module_marker('ex1_output_size')}\n{SOLVED}"),
                                   new_code_cell("check('ex1_output_size', 'test_worked_examples_on_32')")])
    nbformat.write(notebook, upload / "ex1_output_size.ipynb")
    results = _results(upload, tmp_path)
    _full_marks(results)
    assert "ex1_output_size.ipynb (its ex1_output_size code cell)" in results["output"]


@pytest.mark.parametrize("content", ["nothing", "other files"])
def test_an_upload_with_nothing_to_grade_says_what_was_expected_and_found(tmp_path: Path, content: str):
    upload = tmp_path / "submission"
    upload.mkdir()
    if content == "other files":
        (upload / "homework.pdf").write_bytes(b"%PDF-1.4")
        (upload / "conv.py").write_text("def conv2d(x, w): return x\n")
    results = _results(upload, tmp_path)
    assert results["score"] == 0 and results["tests"] == []
    assert "Nothing to grade" in results["output"] and "ex1_output_size.py" in results["output"]
    assert ("homework.pdf" in results["output"]) == (content == "other files")


def test_per_test_points_add_up_to_the_total_exactly():
    """Thirds of a point apportioned to 4 decimals still add up to the total (0.3334 + 0.3333 + 0.3333)."""
    tests = [{"name": f"t[{i}]", "score": 1 / 3, "max_score": 1 / 3, "status": "passed", "feedback": ""}
             for i in range(3)] + [{"name": "u", "score": 0.0, "max_score": 2 / 3, "status": "failed", "feedback": ""}]
    results = reports.to_gradescope({"exercises": [{"name": "x", "module": "ex1_output_size", "tests": tests}]})
    assert sum(t["score"] for t in results["tests"]) == results["score"] == 1.0
    assert math.isclose(sum(t["max_score"] for t in results["tests"]), 5 / 3, abs_tol=1e-4)
    assert all(len(f"{t['score']}".split(".")[-1]) <= 4 for t in results["tests"])


def test_a_folder_of_uploads_is_still_a_class_without_gradescope(tmp_path: Path):
    """Without --format gradescope a folder of folders stays a class (one report per student)."""
    for student in ("ada", "bob"):
        (tmp_path / "class" / student).mkdir(parents=True)
        shutil.copy2(paths.SOLUTIONS_DIR / "ex1_output_size.py", tmp_path / "class" / student)
    assert cnnkit_main(["grade", str(tmp_path / "class"), "--output", str(tmp_path / "grades"),
                        "--exercise", "ex1_output_size"]) == 0
    assert sorted(p.name for p in (tmp_path / "grades").glob("*.json")) == ["ada.json", "bob.json"]
