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
from helpers import HOSTILE_DIR, MUTANTS_DIR, build_submission
from test_release import MARKERS, _normalized, secret_bodies

from cnnkit import paths
from cnnkit.course.build import collect_registry, write_course
from cnnkit.grading.plugin import NO_SOURCE_CHECK_ENV
from cnnkit.grading.runner import grade_submission

pytestmark = pytest.mark.slow

ASSIGNMENTS = ["ex1_output_size", "ex2_conv2d"]  # both have hidden tests; ex1 is the tampered one
# Who submits what in the ``course`` fixture: every page of feedback and every kept report follows from it.
SUBMITTED = {"full": ASSIGNMENTS, "stubs": ASSIGNMENTS, "tamper": ASSIGNMENTS[:1], "patcher": ASSIGNMENTS[:1],
             "copier": ASSIGNMENTS[:1]}
MUTANT = MUTANTS_DIR / "ex1_output_size__no_validation.py"
EDITED_TEST, DELETED_TEST = "test_rejects_invalid_arguments", "test_matches_torch_conv_layer"
NBGRADER = [sys.executable, "-m", "nbgrader"]
# nbgrader runs ``alembic`` (its database migrations) from PATH: this Python's scripts first, activated or not.
SCRIPTS_FIRST = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
TIMINGS: dict[str, float] = {}


