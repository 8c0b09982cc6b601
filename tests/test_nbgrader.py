"""nbgrader round trip, with real nbgrader: course -> release -> three students -> autograde -> feedback.

Students: ``full`` (the reference code in every code cell), ``stubs`` (the released notebooks
untouched) and ``tamper`` (exercise 1 with a known mistake, a locked test cell rewritten to
print "passed", another test cell deleted) and ``patcher`` (exercise 1's stub plus a code cell that
replaces ``cnnkit.course.notebook.check``). The gradebook must say: full marks, zero, exactly what the
kit's own grader gives that mistaken code, and zero.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from helpers import MUTANTS_DIR, build_submission
from test_release import MARKERS, _normalized, secret_bodies

from cnnkit import paths
from cnnkit.course.build import collect_registry, write_course
from cnnkit.grading.runner import grade_submission

pytestmark = pytest.mark.slow

ASSIGNMENTS = ["ex1_output_size", "ex2_conv2d"]  # both have hidden tests; ex1 is the tampered one
MUTANT = MUTANTS_DIR / "ex1_output_size__no_validation.py"
EDITED_TEST, DELETED_TEST = "test_rejects_invalid_arguments", "test_matches_torch_conv_layer"
NBGRADER = [sys.executable, "-m", "nbgrader"]
TIMINGS: dict[str, float] = {}


def nbgrader(course: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    completed = subprocess.run([*NBGRADER, *args], cwd=course, capture_output=True, text=True, timeout=timeout,
                               env={**os.environ, "PYTHONWARNINGS": "ignore"})  # fmt: skip
    assert completed.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{completed.stderr[-4000:]}"
    return completed


def _grade_id(cell: nbformat.NotebookNode) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def submit(course: Path, student: str, assignment: str, notebook: nbformat.NotebookNode) -> None:
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, folder / f"{assignment}.ipynb")


def with_code(released: nbformat.NotebookNode, code: dict[str, str]) -> nbformat.NotebookNode:
    """The released notebook with each code cell (by grade id) replaced by ``code[grade id]``."""
    notebook = nbformat.from_dict(released)
    for cell in notebook.cells:
        if _grade_id(cell) in code:
            cell.source = code[_grade_id(cell)]
    return notebook


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The course after generate_assignment, three submissions, autograde and generate_feedback."""
    course = tmp_path_factory.mktemp("nbgrader") / "course"
    write_course(course, only=ASSIGNMENTS)
    for assignment in ASSIGNMENTS:
        nbgrader(course, "generate_assignment", assignment, "--force")
    source = {a: nbformat.read(course / "source" / a / f"{a}.ipynb", 4) for a in ASSIGNMENTS}
    release = {a: nbformat.read(course / "release" / a / f"{a}.ipynb", 4) for a in ASSIGNMENTS}
    for assignment in ASSIGNMENTS:
        cells = source[assignment].cells
        reference = {_grade_id(c): c.source for c in cells if c.metadata.get("nbgrader", {}).get("solution")}
        submit(course, "full", assignment, with_code(release[assignment], reference))
        submit(course, "stubs", assignment, release[assignment])
    submit(course, "tamper", "ex1_output_size", tampered(source["ex1_output_size"], release["ex1_output_size"]))
    submit(course, "patcher", "ex1_output_size", patched_check(release["ex1_output_size"]))
    for assignment in ASSIGNMENTS:  # every student of an assignment in one nbgrader run, as a class is graded
        started = time.perf_counter()
        nbgrader(course, "autograde", assignment, "--force")
        TIMINGS[assignment] = time.perf_counter() - started
        nbgrader(course, "generate_feedback", assignment, "--force")
    print("autograde wall time per assignment, all its students (s):", {k: round(v, 1) for k, v in TIMINGS.items()})
    return course


