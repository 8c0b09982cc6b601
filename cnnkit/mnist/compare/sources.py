"""Where ``cnnkit compare``'s code comes from: the reference solutions or a student's folder, exercise 15's
``compare_models`` (and the exercises it imports), exercise 14's tools, exercise 13's own network, and the
``--models`` names."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from types import ModuleType

from cnnkit import paths, spec
from cnnkit.errors import CommandError

#: --models short names -> class names in ex7_models, in the article's order.
MODEL_KEYS: dict[str, str] = {"plain": "PlainNN", "cnn": "MNIST_CNN", "small": "SmallCNN"}
COMPARISON = "ex15_mnist"  # the exercise whose compare_models this command runs
# --models own: the student's exercise-13 network (every layer theirs), trained next to compare_models' models.
OWN_KEY, OWN_MODULE, OWN_MODEL = "own", "ex13_own_cnn", "OwnSmallCNN"
CODE_MODULES = (*spec.exercise(COMPARISON).depends_on, COMPARISON)


def code_folder(args: argparse.Namespace) -> Path:
    if args.submission is not None:
        return args.submission.resolve()
    if args.solutions or paths.SOLUTIONS_DIR.is_dir():
        return paths.SOLUTIONS_DIR
    return paths.EXERCISES_DIR


def load_comparison(folder: Path) -> ModuleType:
    """Import ``folder/ex15_mnist.py`` with ``folder`` first on ``sys.path`` (so its ex7/ex8 are used)."""
    if not (folder / f"{COMPARISON}.py").is_file():
        raise CommandError(f"no {COMPARISON}.py in {folder}: point --submission at the folder with your exercise files")
    for name in CODE_MODULES:
        sys.modules.pop(name, None)
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(COMPARISON)
    finally:
        sys.path.remove(str(folder))


#: Exercise 14, whose random_shift, EarlyStopping and diagnose the opt-in improvements and the diagnosis use.
TROUBLESHOOTING = "ex14_troubleshooting"


def load_troubleshooting(folder: Path, required: bool) -> ModuleType | None:
    """Import ``folder/ex14_troubleshooting.py`` (the code compared: the reference or a student's); None when it is
    not there and not ``required``."""
    if not (folder / f"{TROUBLESHOOTING}.py").is_file():
        if required:
            raise CommandError(f"--augment and --early-stopping use exercise 14: no {TROUBLESHOOTING}.py in {folder}")
        return None
    sys.modules.pop(TROUBLESHOOTING, None)
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(TROUBLESHOOTING)
    except Exception as exc:  # noqa: BLE001 - only the diagnosis needs it then: the run goes on without
        if required:
            raise
        print(f"note: {TROUBLESHOOTING}.py did not import ({type(exc).__name__}: {exc}): no diagnosis", file=sys.stderr)
        return None
    finally:
        sys.path.remove(str(folder))


def parse_models(text: str) -> list[str]:
    names = []
    for key in (part.strip().lower() for part in text.split(",") if part.strip()):
        if key == OWN_KEY:
            names.append(OWN_MODEL)
            continue
        if key not in MODEL_KEYS:
            raise CommandError(f"--models: unknown model {key!r}; choose from {', '.join([*MODEL_KEYS, OWN_KEY])}")
        names.append(MODEL_KEYS[key])
    return names
