"""cnnkit: the machinery of the CNN exercise kit.

Packages (the architecture):

* ``cnnkit.spec``, ``cnnkit.tolerances``: the curriculum, declared once (exercises, points,
  forbidden APIs, tolerances); ``cnnkit.paths``, ``cnnkit.errors``, ``cnnkit.cli``: the house.
* ``cnnkit.grading``: the pytest plugin, the one grading runner, checks and feedback, reports,
  batches, the ``cnnkit grade`` command.
* ``cnnkit.sandbox``: the worker process student code runs in, and its operating-system confinement.
* ``cnnkit.course``: stubs, notebooks, the nbgrader course, the student release, nbgrader's autograde step.
* ``cnnkit.mnist``: MNIST data, the ``cnnkit compare`` training comparison and its fast layers.
* ``cnnkit.curriculum``: one module per exercise that needs kit code beyond its spec entry (worker
  operations, helpers its graders share), named by the entry's ``support``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

__version__ = "0.3.0"

#: The version that removes the old names of ``MOVED`` (and the 0.1 names ``forward_names`` answers).
OLD_NAMES_REMOVED_IN = "0.5"

#: Module names of the flat layout before 0.2 -> where they live now. Graders, notebooks and
#: student releases built before the move import the old names; they keep working (the same module
#: object under both names), so a course in progress survives an upgrade of the kit, with a
#: ``DeprecationWarning`` naming the new module (``renamed``): regenerate them before ``OLD_NAMES_REMOVED_IN``.
MOVED: dict[str, str] = {
    "cnnkit.pytest_plugin": "cnnkit.grading.plugin",
    "cnnkit.grade": "cnnkit.grading.grade",
    "cnnkit.batch": "cnnkit.grading.batch",
    "cnnkit.reports": "cnnkit.grading.reports",
    "cnnkit.feedback": "cnnkit.grading.feedback",
    "cnnkit.checks": "cnnkit.grading.checks",
    "cnnkit.strategies": "cnnkit.grading.strategies",
    "cnnkit.submission": "cnnkit.grading.submission",
    "cnnkit.known_gradients": "cnnkit.curriculum.ex9_gradcheck",
    "cnnkit.mnist_grading": "cnnkit.curriculum.ex15_mnist",
    # 0.3 renumbered the MNIST comparison ex14_mnist -> ex15_mnist (the troubleshooting exercise is 14).
    "cnnkit.curriculum.ex14_mnist": "cnnkit.curriculum.ex15_mnist",
    "cnnkit.stubgen": "cnnkit.course.stubgen",
    "cnnkit.notebook": "cnnkit.course.notebook",
    "cnnkit.release": "cnnkit.course.release",
    "cnnkit.autograde": "cnnkit.course.autograde",
    "cnnkit.data": "cnnkit.mnist.data",
    "cnnkit.compare": "cnnkit.mnist.compare",
    "cnnkit.fast_layers": "cnnkit.mnist.fast_layers",
}


def renamed(old: str, new: str) -> None:
    """Warn (``DeprecationWarning``, pointing at the importing line) that ``old`` is now ``new``."""
    warnings.warn(f"{old} is now {new}; the old name will be removed in cnnkit {OLD_NAMES_REMOVED_IN}",
                  DeprecationWarning, stacklevel=3)


def forward_names(package: str, module: str):  # noqa: ANN201 - a module-level ``__getattr__``
    """A ``__getattr__`` for ``package`` answering the names of ``module``, which ``package`` was in 0.1
    (each with ``renamed``'s warning); its own submodules are left to the import system.

    ``cnnkit.grading`` (the runner) and ``cnnkit.course`` (the course builder) became packages.
    """

    def __getattr__(name: str):  # noqa: ANN202, N807
        # Neither the import system's probes (``__path__``) nor the package's own submodules are forwarded.
        if not name.startswith("__") and importlib.util.find_spec(f"{package}.{name}") is None:
            target = importlib.import_module(module)
            if hasattr(target, name):
                renamed(f"{package}.{name}", f"{module}.{name}")
                return getattr(target, name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answer an old module name with the module at its new place."""

    def find_spec(self, fullname, path=None, target=None):  # noqa: ANN001, ANN201 - importlib's protocol
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):  # noqa: ANN001, ANN201
        renamed(spec.name, MOVED[spec.name])
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module):  # noqa: ANN001, ANN201 - already executed under its new name
        pass


if not any(isinstance(finder, _MovedModuleFinder) for finder in sys.meta_path):
    sys.meta_path.append(_MovedModuleFinder())
