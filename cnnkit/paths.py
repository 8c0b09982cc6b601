"""Where the kit's folders are. The kit runs from a checkout (or a student release) of the repo.

The root is the folder a student or an instructor works in, not where the ``cnnkit`` package
happens to be installed from: ``CNNKIT_ROOT`` if set, else the nearest folder at or above the
current directory that holds ``graders/conftest.py`` and ``exercises/`` (a checkout or a
release), else the checkout this package lives in. So ``pytest graders`` and ``cnnkit grade`` in
a second copy of a release grade that copy's ``exercises/``, whichever copy was ``pip install``ed.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The checkout this package lives in (an editable install's source tree).
PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def is_kit_folder(folder: Path) -> bool:
    """A checkout or a student release: graders with their conftest, and the exercises."""
    return (folder / "graders" / "conftest.py").is_file() and (folder / "exercises").is_dir()


def find_root(start: Path | None = None) -> Path:
    """``CNNKIT_ROOT``, else the nearest kit folder at or above ``start`` (the current directory), else
    ``PACKAGE_ROOT``."""
    if os.environ.get("CNNKIT_ROOT"):
        return Path(os.environ["CNNKIT_ROOT"]).resolve()
    try:
        here = (start or Path.cwd()).resolve()
    except OSError:  # the current directory was removed
        return PACKAGE_ROOT
    return next((folder for folder in (here, *here.parents) if is_kit_folder(folder)), PACKAGE_ROOT)


#: The repository root: the folder holding exercises/, solutions/ and graders/.
ROOT = find_root()
EXERCISES_DIR = ROOT / "exercises"
SOLUTIONS_DIR = ROOT / "solutions"
GRADERS_DIR = ROOT / "graders"
HIDDEN_GRADERS_DIR = GRADERS_DIR / "hidden"
DATASETS_DIR = ROOT / "datasets"
