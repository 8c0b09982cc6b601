"""The course material, generated from ``solutions/`` and ``graders/``.

* ``stubgen``: the student stubs in ``exercises/``.
* ``notebook``: what a notebook cell runs (``check``, cells used as modules).
* ``build``: the nbgrader course (``cnnkit course``); ``release``: the student release (``cnnkit release``).
* ``autograde``: nbgrader's autograde step, replaced by the kit's sandboxed grading.
"""

from cnnkit import forward_names

__getattr__ = forward_names("cnnkit.course", "cnnkit.course.build")  # its names in 0.1, when it was one module
