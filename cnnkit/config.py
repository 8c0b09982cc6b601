"""The ``cnnkit`` command's settings in ``[tool.cnnkit]`` of the nearest ``pyproject.toml``.

Where a setting comes from, first found first: the command line, then the environment variable
(only settings that must reach other processes have one), then ``[tool.cnnkit]`` of the nearest
``pyproject.toml`` at or above the current directory, then the built-in default. For example::

    [tool.cnnkit]
    hints = "method"            # cnnkit grade --hints
    jobs = 4                    # cnnkit grade --jobs
    timeout = 20                # cnnkit grade --timeout (seconds of one call)
    total_timeout = 900         # cnnkit grade --total-timeout (seconds of one submission)
    require_isolation = "strong"  # cnnkit grade --require-isolation; CNNKIT_REQUIRE_ISOLATION
    limits = { worker_memory = "2GiB", run_tasks = 256 }  # CNNKIT_LIMITS
    data = "~/mnist"            # cnnkit compare's MNIST root; CNNKIT_DATA

``require_isolation`` fails closed: the stronger of the command line (or ``[tool.cnnkit]``) and
``CNNKIT_REQUIRE_ISOLATION`` applies. ``limits`` and ``data`` reach the grading processes as their
variables, set from the table when unset. A key the table does not know, or a value of the wrong
kind, is a ``CommandError``: one line naming the file and the key. The options of ``pytest graders``
are pytest's own ini options instead (``cnnkit.grading.ini``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnnkit.errors import USAGE, CommandError

TABLE = "[tool.cnnkit]"


def _choice(choices: Callable[[], tuple[str, ...]]) -> Callable[[Any], str]:
    """A parser accepting one of ``choices()`` (imported when used: some live beside torch)."""

    def parse(value: Any) -> str:
        if value not in choices():
            raise ValueError(f"{value!r} is not one of {', '.join(choices())}")
        return value

    return parse


def _positive(kind: type) -> Callable[[Any], Any]:
    """A parser accepting a positive number of ``kind`` (an int is a float too; a bool is neither)."""

    def parse(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int) or value <= 0:
            raise ValueError(f"{value!r} is not a positive {'number' if kind is float else 'whole number'}")
        return kind(value)

    return parse


def _limits(value: Any) -> str:
    """``{name: value}`` (or ``CNNKIT_LIMITS``'s own ``"name=value,..."``) as the variable's value, checked."""
    from cnnkit.sandbox import limits

    text = ",".join(f"{name}={size}" for name, size in value.items()) if isinstance(value, Mapping) else value
    if not isinstance(text, str):
        raise ValueError(f"{value!r} is neither a table of limits nor a string")
    try:
        limits.parse(text)
    except limits.LimitsError as error:
        raise ValueError(str(error).removeprefix(f"{limits.LIMITS_ENV}: ")) from None
    return text


def _hint_levels() -> tuple[str, ...]:
    from cnnkit.grading.hints import LEVELS

    return LEVELS


def _isolation_levels() -> tuple[str, ...]:
    from cnnkit.sandbox.confine import LEVELS

    return LEVELS[1:]  # the first, "advisory", requires nothing


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{value!r} is not a path")
    return value


@dataclass(frozen=True)
class Setting:
    """One key of ``[tool.cnnkit]``: how its value is checked, and where it applies."""

    parse: Callable[[Any], Any]  # the value as used (``ValueError`` with why, when it is not one)
    commands: tuple[str, ...] = ()  # the ``cnnkit`` commands whose option of the same name it is the default of
    env: str = ""  # the variable carrying it to other processes: set from the table when unset


SETTINGS: dict[str, Setting] = {
    "hints": Setting(_choice(_hint_levels), commands=("grade",)),
    "jobs": Setting(_positive(int), commands=("grade",)),
    "timeout": Setting(_positive(float), commands=("grade",)),
    "total_timeout": Setting(_positive(float), commands=("grade",)),
    # With CNNKIT_REQUIRE_ISOLATION, the stronger applies (``cnnkit.grading.runner.required_isolation``).
    "require_isolation": Setting(_choice(_isolation_levels), commands=("grade",)),
    "limits": Setting(_limits, env="CNNKIT_LIMITS"),
    "data": Setting(_text, env="CNNKIT_DATA"),
}


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` (the current directory), if any."""
    here = (start or Path.cwd()).resolve()
    return next((folder / "pyproject.toml" for folder in (here, *here.parents)
                 if (folder / "pyproject.toml").is_file()), None)  # fmt: skip


def _load_toml(path: Path) -> dict[str, Any]:
    """``path`` parsed (``tomllib``, or ``tomli`` before Python 3.11); ``{}`` where neither is there and
    the file has no ``[tool.cnnkit]``, a ``CommandError`` where it has one."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            if "[tool.cnnkit" in path.read_text(errors="replace"):
                raise CommandError(f"{path}: reading {TABLE} needs Python 3.11 or the tomli package") from None
            return {}
    try:
        return tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CommandError(f"{path}: not readable as TOML ({error})") from None


def read_config(start: Path | None = None) -> dict[str, Any]:
    """The settings of ``[tool.cnnkit]`` in the nearest ``pyproject.toml`` (``find_pyproject``), checked;
    ``{}`` without one. ``data`` is made absolute against the file's folder. A key not in ``SETTINGS`` or a
    value of the wrong kind raises ``CommandError`` (exit ``USAGE``), one line naming the file and key."""
    path = find_pyproject(start)
    if path is None:
        return {}
    table = _load_toml(path).get("tool", {}).get("cnnkit", {})
    if not isinstance(table, dict):
        raise CommandError(f"{path}: {TABLE} must be a table", USAGE)
    settings: dict[str, Any] = {}
    for key, value in table.items():
        if key not in SETTINGS:
            raise CommandError(f"{path}: {TABLE} has no setting {key!r} (known: {', '.join(SETTINGS)})", USAGE)
        try:
            settings[key] = SETTINGS[key].parse(value)
        except ValueError as why:
            raise CommandError(f"{path}: {TABLE} {key}: {why}", USAGE) from None
    if "data" in settings:
        settings["data"] = str((path.parent / Path(settings["data"]).expanduser()).resolve())
    return settings


def defaults_for(command: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The option defaults ``settings`` give ``command`` (argparse's ``set_defaults``; the command line wins)."""
    return {key: value for key, value in settings.items() if command in SETTINGS[key].commands}


def export_variables(settings: Mapping[str, Any], environ: dict[str, str] | None = None) -> dict[str, str]:
    """Set the variable of each setting that has one, where the environment does not already set it
    (the variable wins); what was set. ``environ``: ``os.environ`` by default."""
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    exported = {SETTINGS[key].env: str(value) for key, value in settings.items()
                if SETTINGS[key].env and not environ.get(SETTINGS[key].env)}
    environ.update(exported)
    return exported
