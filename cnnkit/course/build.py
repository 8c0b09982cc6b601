"""``cnnkit course``: write the nbgrader course, generated from ``solutions/`` and the graders.

Nothing here is hand-written per exercise. For each exercise module:

* the markdown lead-in is the solution module's docstring (the lesson: shapes, formula, what
  PyTorch does) plus the rules from ``cnnkit.spec`` (forbidden APIs);
* the code cell is the module's code (docstring removed) under the line
  ``# %% <module>.py``, with nbgrader's ``### BEGIN/END SOLUTION`` markers kept, so
  ``nbgrader generate_assignment`` turns it into the same stub ``cnnkit stubs`` writes;
* one locked, autograded test cell per grader test (``pytest --collect-only`` over
  ``graders/``: its name, docstring and ``@pytest.mark.points``, the worth of all its parametrized
  cases together), calling ``cnnkit.course.notebook.check``. Hidden tests get cells whose only statement sits
  between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` and names the test (no grader
  code); their code stays in the instructor's ``graders/hidden/``, never in ``source/``.

``nbgrader autograde`` does not execute the student's notebook: the generated config replaces its
Execute step with ``cnnkit.course.autograde.SandboxGrades`` (scores from the kit's sandboxed grading of
the extracted code, see that module).

Assignments: one per exercise, except that an exercise that imports others (``depends_on`` in
the spec: ex15 uses ex7 and ex8) shares one notebook with them, because a notebook's checks
can only see the code of its own kernel. Modules the spec lists in an exercise's ``given_code``
(ex13 imports most of the course) do not join its assignment: its notebook holds a code cell for
each of them (stubs once released: the student pastes in their earlier work), importable and
without checks, graded in their own notebooks only.
"""

from __future__ import annotations

import argparse
import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from cnnkit import paths, spec
from cnnkit.course.notebook import module_marker
from cnnkit.errors import FAULT, CommandError
from cnnkit.grading.hints import DEFAULT_LEVEL
from cnnkit.grading.runner import CollectionFailed, collect_graders

COURSE_ID = "cnnkit"
#: Seconds one notebook cell may run under ``nbgrader autograde`` (the first check of an
#: exercise grades all of it; ex15 trains three models on the embedded sample).
CELL_TIMEOUT = 900
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


@dataclass(frozen=True)
class GraderTest:
    """One grader test function (all its parametrized cases together)."""

    module: str
    name: str
    visibility: str  # "public" or "hidden"
    points: float  # the test's worth, shared by its parametrized cases
    doc: str = ""


@dataclass(frozen=True)
class Assignment:
    """One nbgrader assignment: one notebook holding the code of ``modules``."""

    name: str
    modules: tuple[str, ...]


# -- the graders' registry ---------------------------------------------------------------------
def collect_registry(root: Path = paths.ROOT) -> list[GraderTest]:
    """Every grader test in ``root/graders`` (hidden ones too), in curriculum order, one per test function."""
    merged: dict[tuple[str, str, str], GraderTest] = {}
    for case in collect_graders(root):
        key = (case["module"], case["visibility"], case["test"])
        if key not in merged:  # a test's points are shared by its cases, not summed
            merged[key] = GraderTest(module=case["module"], name=case["test"], visibility=case["visibility"],
                                     points=case["points"], doc=case.get("doc", ""))  # fmt: skip
    return list(merged.values())


# -- assignments -------------------------------------------------------------------------------
def assignments() -> list[Assignment]:
    """One assignment per exercise; an exercise and the ones it imports share an assignment."""
    group_of: dict[str, list[str]] = {e.module: [e.module] for e in spec.EXERCISES}
    for exercise in spec.EXERCISES:
        for dependency in exercise.depends_on:
            if dependency in exercise.given_code:
                continue
            merged = group_of[dependency] + [m for m in group_of[exercise.module] if m not in group_of[dependency]]
            for module in merged:
                group_of[module] = merged
    order = [e.module for e in spec.EXERCISES]
    seen: list[tuple[str, ...]] = []
    for exercise in spec.EXERCISES:
        group = tuple(sorted(group_of[exercise.module], key=order.index))
        if group not in seen:
            seen.append(group)
    return [Assignment(name=group[-1], modules=group) for group in seen]


