"""Helpers shared by the kit's tests: submissions built from the reference, variant files, IDX files.

Fixtures stay in ``conftest.py``; test modules import these with ``from helpers import ...``.
"""

from __future__ import annotations

import functools
import shutil
import struct
from pathlib import Path

import numpy as np

from cnnkit import paths

TESTS_DIR = Path(__file__).parent
MUTANTS_DIR = TESTS_DIR / "mutants"
ALTERNATIVES_DIR = TESTS_DIR / "alternatives"
HOSTILE_DIR = TESTS_DIR / "hostile"


def build_submission(target: Path, overrides: dict[str, str], base: Path = paths.SOLUTIONS_DIR) -> Path:
    """A submission folder: the reference modules, with ``overrides[module]`` appended to each module.

    Appending works because a later ``def`` of the same name replaces the earlier one, so an
    override file only holds the functions it changes.
    """
    target.mkdir(parents=True, exist_ok=True)
    for path in base.glob("*.py"):
        shutil.copy2(path, target / path.name)
    for module, source in overrides.items():
        with open(target / f"{module}.py", "a") as handle:
            handle.write("\n\n# --- override ---\n" + source)
    return target


def write_idx(path: Path, array: np.ndarray, magic: int) -> None:
    """Write ``array`` as an uint8 IDX file (MNIST's format: magic, sizes, then the bytes)."""
    header = struct.pack(f">{1 + array.ndim}I", magic, *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def variant_files(folder: Path) -> list[Path]:
    """Mutant or alternative files: ``<exercise module>__<what>.py``."""
    return sorted(path for path in folder.glob("*__*.py"))


def module_of(variant: Path) -> str:
    return variant.stem.split("__", 1)[0]


@functools.cache
def grader_test_names(module: str) -> list[str]:
    """Every grader test of ``module``, as the plugin collects them (nothing is run)."""
    from cnnkit.grading.runner import grade_submission

    report = grade_submission(paths.SOLUTIONS_DIR, exercises=[module], extra_args=["--collect-only"])
    return [test["name"] for exercise in report["exercises"] if exercise["module"] == module for test in exercise["tests"]]
