"""Where the kit's folders are. The kit runs from a checkout (or a student release) of the repo."""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root: the folder holding exercises/, solutions/ and graders/.
ROOT = Path(os.environ.get("CNNKIT_ROOT", Path(__file__).resolve().parent.parent))
EXERCISES_DIR = ROOT / "exercises"
SOLUTIONS_DIR = ROOT / "solutions"
GRADERS_DIR = ROOT / "graders"
HIDDEN_GRADERS_DIR = GRADERS_DIR / "hidden"
DATASETS_DIR = ROOT / "datasets"
