"""The check runner behind the nbgrader notebooks' test cells.

A notebook's code cell for exercise ``ex2_conv2d`` starts with the line ``# %% ex2_conv2d.py``
(see ``module_marker``) and holds that module's code. A test cell calls
``check("ex2_conv2d", "test_matches_torch")``. ``check``:

1. rebuilds the student's modules from the cells the kernel has executed (IPython's input
   history: the latest run of each marked cell), writes them to a temporary submission folder,
2. grades that folder once with the kit's graders (public, plus hidden ones where the
   instructor's checkout has them), in a fresh pytest process, student code sandboxed as
   always, and caches the report for those exact sources,
3. prints that test's feedback to **stdout only**, and makes the cell's value what nbgrader
   must read: ``None`` (nothing displayed: full points) when the test passed, else the points
   earned as a plain Python ``float`` (``0.0`` for nothing; nbgrader reads a number as partial
   credit). It never raises for a failing check: a traceback would print on stderr and could
   quote a hidden test cell's source into the feedback.

This runs in the student's own kernel, which the student controls: it is feedback while working.
The scores ``nbgrader autograde`` records come from ``cnnkit.course.autograde.SandboxGrades``, which
grades the notebook's extracted code outside that kernel (the generated ``nbgrader_config.py``
replaces nbgrader's Execute step with it).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import sys
import tempfile
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cnnkit import paths, spec

#: Seconds one grading run (all checks of one exercise) may take inside a test cell.
GRADING_TIMEOUT = 900.0
#: A cell longer than this is never parsed on the trusted side (the exercises' modules are ~10 KB;
#: a parse builds a tree many times the source's size): it counts as unparseable.
MAX_PARSED_CELL = 256 * 1024

_reports: dict[tuple[str, str], dict[str, Any]] = {}  # (module, sources hash) -> report


def module_marker(module: str) -> str:
    """The first line of the notebook cell that holds ``module``'s code."""
    return f"# %% {module}.py"


def kit_root(start: Path | None = None) -> Path:
    """The folder with ``graders/``: ``CNNKIT_ROOT``, the installed kit, or a parent of the cwd."""
    if os.environ.get("CNNKIT_ROOT") or (paths.GRADERS_DIR / "conftest.py").exists():
        return paths.ROOT
    for folder in [start or Path.cwd(), *(start or Path.cwd()).parents]:
        if (folder / "graders" / "conftest.py").exists():
            return folder
    return paths.ROOT


def executed_cells() -> list[str]:
    """Sources of the cells this IPython kernel ran, oldest first (raw, as typed)."""
    from IPython import get_ipython  # only present inside a kernel

    shell = get_ipython()
    if shell is None:
        return []
    return [source for source in shell.history_manager.input_hist_raw if source]


def parse_cell(source: str) -> ast.Module | None:
    """A cell's syntax tree, or None when it cannot be parsed here, whatever the reason: a syntax error,
    NUL bytes (``ValueError`` on Python 3.10), an expression too deep (``RecursionError``), too large
    (``MAX_PARSED_CELL``, ``MemoryError``). The cell is student input; nothing of it may fail the notebook."""
    if len(source) > MAX_PARSED_CELL:
        return None
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def _defines(source: str, names: Iterable[str]) -> bool:
    """Whether ``source`` parses and defines (top level) any of ``names``."""
    tree = parse_cell(source)
    if tree is None:
        return False
    defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    return bool(defined & set(names))


def unparseable_cells(cells: list[str]) -> list[int]:
    """The positions of the cells ``parse_cell`` cannot parse (reported, never graded from)."""
    return [index for index, cell in enumerate(cells) if parse_cell(cell) is None]


def module_sources(cells: list[str], modules: Iterable[str]) -> dict[str, str]:
    """``{module: source}`` from executed cells: the latest cell starting with the module's marker.

    A student who deleted the marker line still gets graded: the latest cell that parses and defines
    one of the exercise's functions is taken instead. A cell that cannot be parsed is skipped there
    (``unparseable_cells`` names them); a marked one is taken as it is, and the worker reports why
    it does not import.
    """
    found: dict[str, str] = {}
    for module in modules:
        marked = [c for c in cells if c.lstrip().startswith(module_marker(module))]
        if marked:
            found[module] = marked[-1]
            continue
        defining = [c for c in cells if _defines(c, spec.exercise(module).functions)]
        if defining:
            found[module] = defining[-1]
    return found


