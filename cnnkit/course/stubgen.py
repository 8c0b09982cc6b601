"""Generate the student stubs in ``exercises/`` from the reference solutions in ``solutions/``.

Each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region (nbgrader's markers, so the same
text also feeds the nbgrader notebooks) becomes ``raise NotImplementedError(...)`` at the
region's indentation, naming the exercise and the function. Everything else (docstrings,
hints, given code) is kept. A header, generated from ``cnnkit.spec``, tells the student what is
forbidden and how to check their work.
"""

from __future__ import annotations

import argparse
import re
import textwrap
from pathlib import Path

from cnnkit import paths, spec
from cnnkit.errors import FAILED, OK, CommandError

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
_DEF = re.compile(r"^(\s*)(?:async\s+)?(def|class)\s+(\w+)")


class MarkerError(ValueError):
    """Unbalanced or nested solution markers."""


def _enclosing_name(lines: list[str], index: int, indent: int) -> str:
    """Qualified name (``SmallCNN.forward``) of the def/class enclosing line ``index``."""
    names: list[str] = []
    for line in reversed(lines[:index]):
        match = _DEF.match(line)
        if match and len(match.group(1)) < indent:
            names.insert(0, match.group(3))
            indent = len(match.group(1))
    return ".".join(names) or "this part"


def _header(module: str) -> list[str]:
    exercise = spec.exercise(module)
    lines = [
        f"# Exercise {exercise.number}: {exercise.title}. Worth {exercise.points:g} points: the public checks in",
        "# graders/ give part of them; hidden checks of the same contract on more inputs, run when you",
        "# submit, give the rest.",
        "# Fill in every `raise NotImplementedError(...)`. Check your work with",
        f"#     pytest graders -m {module}",
        f"# Submit this file as {module}.py (see README.md, \"Submitting\").",
    ]
    lines.append("# Rules every exercise shares:")
    for rule in spec.SHARED_RULES:
        lines += textwrap.wrap(rule, width=100, initial_indent="#   - ", subsequent_indent="#     ")
    lines += textwrap.wrap(spec.imports_sentence(module), width=100, initial_indent="# ", subsequent_indent="#     ")
    if exercise.forbidden:
        names = ", ".join(f"*{pattern}*" for pattern in (*exercise.forbidden, *exercise.aliases))
        lines += [
            "# Forbidden here (detected while your code runs; using one scores 0 on this exercise):",
            f"#     torch functions and modules whose name contains {names}:",
            f"#     {exercise.forbidden_why}.",
        ]
    lines.append(f"# (Generated from solutions/{module}.py by `cnnkit stubs`.)")
    return lines


def strip_solutions(source: str, module: str) -> str:
    """The stub for one solution file's text."""
    return _insert_header(replace_regions(source, module), "\n".join(_header(module)) + "\n")


def replace_regions(source: str, module: str) -> str:
    """``source`` with each solution region replaced by ``raise NotImplementedError("<module>: write <name>")``
    (``name``: the enclosing function or method): the stubs' text, and the released notebooks' code cells'."""
    lines = source.splitlines()
    out: list[str] = []
    inside = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise MarkerError(f"{module}: nested {BEGIN} at line {index + 1}")
            inside = True
            indent = len(line) - len(line.lstrip())
            name = _enclosing_name(lines, index, indent)
            out.append(" " * indent + f'raise NotImplementedError("{module}: write {name}")')
            continue
        if stripped == END:
            if not inside:
                raise MarkerError(f"{module}: {END} without {BEGIN} at line {index + 1}")
            inside = False
            continue
        if not inside:
            out.append(line)
    if inside:
        raise MarkerError(f"{module}: {BEGIN} is never closed")
    return "\n".join(out) + "\n"


def _insert_header(body: str, header: str) -> str:
    """Put the header right after the module docstring (or at the top if there is none)."""
    match = re.match(r'\s*("""|\'\'\')', body)
    if match:
        quote = match.group(1)
        end = body.find(quote, match.end())
        if end != -1:
            cut = body.find("\n", end) + 1
            return body[:cut] + "\n" + header + body[cut:]
    return header + "\n" + body


def generated_stubs(solutions_dir: Path = paths.SOLUTIONS_DIR) -> dict[str, str]:
    """File name -> stub text, for every exercise."""
    stubs = {}
    for exercise in spec.EXERCISES:
        source = (solutions_dir / f"{exercise.module}.py").read_text()
        stubs[f"{exercise.module}.py"] = strip_solutions(source, exercise.module)
    return stubs


def stale_files(exercises_dir: Path = paths.EXERCISES_DIR, solutions_dir: Path = paths.SOLUTIONS_DIR) -> list[str]:
    """Stub files that are missing or differ from what the solutions generate."""
    stale = []
    for name, text in generated_stubs(solutions_dir).items():
        path = exercises_dir / name
        if not path.exists() or path.read_text() != text:
            stale.append(name)
    return stale


def write_stubs(exercises_dir: Path = paths.EXERCISES_DIR, solutions_dir: Path = paths.SOLUTIONS_DIR) -> list[str]:
    """(Re)write every stub; returns the names written."""
    exercises_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in generated_stubs(solutions_dir).items():
        path = exercises_dir / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(name)
    return written


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="only report stale stubs (exit 1 if any)")
    parser.add_argument("--out", type=Path, default=paths.EXERCISES_DIR, help="where to write (default exercises/)")


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except MarkerError as error:
        raise CommandError(f"solutions/{error}") from None
    except FileNotFoundError as error:
        raise CommandError(f"{error.filename} is missing (cnnkit/spec.py declares the exercise)") from None


def _run(args: argparse.Namespace) -> int:
    if args.check:
        stale = stale_files(args.out)
        for name in stale:
            print(f"stale: {args.out / name}")
        return FAILED if stale else OK
    written = write_stubs(args.out)
    print(f"wrote {len(written)} stub(s) to {args.out}" + (": " + ", ".join(written) if written else ""))
    return 0