# -- notebook cells ----------------------------------------------------------------------------
def split_module(source: str) -> tuple[str, str]:
    """``(docstring, code without the docstring)`` of a module's text."""
    tree = ast.parse(source)
    docstring = ast.get_docstring(tree) or ""
    if docstring and tree.body:
        lines = source.splitlines()
        code = "\n".join(lines[tree.body[0].end_lineno:]).strip("\n")
    else:
        code = source.strip("\n")
    return docstring, code


def _nbgrader(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float | None = None) -> dict:
    meta: dict[str, Any] = {
        "grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution,
        "task": False,
    }  # fmt: skip
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def points_table(module: str) -> str:
    """The course's points per exercise (``cnnkit.spec``), this notebook's exercise in bold."""
    rows = ["| exercise | points |", "|---|---:|"]
    for exercise in spec.EXERCISES:
        cells = (f"{exercise.number}. {exercise.title}", f"{exercise.points:g}")
        rows.append("| " + " | ".join(f"**{c}**" if exercise.module == module else c for c in cells) + " |")
    rows.append(f"| total | {spec.TOTAL_POINTS:g} |")
    return "\n".join(rows)


def lesson_cell(module: str, docstring: str) -> nbformat.NotebookNode:
    """The lead-in: title, the lesson (the module's docstring), the rules."""
    exercise = spec.exercise(module)
    rules = [
        f"Write your code in the cell starting with `{module_marker(module)}` (keep that first line: the checks "
        f"grade the code of that cell, as the module `{module}.py`). Run it, then run the checks below it.",
    ]
    rules.append("**Rules every exercise shares:** " + " ".join(spec.SHARED_RULES))
    rules.append(f"**{spec.imports_sentence(module)}**")
    if exercise.forbidden:
        names = ", ".join(f"`*{pattern}*`" for pattern in (*exercise.forbidden, *exercise.aliases))
        rules.append(
            f"**Forbidden here** (detected while your code runs; using one scores 0 on this exercise): torch "
            f"functions and modules whose name contains {names}: {exercise.forbidden_why}."
        )
    lines = docstring.splitlines()
    if lines and lines[0].startswith(f"Exercise {exercise.number}:"):
        lines = [f"*{lines[0].split(':', 1)[1].strip()}*"] + lines[1:]
    lesson = "\n".join(line if line.strip() else "" for line in lines)
    text = f"# Exercise {exercise.number}: {exercise.title}\n\n{points_table(module)}\n\n{lesson}\n\n" + "\n\n".join(rules)
    return new_markdown_cell(text)


def checks_cell(module: str, tests: list[GraderTest]) -> nbformat.NotebookNode:
    """Markdown before the test cells: what they check and how they score."""
    public = sum(t.points for t in tests if t.visibility == "public")
    hidden = sum(t.points for t in tests if t.visibility == "hidden")
    text = (
        f"### Checks for `{module}`\n\n"
        f"Each cell below runs one check on your code and prints what it found: the smallest input that "
        f"fails, expected vs got, and a hint for known mistakes. A number shown under a cell is the points "
        f"earned when only some cases pass (`0.0`: none). Public checks: {public:g} points."
    )
    if hidden:
        text += f" Hidden checks ({hidden:g} points) run when your notebook is graded."
    note = spec.exercise(module).grading_note
    if note:
        text += "\n\n" + note
    return new_markdown_cell(text)


def _points(points: float) -> str:
    return f"{points:g} point" + ("" if points == 1 else "s")


def _comment(text: str) -> list[str]:
    return [f"# {line}".rstrip() for line in text.splitlines()]


