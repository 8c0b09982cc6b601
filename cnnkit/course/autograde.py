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
   when not full (nbgrader's partial credit): what ``SaveAutoGrades`` then records.

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
from traitlets import Bool, Float, Unicode

from cnnkit import spec
from cnnkit.course.notebook import _test_results, module_sources, summarize


def checked_test(source: str) -> tuple[str, str, str] | None:
    """``(module, test, label)`` named by the ``check(...)`` call in a test cell's source, or None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
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


class SandboxGrades(Preprocessor):
    """Score the notebook's test cells from a sandboxed kit grading of its extracted code (see the module doc)."""

    enabled = Bool(True).tag(config=True)
    timeout = Float(3600.0, help="seconds for grading one notebook (all its exercises)").tag(config=True)
    require_isolation = Unicode("", help="'strong' or 'partial': refuse to grade below this isolation").tag(
        config=True
    )

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        from cnnkit.grading.runner import grade_submission

        checks = {id(cell): checked_test(cell.source) for cell in nb.cells if _is_grade_cell(cell)}
        modules = sorted({found[0] for found in checks.values() if found and found[0] in spec.BY_MODULE},
                         key=[e.module for e in spec.EXERCISES].index)
        wanted = [*dict.fromkeys(m for module in modules for m in (*spec.exercise(module).depends_on, module))]
        code_cells = [cell.source for cell in nb.cells if cell.cell_type == "code" and not _is_grade_cell(cell)]
        sources = module_sources(code_cells, wanted)
        with tempfile.TemporaryDirectory(prefix="cnnkit-autograde-") as scratch:
            submission = Path(scratch) / "submission"
            submission.mkdir()
            for name, source in sources.items():
                (submission / f"{name}.py").write_text(source)
            report = grade_submission(submission, exercises=modules, wall_limit=self.timeout,
                                      require_isolation=self.require_isolation)
        resources.setdefault("cnnkit", {})["isolation"] = report.get("isolation")
        for cell in nb.cells:
            found = checks.get(id(cell))
            if found is not None:
                cell.outputs = self._outputs(report, *found, missing=[m for m in wanted if m not in sources])
        return nb, resources

    @staticmethod
    def _outputs(report: dict[str, Any], module: str, test: str, label: str, missing: list[str]) -> list:
        results = _test_results(report, module, test)
        if not results:
            return [new_output("stream", name="stdout", text=f"{module} · {label}: not graded (no such check)\n"),
                    new_output("execute_result", data={"text/plain": "0.0"}, execution_count=None)]
        score, max_score, text = summarize(module, test, results, label)
        if missing:
            text += f"\n  (no code cell found for {', '.join(missing)}: keep each code cell's first line)"
        outputs = [new_output("stream", name="stdout", text=text + "\n")]
        if score < max_score:  # nbgrader reads a number as the points earned (0.0: none)
            outputs.append(new_output("execute_result", data={"text/plain": repr(float(score))}, execution_count=None))
        return outputs