def tampered(source: nbformat.NotebookNode, released: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Exercise 1 with a known mistake; one locked test cell rewritten, another deleted."""
    code_id = "ex1_output_size__code"
    reference = next(c.source for c in source.cells if _grade_id(c) == code_id)
    notebook = with_code(released, {code_id: reference + "\n\n" + MUTANT.read_text()})
    for cell in notebook.cells:
        if _grade_id(cell) == f"ex1_output_size__{EDITED_TEST}":
            cell.source = 'print("passed")'
    notebook.cells = [c for c in notebook.cells if _grade_id(c) != f"ex1_output_size__{DELETED_TEST}"]
    return notebook


PATCH_CHECK = """

# The student's kernel runs this: every check then "passes" without grading anything.
import builtins
import cnnkit.course.notebook as nb

nb.check = lambda *args, **kwargs: None
builtins.check = nb.check
"""


def patched_check(released: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Exercise 1's stub untouched, plus code in its code cell that replaces ``cnnkit.course.notebook.check``."""
    code_id = "ex1_output_size__code"
    stub = next(c.source for c in released.cells if _grade_id(c) == code_id)
    return with_code(released, {code_id: stub + PATCH_CHECK})


def scores(course: Path, student: str) -> dict[str, tuple[float, float]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        result = {}
        for assignment in ASSIGNMENTS:
            try:
                submission = gradebook.find_submission(assignment, student)
            except Exception:  # noqa: BLE001  (nbgrader.api.MissingEntry: not submitted)
                continue
            result[assignment] = (submission.score, submission.max_score)
        return result


def hidden_test_names() -> set[str]:
    return {t.name for t in collect_registry() if t.visibility == "hidden" and t.module in ASSIGNMENTS}


def test_each_assignment_has_hidden_tests_and_the_graders_points():
    registry = collect_registry()
    for assignment in ASSIGNMENTS:
        assert any(t.visibility == "hidden" for t in registry if t.module == assignment), assignment


def test_release_has_no_solution_code_and_no_hidden_tests(course: Path):
    secrets = secret_bodies()
    hidden = hidden_test_names()
    released = list((course / "release").rglob("*"))
    assert released and not [p for p in released if p.suffix not in (".ipynb", "")], "only notebooks are released"
    for path in (p for p in released if p.suffix == ".ipynb"):
        lines = [line for cell in nbformat.read(path, 4).cells for line in cell.source.splitlines()]
        assert not [line for line in lines if line.strip() in MARKERS], path
        text = _normalized(lines)
        assert not [name for name, body in secrets.items() if body in text], path
        assert not [name for name in hidden if name in text], path


def test_reference_gets_full_marks(course: Path):
    for assignment, (score, max_score) in scores(course, "full").items():
        expected_max = grade_submission(paths.SOLUTIONS_DIR, exercises=[assignment])["max_score"]
        assert score == max_score == pytest.approx(expected_max), (assignment, score, max_score, expected_max)


def test_stubs_get_zero(course: Path):
    graded = scores(course, "stubs")
    assert set(graded) == set(ASSIGNMENTS)
    assert all(score == 0 and max_score > 0 for score, max_score in graded.values()), graded


def test_patching_check_in_a_code_cell_scores_zero(course: Path):
    """Scores come from the kit's sandboxed grading of the extracted code, not from the student's kernel."""
    score, max_score = scores(course, "patcher")["ex1_output_size"]
    assert score == 0 < max_score
    autograded = nbformat.read(course / "autograded/patcher/ex1_output_size/ex1_output_size.ipynb", 4)
    outputs = [o for c in autograded.cells if _grade_id(c).startswith("ex1_output_size__test") for o in c.outputs]
    assert any("not implemented" in o.get("text", "") for o in outputs), outputs[:3]


def test_tampering_student_gets_exactly_what_the_kit_grader_gives(course: Path, tmp_path: Path):
    score, max_score = scores(course, "tamper")["ex1_output_size"]
    submission = build_submission(tmp_path / "mutant", {"ex1_output_size": MUTANT.read_text()})
    report = grade_submission(submission, exercises=["ex1_output_size"])
    assert max_score == pytest.approx(report["max_score"])  # the kit sums per-case shares: 5.000000000000002
    assert score == pytest.approx(report["score"]) and 0 < score < max_score, (score, report["score"])
    autograded = nbformat.read(course / "autograded/tamper/ex1_output_size/ex1_output_size.ipynb", 4)
    ids = [_grade_id(c) for c in autograded.cells]
    assert f"ex1_output_size__{DELETED_TEST}" in ids, "the deleted cell was put back"
    edited = next(c for c in autograded.cells if _grade_id(c) == f"ex1_output_size__{EDITED_TEST}")
    assert "check(" in edited.source and 'print("passed")' not in edited.source


def test_feedback_holds_no_hidden_test_source(course: Path):
    hidden = hidden_test_names()
    hidden_code = {name: body for name, body in secret_bodies().items() if name.startswith("graders/hidden/")}
    pages = list((course / "feedback").rglob("*.html"))
    assert len(pages) == 6, pages
    for page in pages:
        text = page.read_text()
        assert "HIDDEN TESTS" not in text, page
        assert not [name for name in hidden if name in text], page
        visible = _normalized(text.splitlines())
        assert not [name for name, body in hidden_code.items() if body.splitlines()[0] in visible], page


def test_course_has_no_hidden_files_in_source(course: Path):
    files = [p.relative_to(course / "source") for p in (course / "source").rglob("*") if p.is_file()]
    assert sorted(map(str, files)) == sorted(f"{a}/{a}.ipynb" for a in ASSIGNMENTS)


# -- exercise 13: a notebook that holds the earlier modules it imports as given code -----------------
OWN_CNN = "ex13_own_cnn"


@pytest.fixture(scope="module")
def own_cnn_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ex13's assignment released and autograded for ``full`` (reference code in every code cell) and
    ``earlier`` (the earlier modules pasted in, ex13's own cell left as released)."""
    from cnnkit import spec

    course = tmp_path_factory.mktemp("nbgrader-ex13") / "course"
    write_course(course, only=[OWN_CNN])
    nbgrader(course, "generate_assignment", OWN_CNN, "--force")
    source = nbformat.read(course / "source" / OWN_CNN / f"{OWN_CNN}.ipynb", 4)
    release = nbformat.read(course / "release" / OWN_CNN / f"{OWN_CNN}.ipynb", 4)
    reference = {_grade_id(c): c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    given = {f"{module}__code" for module in spec.exercise(OWN_CNN).given_code}
    submit(course, "full", OWN_CNN, with_code(release, reference))
    submit(course, "earlier", OWN_CNN, with_code(release, {k: v for k, v in reference.items() if k in given}))
    started = time.perf_counter()
    nbgrader(course, "autograde", OWN_CNN, "--force")
    TIMINGS[OWN_CNN] = time.perf_counter() - started
    print("autograde wall time per assignment, all its students (s):", {k: round(v, 1) for k, v in TIMINGS.items()})
    return course


def _own_cnn_scores(course: Path, student: str) -> tuple[float, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(OWN_CNN, student)
        return submission.score, submission.max_score


def test_own_cnn_notebook_holds_the_earlier_modules_without_their_checks(own_cnn_course: Path):
    """ex13's notebook: a code cell per module it imports (stubs once released), checks for ex13 only."""
    from cnnkit import spec

    given = spec.exercise(OWN_CNN).given_code
    for folder in ("source", "release"):
        notebook = nbformat.read(own_cnn_course / folder / OWN_CNN / f"{OWN_CNN}.ipynb", 4)
        code_ids = [_grade_id(c) for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution")]
        assert code_ids == [f"{module}__code" for module in given] + [f"{OWN_CNN}__code"], folder
        checked = {_grade_id(c).split("__", 1)[0] for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")}
        assert checked == {OWN_CNN}, folder
    released = nbformat.read(own_cnn_course / "release" / OWN_CNN / f"{OWN_CNN}.ipynb", 4)
    for cell in released.cells:
        assert not [line for line in cell.source.splitlines() if line.strip() in MARKERS]
        if _grade_id(cell) in {f"{module}__code" for module in given}:
            assert "raise NotImplementedError" in cell.source, _grade_id(cell)


def test_own_cnn_reference_notebook_gets_full_marks(own_cnn_course: Path):
    score, max_score = _own_cnn_scores(own_cnn_course, "full")
    from cnnkit import spec

    assert score == max_score == pytest.approx(spec.exercise(OWN_CNN).points)


def test_own_cnn_earlier_work_alone_scores_zero(own_cnn_course: Path):
    """The pasted earlier modules earn nothing here (they are graded in their own notebooks)."""
    score, max_score = _own_cnn_scores(own_cnn_course, "earlier")
    assert score == 0 and max_score > 0