def grade_sources(module: str, sources: dict[str, str], root: Path) -> dict[str, Any]:
    """Grade ``module`` on ``sources`` (``{module name: code}``) with the kit's runner, as ``cnnkit grade``
    would: a fresh pytest process, student code sandboxed, the report checked, a hang reported as a timeout."""
    from cnnkit.grading.runner import grade_submission

    with tempfile.TemporaryDirectory(prefix="cnnkit-notebook-") as scratch:
        submission = Path(scratch) / "submission"
        submission.mkdir()
        for name, source in sources.items():
            (submission / f"{name}.py").write_bytes(source.encode("utf-8", "surrogatepass"))
        return grade_submission(submission, exercises=[module], root=root, wall_limit=GRADING_TIMEOUT,
                                env={"PYTHONWARNINGS": "ignore"})  # fmt: skip


def _report_for(module: str, cells: list[str]) -> tuple[dict[str, Any] | None, str]:
    """The (cached) report for the student's current code, or ``(None, why)``."""
    wanted = [module, *spec.exercise(module).depends_on]
    sources = module_sources(cells, wanted)
    missing = [name for name in wanted if name not in sources]
    if missing:
        lines = ", ".join(f"`{module_marker(name)}`" for name in missing)
        return None, f"run the code cell(s) starting with {lines} first (keep that first line)"
    digest = hashlib.sha256(json.dumps(sources, sort_keys=True).encode()).hexdigest()
    key = (module, digest)
    if key not in _reports:
        _reports[key] = grade_sources(module, sources, kit_root())
    return _reports[key], ""


def _test_results(report: dict[str, Any], module: str, test: str) -> list[dict[str, Any]]:
    """The report entries of grader test ``test`` (every parametrized case of it)."""
    tests = next((e["tests"] for e in report["exercises"] if e["module"] == module), [])
    return [t for t in tests if t["name"] == test or t["name"].startswith(test + "[")]


def summarize(module: str, test: str, results: list[dict[str, Any]], label: str) -> tuple[float, float, str]:
    """``(score, max_score, feedback text)`` for one grader test's results, headed by ``label``."""
    score = sum(r["score"] for r in results)
    max_score = sum(r["max_score"] for r in results)
    lines = [f"{module} · {label}: {score:g} / {max_score:g} points"]
    for result in results:
        if result["status"] != "passed":
            case = result["name"][len(test):] or ""
            lines.append(f"  {result['status']}{' ' + case if case else ''}: {result['feedback']}")
    return score, max_score, "\n".join(lines)


def check(module: str, test: str, label: str | None = None) -> float | None:
    """Grade the student's ``module`` and report grader test ``test``; see the module docstring.

    ``label`` names the check in the printed feedback (hidden checks are not named by their test).
    Returns ``None`` when every case of ``test`` passed, else the points earned as a ``float``.
    """
    label = label or test
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            report, why = _report_for(module, executed_cells())
        except Exception as exc:  # a kit problem: say so on stdout, score nothing
            print(f"{module} · {label}: could not grade ({type(exc).__name__}: {str(exc)[-800:]})")
            return 0.0
    if report is None:
        print(f"{module} · {label}: 0 points: {why}")
        return 0.0
    results = _test_results(report, module, test)
    if not results:
        print(f"{module} · {label}: this check is not in the graders found at {kit_root()}")
        return 0.0
    score, max_score, text = summarize(module, test, results, label)
    print(text)
    return None if score >= max_score else float(score)


def use_cells_as_modules(*modules: str) -> None:
    """Make the latest run of each module's cell importable in this kernel (``import ex7_models``).

    The code runs here exactly as it did in its cell; this only gives it a module name.
    """
    import types

    sources = module_sources(executed_cells(), modules)
    for module in modules:
        if module not in sources:
            print(f"run the cell starting with `{module_marker(module)}` first")
            continue
        loaded = types.ModuleType(module)
        loaded.__file__ = f"<notebook cell {module}.py>"
        sys.modules[module] = loaded
        exec(compile(sources[module], loaded.__file__, "exec"), loaded.__dict__)  # noqa: S102
        print(f"{module}: importable")