def grade_cell(test: GraderTest, hidden_number: int = 0) -> nbformat.NotebookNode:
    """A locked autograded cell worth the grader test's points; its last line is the check."""
    grade_id = f"{test.module}__{test.visibility}_{hidden_number:02d}" if test.visibility == "hidden" else (
        f"{test.module}__{test.name}"
    )
    if test.visibility == "public":
        lines = [f"# Check `{test.name}` ({_points(test.points)})."] + _comment(test.doc)
        lines += ["from cnnkit.course.notebook import check", "", f"check({test.module!r}, {test.name!r})"]
    else:
        label = f"hidden check {hidden_number}"
        lines = [f"# {label.capitalize()} ({_points(test.points)}): runs when your notebook is graded.",
                 HIDDEN_BEGIN, "from cnnkit.course.notebook import check", "",
                 f"check({test.module!r}, {test.name!r}, label={label!r})", HIDDEN_END]  # fmt: skip
    cell = new_code_cell("\n".join(lines))
    cell.metadata.update(_nbgrader(grade_id, grade=True, solution=False, locked=True, points=test.points))
    return cell


def code_cell(module: str, code: str) -> nbformat.NotebookNode:
    """The student's module, solution regions marked for nbgrader."""
    cell = new_code_cell(f"{module_marker(module)}\n{code}")
    cell.metadata.update(_nbgrader(f"{module}__code", grade=False, solution=True, locked=False))
    return cell


def given_cells(module: str, solutions_dir: Path) -> list[nbformat.NotebookNode]:
    """The earlier modules ``module``'s notebook holds as given code (spec ``given_code``), ungraded here."""
    given = spec.exercise(module).given_code
    if not given:
        return []
    names = ", ".join(f"`{name}`" for name in given)
    text = (f"### Your earlier exercises\n\n`{module}` imports your code from {names}. Paste each module's "
            "code (the code cell of its notebook, or your `.py` file) into its cell below, keeping the cell's "
            "first line, and run them. They are not graded again here: their own notebooks grade them.")
    cells = [new_markdown_cell(text)]
    for name in given:
        cells.append(code_cell(name, split_module((solutions_dir / f"{name}.py").read_text())[1]))
    return cells


def import_cell(modules: tuple[str, ...]) -> nbformat.NotebookNode:
    """Makes earlier module cells importable by name (``import ex7_models`` in ex15's cell)."""
    names = ", ".join(map(repr, modules))
    return new_code_cell(
        f"# Makes your code cells above importable as modules: the next exercise imports them.\n"
        f"from cnnkit.course.notebook import use_cells_as_modules\n\nuse_cells_as_modules({names})"
    )


def build_notebook(assignment: Assignment, registry: list[GraderTest], solutions_dir: Path) -> nbformat.NotebookNode:
    """The source notebook of one assignment (solutions in, hidden checks marked)."""
    cells = []
    for module in assignment.modules:
        docstring, code = split_module((solutions_dir / f"{module}.py").read_text())
        dependencies = spec.exercise(module).depends_on
        cells.append(lesson_cell(module, docstring))
        cells += given_cells(module, solutions_dir)
        if dependencies:
            cells.append(import_cell(dependencies))
        cells.append(code_cell(module, code))
        tests = [t for t in registry if t.module == module]
        cells.append(checks_cell(module, tests))
        cells += [grade_cell(t) for t in tests if t.visibility == "public"]
        hidden = [t for t in tests if t.visibility == "hidden"]
        cells += [grade_cell(t, number) for number, t in enumerate(hidden, start=1)]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


