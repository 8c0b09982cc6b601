"""``cnnkit release --out DIR``: what students get, and nothing more.

The release holds the stubs (``exercises/``), the public graders (``graders/test_*.py`` and
``graders/conftest.py``; never ``graders/hidden/``), the ``cnnkit`` package the checks need (it
holds no solution), the embedded dataset sample (``datasets/``), the notebooks in their released
form (solution regions replaced as nbgrader's ``generate_assignment`` does, by the kit's ``NamedStubs``, hidden tests removed by
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

[project.optional-dependencies]
notebooks = {notebooks}  # pip install -e ".[notebooks]": to work in the notebooks

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

## Install and run every check

```bash
python -m venv .venv && . .venv/bin/activate      # a fresh virtual environment (recommended)
pip install -e .                                    # the checks (add ".[notebooks]" to work in notebooks)
pytest                                              # every public check, with a points table at the end
```

## Work an exercise

1. Open `exercises/ex1_output_size.py` (or its notebook in `notebooks/`), read the explanation at
   the top, and replace each `raise NotImplementedError(...)` with your code.
2. Check it, from this folder (the checks grade the `exercises/` of the folder you are in):

```bash
pytest graders -m ex1_output_size        # one exercise
cnnkit grade --public-only               # every exercise: points, and each mistake explained once
```

Each failure says what was checked, on which input, expected vs got, where in your file the
error happened when your code raised, and a hint when the mistake is a known one.

## What counts

| | exercise | points | of which public checks |
|---:|---|---:|---:|
{exercises}
| | **total** | **{total:g}** | **{public:g}** |

The public checks are the ones in `graders/`. When you submit, your instructor grades the same
contract with hidden checks on more inputs (the rest of each exercise's points): passing every
public check is necessary, not sufficient, so test the edge cases the docstrings describe.
Calling the torch function an exercise asks you to write (for example `F.conv2d` in `conv2d`)
scores 0 on that exercise; each file's header says what is allowed.

## Submitting

Hand in your files from `exercises/` under their own names (`ex1_output_size.py`, `ex2_conv2d.py`,
...), unchanged in name, one file per exercise: upload them to Gradescope (at the top of the
upload or in one folder), or commit and push them if your course uses a repository. If your
course works in notebooks, submit each assignment's notebook from `notebooks/` instead; keep the
first line `# %% <module>.py` of each code cell.

The last exercise trains on the small MNIST sample in `datasets/` when checked; run the full
comparison on all of MNIST with `cnnkit compare` (see `cnnkit compare --help`).
"""


def _points_table(registry: list) -> tuple[str, float, float]:
    """The README's rows (number, module, title, points, public points) and the totals."""
    public = {exercise.module: 0.0 for exercise in spec.EXERCISES}
    for test in registry:
        if test.visibility == "public":
            public[test.module] += test.points
    rows = "\n".join(f"| {e.number} | `{e.module}`: {e.title} | {e.points:g} | {public[e.module]:g} |"
                     for e in spec.EXERCISES)
    return rows, spec.TOTAL_POINTS, sum(public.values())


def _dependencies(root: Path) -> tuple[str, str, str]:
    """The kit's runtime dependencies and its notebook extra, as TOML lists, and the kit's version: read
    from its pyproject and package (one place declares each). No nbgrader: only instructors need it."""
    import tomllib

    from cnnkit import __version__

    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    notebooks = project.get("optional-dependencies", {}).get("notebooks", [])
    as_toml = lambda items: repr(list(items)).replace("'", '"')  # noqa: E731
    return as_toml(project["dependencies"]), as_toml(notebooks), __version__


def released_notebook(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A source notebook as nbgrader releases it: solutions cleared, hidden tests removed."""
    try:
        from nbgrader.preprocessors import ClearHiddenTests, ClearOutput

        from cnnkit.course.preprocessors import NamedStubs
    except ImportError:
        raise CommandError("the release's notebooks are made with nbgrader: pip install -e \".[instructor]\"") from None

    resources: dict = {}
    for preprocessor in (NamedStubs(), ClearHiddenTests(), ClearOutput()):
        notebook, resources = preprocessor.preprocess(notebook, resources)
    return notebook


def write_notebooks(out: Path, root: Path, registry: list | None = None) -> list[Path]:
    """``out/notebooks/<assignment>/<assignment>.ipynb`` in released form."""
    registry = collect_registry(root) if registry is None else registry
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
    registry = collect_registry(root)
    write_notebooks(out, root, registry)
    dependencies, notebooks, version = _dependencies(root)
    (out / "pyproject.toml").write_text(PYPROJECT.format(version=version, dependencies=dependencies,
                                                         notebooks=notebooks))
    rows, total, public = _points_table(registry)
    (out / "README.md").write_text(STUDENT_README.format(exercises=rows, total=total, public=public))
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="the release folder (replaced if it exists)")


def run(args: argparse.Namespace) -> int:
    out = write_release(args.out.resolve())
    print(f"wrote the student release to {out}: exercises/, graders/ (public), cnnkit/, notebooks/, README.md")
    return 0
