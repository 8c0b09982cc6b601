"""The kit's nbgrader preprocessors for the steps before grading: releasing and repairing notebooks.

* ``NamedStubs`` replaces nbgrader's ``ClearSolutions`` when assignments are generated (and in the
  student release): a solution region of a module's code cell becomes the same
  ``raise NotImplementedError("ex2_conv2d: write conv2d")`` as the module's stub in ``exercises/``,
  not nbgrader's bare ``raise NotImplementedError()``.
* ``RepairDuplicatedCells`` runs first in ``nbgrader autograde``: Jupyter's copy and paste keeps a
  cell's nbgrader metadata, so a student who copied the solution cell hands in two cells with the
  same ``grade_id``, which nbgrader refuses (the notebook gets 0 and no feedback). The last copy
  keeps the metadata (the kit grades the latest cell of a module, ``notebook.module_sources``); the
  others become ordinary cells, and nbgrader's log says so.

Both are named in the ``nbgrader_config.py`` that ``cnnkit course`` writes.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import ClearSolutions
from nbgrader.preprocessors.base import NbGraderPreprocessor

from cnnkit import spec
from cnnkit.course.notebook import module_marker
from cnnkit.course.stubgen import BEGIN, replace_regions


def module_of_cell(source: str) -> str | None:
    """The exercise module a code cell holds (its first line is ``# %% <module>.py``), if any."""
    first = source.lstrip().split("\n", 1)[0].strip()
    return next((e.module for e in spec.EXERCISES if first == module_marker(e.module)), None)


class NamedStubs(ClearSolutions):
    """``ClearSolutions`` whose stub in a module's code cell names the exercise and the function to write."""

    def _replace_solution_region(self, cell: NotebookNode, language: str) -> bool:
        module = module_of_cell(cell.source) if cell.cell_type == "code" and language == "python" else None
        if module is None or BEGIN not in cell.source:
            return super()._replace_solution_region(cell, language)
        cell.source = replace_regions(cell.source, module).rstrip("\n")
        return True


class RepairDuplicatedCells(NbGraderPreprocessor):
    """Keep nbgrader's metadata on the last cell of each ``grade_id``; earlier copies become ordinary cells."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        last: dict[str, int] = {}
        for index, cell in enumerate(nb.cells):
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id:
                last[grade_id] = index
        for index, cell in enumerate(nb.cells):
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id and last[grade_id] != index:
                del cell.metadata["nbgrader"]
                self.log.warning("cnnkit: cell %d is a copy of the cell %r (Jupyter's copy keeps nbgrader's "
                                 "metadata): graded as an ordinary cell, the last copy as %r", index + 1, grade_id,
                                 grade_id)
        return nb, resources
