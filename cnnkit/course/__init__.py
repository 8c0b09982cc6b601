"""The course material, generated from ``solutions/`` and ``graders/``.

* ``stubgen``: the student stubs in ``exercises/``.
* ``notebook``: what a notebook cell runs (``check``, cells used as modules).
* ``build``: the nbgrader course (``cnnkit course``); ``release``: the student release (``cnnkit release``).
* ``autograde``: nbgrader's autograde step, replaced by the kit's sandboxed grading.
"""

from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    # Before 0.2, ``cnnkit.course`` was the course builder module: its names stay reachable here.
    if not name.startswith("__"):
        build = importlib.import_module("cnnkit.course.build")
        if hasattr(build, name):
            return getattr(build, name)
    raise AttributeError(f"module 'cnnkit.course' has no attribute {name!r}")
