"""nbgrader autograding that the student's kernel cannot influence.

``nbgrader autograde`` normally executes the notebook in a Jupyter kernel and scores each test
cell by what that kernel printed: a code cell that replaces ``cnnkit.course.notebook.check`` (or
IPython's display, or builtins) takes full marks, and the student's code runs unconfined as the
grader's user. The course's ``nbgrader_config.py`` (written by ``cnnkit course``) replaces
nbgrader's ``Execute`` step with ``SandboxGrades``:

1. the student's modules are extracted from the notebook's code cells (the same rule as the
   in-kernel check: the latest cell starting with ``# %% <module>.py``), never executed here;
2. they are graded by the kit (``cnnkit.grading.runner.grade_submission``: a fresh pytest process,
   every call into student code in a confined worker, hidden graders included);
3. each autograded test cell (its source restored from the gradebook by ``OverwriteCells``, so
   it names the instructor's check) gets the feedback as its output, plus the points earned
   when not full (nbgrader's partial credit): what ``SaveAutoGrades`` then records;
4. the kit's JSON report is kept under the course, for ``cnnkit report COURSE`` (``keep_report``).

Student code never reaches the course folder: it is denied to every worker (source and release
notebooks, ``gradebook.db``, ``nbgrader_config.py``, other students' submissions and feedback),
by Landlock where the kernel has it and by the audit hook everywhere. Grading requires isolation
``strong`` unless the course's config lowers ``c.SandboxGrades.require_isolation`` (or
``CNNKIT_REQUIRE_ISOLATION`` raises it): below it no student code runs, this preprocessor raises,
and nbgrader records no grade for that notebook (its log says why). nbgrader's log and the
student's feedback (the first test cell's output) state the isolation that graded. A code cell
that cannot be parsed (``cnnkit.course.notebook.parse_cell``) is reported, and the rest is graded.

The in-kernel ``check`` stays for the student's own feedback while working; it decides nothing.
"""

from __future__ import annotations

import ast
import tempfile
from pathlib import Path
from typing import Any

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from nbformat.v4 import new_output
from traitlets import Bool, Enum, Float

from cnnkit import spec
from cnnkit.course.notebook import _test_results, module_sources, parse_cell, summarize, unparseable_cells
from cnnkit.grading import hints as hint_levels
from cnnkit.sandbox.confine import LEVELS

#: What ``cnnkit course`` writes into ``nbgrader_config.py``, and the default where it says nothing.
DEFAULT_REQUIRED_ISOLATION = "strong"


def checked_test(source: str) -> tuple[str, str, str] | None:
    """``(module, test, label)`` named by the ``check(...)`` call in a test cell's source, or None."""
    tree = parse_cell(source)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "check":
            values = [arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
            labels = [k.value.value for k in node.keywords if k.arg == "label" and isinstance(k.value, ast.Constant)]
            label = labels[0] if labels else None
            if len(values) >= 2:
                return values[0], values[1], str(label or values[1])
    return None


def _is_grade_cell(cell: NotebookNode) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def keep_report(report: dict[str, Any], resources: dict, config: Any) -> Path | None:
    """Write the kit's report to ``<course>/cnnkit_reports/<student>/<assignment>/<notebook>.json`` (None when
    not run by nbgrader). Not beside the autograded notebook: ``generate_feedback`` hands every file there back."""
    from nbgrader.coursedir import CourseDirectory

    from cnnkit.grading.classreport import COURSE_REPORTS
    from cnnkit.grading.reports import to_json

    ids = resources.get("nbgrader") or {}
    if not {"student", "assignment", "notebook"} <= ids.keys():
        return None
    folder = Path(CourseDirectory(config=config).format_path(COURSE_REPORTS, ids["student"], ids["assignment"]))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ids['notebook']}.json"
    path.write_text(to_json(report))
    return path


