"""Collecting grader tests: which files are graders (of which exercise, public or hidden), each test's points
shared by its cases, ``-m`` markers, ``--public-only``, and the curriculum order the tests run in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cnnkit import spec
from cnnkit.grading.fixtures import sub
from cnnkit.grading.scoring import TestResult


def _message_only(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """A failure's text without its traceback (``Item.repr_failure`` for graded tests, students' view)."""
    return f"{excinfo.typename}: {excinfo.value}"


def test_key(item: pytest.Item) -> tuple[str, str]:
    """The test function an item is a case of: its file and its name without the ``[case]`` id."""
    return str(item.path), getattr(item, "originalname", None) or item.name.split("[", 1)[0]


@dataclass(frozen=True)
class GraderFile:
    """What a grader file's place says: the exercise module it names and who has it."""

    module: str  # from the name: test_<module>.py
    visibility: str  # "public" (graders/) or "hidden" (graders/hidden/)


def grader_file(path: Path, graders_dirs: Iterable[Path]) -> GraderFile | None:
    """``<graders>/test_<m>.py`` -> (m, public), ``<graders>/hidden/test_<m>.py`` -> (m, hidden), else None.

    Only the layout below a graders folder counts, never the folders above it: a checkout
    under a folder named ``hidden`` still has public tests.
    """
    path = Path(path).resolve()
    if not (path.name.startswith("test_") and path.suffix == ".py"):
        return None
    for folder in graders_dirs:
        if path.parent == folder:
            return GraderFile(path.stem[len("test_"):], "public")
        if path.parent == folder / "hidden":
            return GraderFile(path.stem[len("test_"):], "hidden")
    return None


class Collection:
    """The ``GradingSession``'s collection hooks: one ``TestResult`` (not run yet) per grader test case."""

    config: pytest.Config
    results: dict[str, TestResult]
    cases: dict[tuple[str, str], int]
    docs: dict[str, str]
    tracebacks: bool

    def graders_dirs(self) -> list[Path]:
        """The graders folders: those whose ``conftest.py`` loads this plugin (a checkout's, a release's)."""
        return [
            Path(plugin.__file__).resolve().parent
            for plugin in self.config.pluginmanager.get_plugins()
            if getattr(plugin, "sub", None) is sub and Path(getattr(plugin, "__file__", "") or "").name == "conftest.py"
        ]

    def grader_of(self, path: Path) -> GraderFile | None:
        """The grader file at ``path`` (exercise and visibility) when it is one of a known exercise."""
        place = grader_file(Path(str(path)), self.graders_dirs())
        return place if place is not None and place.module in spec.BY_MODULE else None

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> None:
        """The spec is the curriculum: a grader file for an undeclared module would run and never be scored."""
        place = grader_file(file_path, self.graders_dirs())
        if place is not None and place.module not in spec.BY_MODULE:
            raise parent.CollectError(
                f"{file_path} grades exercise module {place.module!r}, which cnnkit/spec.py does not declare "
                f"(known modules: {', '.join(spec.BY_MODULE)}); add its entry to spec.EXERCISES or rename the file"
            )

    def pytest_itemcollected(self, item: pytest.Item) -> None:
        """Mark each grader test with its exercise and visibility before ``-m`` selection runs."""
        place = self.grader_of(item.path)
        if place is not None:
            key = test_key(item)
            self.cases[key] = self.cases.get(key, 0) + 1
            item.add_marker(place.module)
            item.add_marker(place.visibility)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        kept, dropped = [], []
        for item in items:
            place = self.grader_of(item.path)
            if place is None:
                kept.append(item)
                continue
            module, visibility = place.module, place.visibility
            marker = item.get_closest_marker("points")
            if marker is None or not marker.args:
                raise pytest.UsageError(f"grader test {item.nodeid} has no @pytest.mark.points(n)")
            if visibility == "hidden" and config.getoption("public_only"):
                dropped.append(item)
                continue
            kept.append(item)
            if not self.tracebacks and isinstance(item, pytest.Function):
                # pytest would render the full traceback of every failure (parsing the source of each
                # frame: half of a failing submission's grading time, measured), only for
                # pytest_runtest_makereport to replace it with the feedback: render the message alone.
                item.repr_failure = _message_only  # type: ignore[method-assign]
            share = float(marker.args[0]) / self.cases.get(test_key(item), 1)
            self.results[item.nodeid] = TestResult(
                name=item.name, exercise=module, visibility=visibility, max_score=share,
                test=test_key(item)[1], points=float(marker.args[0]),
            )  # fmt: skip
            if config.option.collectonly:  # the course builder's registry: what each check is about
                self.docs[item.nodeid] = (getattr(getattr(item, "function", None), "__doc__", "") or "").strip()
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        # Curriculum order (a stable sort keeps each grader file's tests together): an exercise is
        # graded before the exercises built on it, so a function that hangs times out first in its
        # own exercise and is not waited on again by the ones that run it (``TimeoutMemory``).
        order = {exercise.module: index for index, exercise in enumerate(spec.EXERCISES)}
        def curriculum_index(item: pytest.Item) -> tuple[int, bool]:  # public tests before hidden ones
            result = self.results.get(item.nodeid)
            if result is None:
                return len(order), False
            return order.get(result.exercise, len(order)), result.visibility == "hidden"

        items[:] = sorted(kept, key=curriculum_index)
        self.write_report()  # every test listed ("not run") before any runs: a killed run still lists them all