def nbgrader(course: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    completed = subprocess.run([*NBGRADER, *args], cwd=course, capture_output=True, text=True, timeout=timeout,
                               env={**os.environ, "PYTHONWARNINGS": "ignore", "PATH": SCRIPTS_FIRST})  # fmt: skip
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
        reference = solution_code(source[assignment])
        submit(course, "full", assignment, with_code(release[assignment], reference))
        submit(course, "stubs", assignment, release[assignment])
    submit(course, "tamper", "ex1_output_size", tampered(source["ex1_output_size"], release["ex1_output_size"]))
    submit(course, "patcher", "ex1_output_size", patched_check(release["ex1_output_size"]))
    submit(course, "copier", "ex1_output_size", copied_solution_cell(source["ex1_output_size"],
                                                                    release["ex1_output_size"]))
    assert {p.name: sorted(a.name for a in p.iterdir()) for p in (course / "submitted").iterdir()} == SUBMITTED
    for assignment in ASSIGNMENTS:  # every student of an assignment in one nbgrader run, as a class is graded
        started = time.perf_counter()
        nbgrader(course, "autograde", assignment, "--force")
        TIMINGS[assignment] = time.perf_counter() - started
        nbgrader(course, "generate_feedback", assignment, "--force")
    print("autograde wall time per assignment, all its students (s):", {k: round(v, 1) for k, v in TIMINGS.items()})
    return course


def copied_solution_cell(source: nbformat.NotebookNode, released: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Jupyter's copy and paste: the solution cell copied below itself, with its nbgrader metadata, the
    reference code written into the copy (nbgrader alone fails to autograde such a notebook)."""
    import copy

    notebook = nbformat.from_dict(released)
    index = next(i for i, cell in enumerate(notebook.cells) if _grade_id(cell) == "ex1_output_size__code")
    duplicate = copy.deepcopy(notebook.cells[index])
    duplicate.source = next(c.source for c in source.cells if _grade_id(c) == "ex1_output_size__code")
    notebook.cells.insert(index + 1, duplicate)
    return notebook


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


def score_of(course: Path, assignment: str, student: str) -> tuple[float, float]:
    """(score, max score) of one autograded submission, from the course's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(assignment, student)
        return submission.score, submission.max_score


def solution_code(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """The source notebook's solution cells by grade id: what a student who solved everything hands in."""
    return {_grade_id(c): c.source for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution")}


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


def test_a_solution_cell_copied_with_its_metadata_is_graded(course: Path):
    assert scores(course, "copier")["ex1_output_size"] == (5.0, 5.0)


def test_released_code_cells_raise_the_exercises_own_message_and_the_config_is_all_recognised(course: Path):
    for assignment in ASSIGNMENTS:
        text = (course / "release" / assignment / f"{assignment}.ipynb").read_text()
        assert f'raise NotImplementedError(\\"{assignment}: write ' in text, assignment
        assert "raise NotImplementedError()" not in text
    listed = nbgrader(course, "db", "assignment", "list")  # any command reads the whole config
    assert "not recognized" not in listed.stderr + listed.stdout


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
    # Its code cell imports builtins and cnnkit: the source check flags it before any of it runs.
    assert any("flagged for review" in o.get("text", "") for o in outputs), outputs[:3]


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
    assert len(pages) == sum(map(len, SUBMITTED.values())), pages
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
    reference = solution_code(source)
    given = {f"{module}__code" for module in spec.exercise(OWN_CNN).given_code}
    submit(course, "full", OWN_CNN, with_code(release, reference))
    submit(course, "earlier", OWN_CNN, with_code(release, {k: v for k, v in reference.items() if k in given}))
    started = time.perf_counter()
    nbgrader(course, "autograde", OWN_CNN, "--force")
    TIMINGS[OWN_CNN] = time.perf_counter() - started
    print("autograde wall time per assignment, all its students (s):", {k: round(v, 1) for k, v in TIMINGS.items()})
    return course


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
    score, max_score = score_of(own_cnn_course, OWN_CNN, "full")
    from cnnkit import spec

    assert score == max_score == pytest.approx(spec.exercise(OWN_CNN).points)


def test_own_cnn_earlier_work_alone_scores_zero(own_cnn_course: Path):
    """The pasted earlier modules earn nothing here (they are graded in their own notebooks)."""
    score, max_score = score_of(own_cnn_course, OWN_CNN, "earlier")
    assert score == 0 and max_score > 0


def test_the_kit_keeps_each_notebooks_report_for_cnnkit_report_and_never_hands_it_back(course: Path, tmp_path: Path):
    """SandboxGrades keeps the kit's report under cnnkit_reports/; the class report reads it with the gradebook."""
    import json

    from cnnkit.cli import main as cnnkit_main
    from cnnkit.grading import classreport

    for student, assignments in SUBMITTED.items():
        for assignment in assignments:
            kept = json.loads((course / classreport.COURSE_REPORTS / student / assignment / f"{assignment}.json")
                              .read_text())
            assert kept["score"] == pytest.approx(scores(course, student)[assignment][0]), (student, assignment)
    assert not list((course / "feedback").rglob("*.json")), "the kit's report (hidden checks) is not feedback"
    rows = {row.student: row for row in classreport.help_rows(classreport.load(course))}
    assert rows.keys() == SUBMITTED.keys()
    assert rows["stubs"].not_started == tuple(ASSIGNMENTS) and not rows["full"].needs_help
    assert rows["tamper"].nbgrader["ex1_output_size"][0] == pytest.approx(scores(course, "tamper")["ex1_output_size"][0])
    assert rows["tamper"].not_submitted == ("ex2_conv2d",)
    assert cnnkit_main(["report", str(course), "--out", str(tmp_path)]) == 0
    assert "nbgrader course" in (tmp_path / classreport.PAGE).read_text()


# -- isolation and the course folder -------------------------------------------------------------------------------
HOSTILE_CELL = HOSTILE_DIR / "ex1_output_size__nbgrader_course_folder.py"
# The attacker's cell imports os and sqlite3: the source check flags it before it runs; these tests bypass it, so
# that the confinement is what keeps the cell away from the course folder.
BELOW_SOURCE_CHECK = {NO_SOURCE_CHECK_ENV: "1"}
DEEP_CELL = "x = " + "1+" * 100_000 + "1"  # RecursionError when parsed (200 KB)
HUGE_CELL = "x = " + "1+" * 1_000_000 + "1"  # a million terms (2 MB): too large to parse here
NUL_CELL = "y = 1\x00"  # ValueError on Python 3.10, SyntaxError later


def lower_isolation(course: Path, level: str) -> str:
    """The one line an instructor writes in nbgrader_config.py to grade below "strong"; the config's text before."""
    config = course / "nbgrader_config.py"
    before = config.read_text()
    config.write_text(before + f"\nc.SandboxGrades.require_isolation = {level!r}\n")
    return before


def autograde(course: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([*NBGRADER, "autograde", "ex1_output_size", "--force"], cwd=course, capture_output=True,
                          text=True, timeout=900, env={**os.environ, "PYTHONWARNINGS": "ignore", **env})


@pytest.fixture(scope="module")
def isolation_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ex1 released to ``honest`` (the reference code), ``attacker`` (a code cell that goes for the course folder)
    and ``malformed`` (the reference code, plus code cells no parser may choke on: deep, huge, with NUL bytes)."""
    course = tmp_path_factory.mktemp("nbgrader-isolation") / "course"
    write_course(course, only=["ex1_output_size"])
    nbgrader(course, "generate_assignment", "ex1_output_size", "--force")
    source = nbformat.read(course / "source/ex1_output_size/ex1_output_size.ipynb", 4)
    release = nbformat.read(course / "release/ex1_output_size/ex1_output_size.ipynb", 4)
    code_id = "ex1_output_size__code"
    reference = next(c.source for c in source.cells if _grade_id(c) == code_id)
    submit(course, "honest", "ex1_output_size", with_code(release, {code_id: reference}))
    marker = reference.splitlines()[0]  # "# %% ex1_output_size.py"
    submit(course, "attacker", "ex1_output_size",
           with_code(release, {code_id: marker + "\n" + HOSTILE_CELL.read_text()}))
    malformed = with_code(release, {code_id: reference})
    malformed.cells[1:1] = [nbformat.v4.new_code_cell(cell) for cell in (DEEP_CELL, HUGE_CELL, NUL_CELL)]
    submit(course, "malformed", "ex1_output_size", malformed)
    return course


def _first_test_output(course: Path, student: str) -> str:
    notebook = nbformat.read(course / f"autograded/{student}/ex1_output_size/ex1_output_size.ipynb", 4)
    cell = next(c for c in notebook.cells if _grade_id(c).startswith("ex1_output_size__test"))
    return "".join(output.get("text", "") for output in cell.outputs)


def _all_scores(course: Path) -> list[tuple[str, float | None, float | None]]:
    """Every grade row in the gradebook: (cell id, auto score, manual score)."""
    import sqlite3

    with sqlite3.connect(course / "gradebook.db") as gradebook:
        return gradebook.execute("SELECT cell_id, auto_score, manual_score FROM grade").fetchall()


def test_below_the_required_isolation_nbgrader_records_no_grade(isolation_course: Path):
    """The generated config requires "strong"; where workers get less (forced "advisory" here), SandboxGrades
    refuses, nbgrader's log says why, and no autograded notebook or score is kept. CNNKIT_REQUIRE_ISOLATION
    raises the requirement the same way when the config lowered it."""
    assert "c.SandboxGrades.require_isolation = 'strong'" in (isolation_course / "nbgrader_config.py").read_text()
    # The attacker's cell is flagged before it runs, so it would be graded (0) even here: bypass the source check,
    # so that every student's code needs a worker and the isolation requirement decides alone.
    refused = autograde(isolation_course, CNNKIT_ISOLATION="advisory", **BELOW_SOURCE_CHECK)
    assert refused.returncode != 0
    assert "isolation advisory is below the required strong" in refused.stderr, refused.stderr[-3000:]
    assert not list((isolation_course / "autograded").rglob("*.ipynb"))
    assert all(auto is None for _, auto, _ in _all_scores(isolation_course))  # each left for a person to grade
    before = lower_isolation(isolation_course, "advisory")
    try:
        refused = autograde(isolation_course, CNNKIT_ISOLATION="advisory", CNNKIT_REQUIRE_ISOLATION="strong",
                            **BELOW_SOURCE_CHECK)
        assert refused.returncode != 0
        assert "isolation advisory is below the required strong" in refused.stderr, refused.stderr[-3000:]
        assert not list((isolation_course / "autograded").rglob("*.ipynb"))
    finally:
        (isolation_course / "nbgrader_config.py").write_text(before)


def test_lowered_to_advisory_student_code_still_cannot_reach_the_course_folder(isolation_course: Path):
    """The instructor lowered the requirement knowingly; the attacker's cell, told where the course is, reads no
    solution, writes no grade and no config line; the others are graded as always, and everyone is told the level."""
    before = lower_isolation(isolation_course, "advisory")
    lowered = (isolation_course / "nbgrader_config.py").read_text()
    source = (isolation_course / "source/ex1_output_size/ex1_output_size.ipynb").read_bytes()
    try:
        graded = autograde(isolation_course, CNNKIT_ISOLATION="advisory", CNNKIT_HOSTILE_COURSE=str(isolation_course),
                           **BELOW_SOURCE_CHECK)
        assert graded.returncode == 0, graded.stderr[-3000:]
        assert (isolation_course / "nbgrader_config.py").read_text() == lowered
        assert (isolation_course / "source/ex1_output_size/ex1_output_size.ipynb").read_bytes() == source
        assert not [row for row in _all_scores(isolation_course) if 705 in row]
        score, max_score = scores(isolation_course, "attacker")["ex1_output_size"]
        assert score == 0 < max_score
        for student in ("honest", "malformed"):
            score, max_score = scores(isolation_course, student)["ex1_output_size"]
            assert score == max_score > 0, student
        assert "Isolation: advisory" in _first_test_output(isolation_course, "honest")
        assert "isolation advisory" in graded.stderr.lower() or "Isolation: advisory" in graded.stderr
        unread = _first_test_output(isolation_course, "malformed")
        assert unread.count("could not be read as Python") == 3, unread
    finally:
        (isolation_course / "nbgrader_config.py").write_text(before)


def test_with_strong_isolation_the_log_and_the_feedback_say_so(isolation_course: Path):
    graded = autograde(isolation_course, CNNKIT_HOSTILE_COURSE=str(isolation_course), **BELOW_SOURCE_CHECK)
    assert graded.returncode == 0, graded.stderr[-3000:]
    assert "Isolation: strong" in graded.stderr
    assert "Isolation: strong" in _first_test_output(isolation_course, "honest")
    assert scores(isolation_course, "attacker")["ex1_output_size"][0] == 0
    assert not [row for row in _all_scores(isolation_course) if 705 in row]


def test_extraction_survives_cells_no_parser_accepts():
    """Deep (RecursionError), huge (a million terms), NUL bytes (ValueError on 3.10): each is reported as
    unparseable and skipped; the module is still found in the cell that defines its function."""
    from cnnkit.course.autograde import checked_test
    from cnnkit.course.notebook import module_sources, unparseable_cells

    defining = "def conv_output_size(in_size, kernel_size, stride=1, padding=0):\n    return 1\n"
    cells = [DEEP_CELL, HUGE_CELL, NUL_CELL, defining, "def broken(:\n"]
    assert module_sources(cells, ["ex1_output_size"]) == {"ex1_output_size": defining}
    assert unparseable_cells(cells) == [0, 1, 2, 4]
    assert checked_test(DEEP_CELL) is None and checked_test(NUL_CELL) is None


# -- exercise 14: the troubleshooting notebook (a notebook of its own, six functions, a real training run) --------
TROUBLESHOOTING = "ex14_troubleshooting"


@pytest.fixture(scope="module")
def troubleshooting_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ex14's assignment released and autograded for ``full`` (the reference in its code cell) and ``stubs``."""
    course = tmp_path_factory.mktemp("nbgrader-ex14") / "course"
    write_course(course, only=[TROUBLESHOOTING])
    nbgrader(course, "generate_assignment", TROUBLESHOOTING, "--force")
    source = nbformat.read(course / "source" / TROUBLESHOOTING / f"{TROUBLESHOOTING}.ipynb", 4)
    release = nbformat.read(course / "release" / TROUBLESHOOTING / f"{TROUBLESHOOTING}.ipynb", 4)
    reference = solution_code(source)
    submit(course, "full", TROUBLESHOOTING, with_code(release, reference))
    submit(course, "stubs", TROUBLESHOOTING, release)
    started = time.perf_counter()
    nbgrader(course, "autograde", TROUBLESHOOTING, "--force")
    TIMINGS[TROUBLESHOOTING] = time.perf_counter() - started
    print("autograde wall time per assignment, all its students (s):", {k: round(v, 1) for k, v in TIMINGS.items()})
    return course


def test_troubleshooting_notebook_releases_stubs_and_its_checks(troubleshooting_course: Path):
    released = nbformat.read(troubleshooting_course / "release" / TROUBLESHOOTING / f"{TROUBLESHOOTING}.ipynb", 4)
    code = [c.source for c in released.cells if _grade_id(c) == f"{TROUBLESHOOTING}__code"]
    assert len(code) == 1 and code[0].count("raise NotImplementedError") == 7
    assert not [line for c in released.cells for line in c.source.splitlines() if line.strip() in MARKERS]
    checked = {_grade_id(c).split("__", 1)[0] for c in released.cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert checked == {TROUBLESHOOTING}


def test_troubleshooting_notebook_reference_full_marks_stubs_zero(troubleshooting_course: Path):
    from cnnkit import spec

    score, max_score = score_of(troubleshooting_course, TROUBLESHOOTING, "full")
    assert score == max_score == pytest.approx(spec.exercise(TROUBLESHOOTING).points)
    score, max_score = score_of(troubleshooting_course, TROUBLESHOOTING, "stubs")
    assert score == 0 and max_score == pytest.approx(spec.exercise(TROUBLESHOOTING).points)