# -- the course directory ----------------------------------------------------------------------
NBGRADER_CONFIG = '''"""nbgrader configuration of the cnnkit course (generated by `cnnkit course`)."""

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = {course_id!r}
# Released code cells raise the exercise's own message, as its stub does ("ex2_conv2d: write conv2d"),
# not nbgrader's bare NotImplementedError(): the kit's NamedStubs in place of nbgrader's ClearSolutions.
c.GenerateAssignment.preprocessors = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "cnnkit.course.preprocessors.NamedStubs",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# A cell copied in Jupyter keeps its nbgrader metadata: the kit's RepairDuplicatedCells keeps it on the last
# copy only, before nbgrader's own deduplication (which leaves the copies half-marked and autograde fails).
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "cnnkit.course.preprocessors.RepairDuplicatedCells",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# Per-cell limit. nbgrader's Execute preprocessor reads *this* (ExecutePreprocessor.timeout is
# overridden by it). The first check of an exercise grades all of it; ex15 trains on the sample.
c.Execute.timeout = {timeout}
# A student who deletes a test cell still gets it run and scored (otherwise it scores None -> 0).
c.OverwriteCells.add_missing_cells = True
# Scores never come from the student's kernel: instead of executing the notebook (nbgrader's
# Execute), the kit extracts each module's code cell and grades it in its sandbox (confined workers,
# hidden graders included), then writes each test cell's feedback and points as its output.
c.Autograde.autograde_preprocessors = [
    "cnnkit.course.autograde.SandboxGrades",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.SandboxGrades.timeout = {sandbox_timeout}
# How much each failure's hint says: "none", "concept" (what is wrong, which idea of the lesson to
# revisit) or "method" (also the technique). Hints never hold code; they are cnnkit's public code.
c.SandboxGrades.hints = {hints!r}
# Student code is graded only where the OS confines it as strongly as this: "strong" (Landlock, seccomp and
# every resource bound; docs/security-model.md). Where it cannot be (macOS, Windows, a container that
# forbids Landlock), no grade is recorded and nbgrader's log says why. To grade there anyway, knowing what
# that lets a student's code do, write "partial" or "advisory" here.
c.SandboxGrades.require_isolation = {required_isolation!r}
# Feedback must not show the hidden test cells' source.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "nbgrader.preprocessors.ClearHiddenTests",
]
'''


def write_course(out: Path, root: Path = paths.ROOT, only: list[str] | None = None) -> list[Path]:
    """Write ``out/nbgrader_config.py`` and ``out/source/<assignment>/<assignment>.ipynb``.

    ``only`` limits the notebooks to the named assignments. Returns the notebooks written.
    """
    from cnnkit.course.autograde import DEFAULT_REQUIRED_ISOLATION

    registry = collect_registry(root)
    chosen = [a for a in assignments() if only is None or a.name in only]
    out.mkdir(parents=True, exist_ok=True)
    config = NBGRADER_CONFIG.format(
        course_id=COURSE_ID, timeout=CELL_TIMEOUT,
        sandbox_timeout=float(CELL_TIMEOUT * 4), hints=DEFAULT_LEVEL,
        required_isolation=DEFAULT_REQUIRED_ISOLATION,
    )
    (out / "nbgrader_config.py").write_text(config)
    written = []
    for assignment in chosen:
        folder = out / "source" / assignment.name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{assignment.name}.ipynb"
        nbformat.write(build_notebook(assignment, registry, root / "solutions"), path)
        written.append(path)
    return written


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("course"), help="the course directory (default ./course)")
    parser.add_argument("--assignment", action="append", dest="only", metavar="NAME",
                        help="only this assignment (repeatable); names: " + ", ".join(a.name for a in assignments()))


def run(args: argparse.Namespace) -> int:
    """Write the course; a mistake in the arguments or a failure to collect raises ``CommandError``."""
    known = [assignment.name for assignment in assignments()]
    unknown = [name for name in args.only or [] if name not in known]
    if unknown:
        raise CommandError(f"no assignment named {', '.join(unknown)}; the assignments: {', '.join(known)}")
    if args.out.exists() and not args.out.is_dir():
        raise CommandError(f"{args.out} is a file; --out is the course folder to write")
    try:
        notebooks = write_course(args.out, only=args.only)
    except CollectionFailed as failed:
        raise CommandError(f"{str(failed).splitlines()[0]}; see: python -m pytest graders --collect-only",
                           FAULT) from None
    except FileNotFoundError as missing:
        raise CommandError(f"{missing.filename} is missing (cnnkit/spec.py declares the exercise)") from None
    for path in notebooks:
        print(f"wrote {path}")
    print(f"next: cd {args.out} && nbgrader generate_assignment --force <assignment> (see docs/instructor-guide.md)")
    return 0
