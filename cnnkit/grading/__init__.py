"""Grading: the pytest plugin, the one runner every entry point uses, checks, feedback, reports, batches.

* ``plugin``: the pytest plugin the graders run under (points, sandbox fixtures, the JSON report).
* ``runner``: runs the graders on a submission in a fresh pytest process and checks its report.
* ``checks``, ``feedback``, ``strategies``, ``known_gradients``: what graders use to judge and explain.
* ``submission``: the graders' handle on a student's module in its sandboxed worker.
* ``reports``, ``batch``, ``grade``: reports in every format, a class at a time, the ``cnnkit grade`` command.
"""

from cnnkit import forward_names

__getattr__ = forward_names("cnnkit.grading", "cnnkit.grading.runner")  # its names in 0.1, when it was one module
