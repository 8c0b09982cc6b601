"""``cnnkit release --out DIR``: what students get, and nothing more.

The release holds the stubs (``exercises/``), the public graders (``graders/test_*.py`` and
``graders/conftest.py``; never ``graders/hidden/``), the ``cnnkit`` package the checks need (it
holds no solution), the embedded dataset sample (``datasets/``), the notebooks in their released
form (solution regions replaced by nbgrader's own ``ClearSolutions``, hidden tests removed by
``ClearHiddenTests``), a student README and a ``pyproject.toml`` so that

    pip install -e . && pytest

installs the kit and runs every public check. ``solutions/`` and ``tests/`` are never copied.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import nbformat

from cnnkit import paths, spec
from cnnkit.course.build import assignments, build_notebook, collect_registry
from cnnkit.errors import CommandError

IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")

PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "cnnkit-exercises"
version = "{version}"
description = "CNN exercises with their public checks (student release of cnnkit)"
readme = "README.md"
requires-python = ">=3.10"
dependencies = {dependencies}

[project.scripts]
cnnkit = "cnnkit.cli:main"

[tool.setuptools.packages.find]
include = ["cnnkit*"]

[tool.setuptools.package-data]
"*" = ["*.typed", "*.txt", "*.md", "*.json"]

[tool.pytest.ini_options]
testpaths = ["graders"]
addopts = "-p no:cacheprovider -W ignore::DeprecationWarning"
"""

STUDENT_README = """# CNN exercises

Write the pieces of a convolutional neural network by hand, check each one, and finish by
comparing a plain net with CNNs on MNIST.

## Install and run every check (one command)

```bash
pip install -e . && pytest
```

(In a fresh virtual environment: `python -m venv .venv && . .venv/bin/activate` first.)

## Work an exercise

1. Open `exercises/ex1_output_size.py` (or the notebook `notebooks/ex1_output_size/ex1_output_size.ipynb`),
   read the explanation at the top, and replace each `raise NotImplementedError(...)` with your code.
2. Check it:

```bash
pytest graders -m ex1_output_size      # one exercise
pytest graders                         # all public checks, with a points table at the end
```

Each failure names the exercise, the smallest input that fails, expected vs got, and a hint
for known mistakes. In a notebook, run the code cell, then the check cells below it.

The exercises, in order:

{exercises}

These are the *public* checks. Your instructor grades with more (hidden) checks, so passing
every public check is necessary, not sufficient: test the edge cases the docstrings describe.
Calling the torch function an exercise asks you to write (for example `F.conv2d` in `conv2d`)
is detected while your code runs and scores 0 on that exercise.

The last exercise trains on the small MNIST sample in `datasets/` when checked; run the full
comparison on all of MNIST with `cnnkit compare` (see `cnnkit compare --help`).
"""


def _dependencies() -> str:
    """The kit's own runtime dependencies, read from its pyproject (one place declares them)."""
    import tomllib

    project = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())["project"]
    return repr(list(project["dependencies"])).replace("'", '"'), project["version"]


def released_notebook(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A source notebook as nbgrader releases it: solutions cleared, hidden tests removed."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    resources: dict = {}
    for preprocessor in (ClearSolutions(), ClearHiddenTests(), ClearOutput()):
        notebook, resources = preprocessor.preprocess(notebook, resources)
    return notebook


def write_notebooks(out: Path, root: Path) -> list[Path]:
    """``out/notebooks/<assignment>/<assignment>.ipynb`` in released form."""
    registry = collect_registry(root)
    written = []
    for assignment in assignments():
        folder = out / "notebooks" / assignment.name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{assignment.name}.ipynb"
        nbformat.write(released_notebook(build_notebook(assignment, registry, root / "solutions")), path)
        written.append(path)
    return written


def write_release(out: Path, root: Path = paths.ROOT) -> Path:
    """Write the student release into ``out`` (emptied first). Returns ``out``.

    Refuses to empty a non-empty folder that is not an earlier release (your checkout, say).
    """
    if out.exists() and any(out.iterdir()):
        previous = out / "pyproject.toml"
        if not (previous.exists() and 'name = "cnnkit-exercises"' in previous.read_text()):
            raise CommandError(f"{out} is not empty and not a cnnkit release: choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copytree(root / "exercises", out / "exercises", ignore=IGNORED)
    shutil.copytree(root / "cnnkit", out / "cnnkit", ignore=IGNORED)
    (out / "graders").mkdir()
    for path in [root / "graders" / "conftest.py", *sorted((root / "graders").glob("test_*.py"))]:
        shutil.copy2(path, out / "graders" / path.name)
    if (root / "datasets").is_dir():
        shutil.copytree(root / "datasets", out / "datasets", ignore=IGNORED)
    write_notebooks(out, root)
    dependencies, version = _dependencies()
    (out / "pyproject.toml").write_text(PYPROJECT.format(version=version, dependencies=dependencies))
    listing = "\n".join(f"{e.number}. `{e.module}`: {e.title}" for e in spec.EXERCISES)
    (out / "README.md").write_text(STUDENT_README.format(exercises=listing))
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="the release folder (replaced if it exists)")


def run(args: argparse.Namespace) -> int:
    out = write_release(args.out.resolve())
    print(f"wrote the student release to {out}: exercises/, graders/ (public), cnnkit/, notebooks/, README.md")
    return 0
