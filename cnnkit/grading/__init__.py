"""Grading: the pytest plugin, the one runner every entry point uses, checks, feedback, reports, batches.

* ``plugin``: the pytest plugin the graders run under (points, sandbox fixtures, the JSON report).
* ``runner``: runs the graders on a submission in a fresh pytest process and checks its report.
* ``checks``, ``feedback``, ``strategies``, ``known_gradients``: what graders use to judge and explain.
* ``submission``: the graders' handle on a student's module in its sandboxed worker.
* ``reports``, ``batch``, ``grade``: reports in every format, a class at a time, the ``cnnkit grade`` command.
"""

from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    # Before 0.2, ``cnnkit.grading`` was the runner module: its names stay reachable here.
    if not name.startswith("__"):
        runner = importlib.import_module("cnnkit.grading.runner")
        if hasattr(runner, name):
            return getattr(runner, name)
    raise AttributeError(f"module 'cnnkit.grading' has no attribute {name!r}")