class SandboxGrades(Preprocessor):
    """Score the notebook's test cells from a sandboxed kit grading of its extracted code (see the module doc)."""

    enabled = Bool(True).tag(config=True)
    timeout = Float(3600.0, help="seconds for grading one notebook (all its exercises)").tag(config=True)
    require_isolation = Enum(
        list(LEVELS), default_value=DEFAULT_REQUIRED_ISOLATION,
        help="refuse to grade below this isolation (docs/security-model.md); 'advisory' accepts any",
    ).tag(config=True)
    hints = Enum(hint_levels.LEVELS, default_value=hint_levels.DEFAULT_LEVEL,
                 help="how much the feedback's hints say: 'none', 'concept' or 'method' (see cnnkit grade --hints)",
                 ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        from cnnkit.grading.reports import isolation_line
        from cnnkit.grading.runner import IsolationTooWeak, grade_submission

        checks = {id(cell): checked_test(cell.source) for cell in nb.cells if _is_grade_cell(cell)}
        modules = sorted({found[0] for found in checks.values() if found and found[0] in spec.BY_MODULE},
                         key=[e.module for e in spec.EXERCISES].index)
        wanted = [*dict.fromkeys(m for module in modules for m in (*spec.exercise(module).depends_on, module))]
        code_cells = [cell.source for cell in nb.cells if cell.cell_type == "code" and not _is_grade_cell(cell)]
        sources = module_sources(code_cells, wanted)
        who = self._who(resources)
        notes = [f"code cell {index + 1} could not be read as Python (a syntax error, NUL bytes, too deep or too "
                 "large): not graded" for index in unparseable_cells(code_cells)]
        for note in notes:
            self.log.warning("cnnkit: %s: %s", who, note)
        required = "" if self.require_isolation == "advisory" else self.require_isolation
        with tempfile.TemporaryDirectory(prefix="cnnkit-autograde-") as scratch:
            submission = Path(scratch) / "submission"
            submission.mkdir()
            for name, source in sources.items():
                (submission / f"{name}.py").write_bytes(source.encode("utf-8", "surrogatepass"))
            try:
                report = grade_submission(submission, exercises=modules, wall_limit=self.timeout,
                                          require_isolation=required, deny=self._course_paths(resources),
                                          extra_args=["--cnnkit-hints", self.hints])
            except IsolationTooWeak as weak:
                self.log.error("cnnkit: %s: not graded: %s (c.SandboxGrades.require_isolation in "
                               "nbgrader_config.py; see docs/security-model.md)", who, weak)
                raise
        line = isolation_line(report)
        self.log.info("cnnkit: %s graded: %g / %g; %s", who, report["score"], report["max_score"], line)
        resources.setdefault("cnnkit", {})["isolation"] = report.get("isolation")
        keep_report(report, resources, self.config)
        missing = [m for m in wanted if m not in sources]
        first = True
        for cell in nb.cells:
            found = checks.get(id(cell))
            if found is not None:
                cell.outputs = self._outputs(report, *found, missing=missing, notes=[line, *notes] if first else [])
                first = False
        return nb, resources

    @staticmethod
    def _who(resources: dict) -> str:
        """``student/assignment/notebook`` for the log."""
        names = resources.get("nbgrader", {})
        return "/".join(str(names.get(key, "?")) for key in ("student", "assignment", "notebook"))

    def _course_paths(self, resources: dict) -> list[Path]:
        """What student code must never reach: the course folder (notebooks, gradebook, config, every
        student's submission and feedback), and the gradebook wherever ``db_url`` puts it. Where the kit
        itself lives inside the course folder (a checkout used as the course), nbgrader's parts of it."""
        from nbgrader.coursedir import CourseDirectory

        import cnnkit

        root = Path(CourseDirectory(config=self.config).root).resolve()
        denied = [root]
        db_url = str(resources.get("nbgrader", {}).get("db_url", ""))
        if db_url.startswith("sqlite:///"):
            denied.append(Path(db_url[len("sqlite:///"):]).resolve())
        kit = Path(cnnkit.__file__).resolve().parent
        if kit.is_relative_to(root):
            parts = ("source", "release", "submitted", "autograded", "feedback", "gradebook.db", "nbgrader_config.py")
            denied[:1] = [root / part for part in parts]
        return denied

    @staticmethod
    def _outputs(report: dict[str, Any], module: str, test: str, label: str, missing: list[str],
                 notes: list[str]) -> list:
        results = _test_results(report, module, test)
        if not results:
            return [new_output("stream", name="stdout", text=f"{module} · {label}: not graded (no such check)\n"),
                    new_output("execute_result", data={"text/plain": "0.0"}, execution_count=None)]
        score, max_score, text = summarize(module, test, results, label)
        if missing:
            text += f"\n  (no code cell found for {', '.join(missing)}: keep each code cell's first line)"
        text += "".join(f"\n  ({note})" for note in notes)
        outputs = [new_output("stream", name="stdout", text=text + "\n")]
        if score < max_score:  # nbgrader reads a number as the points earned (0.0: none)
            outputs.append(new_output("execute_result", data={"text/plain": repr(float(score))}, execution_count=None))
        return outputs
