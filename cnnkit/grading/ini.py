"""The graders' options also as pytest ini options (``[tool.pytest.ini_options]``, ``pytest.ini``, ...).

Where such an option comes from, first found first: the command line (``--cnnkit-hints``), then the ini
option (``cnnkit_hints``), then the built-in default. For example, in the kit's ``pyproject.toml``::

    [tool.pytest.ini_options]
    cnnkit_hints = "method"
    cnnkit_tracebacks = true
    cnnkit_timeout_scale = 2.5

The plugin (``cnnkit.grading.plugin.pytest_addoption``) declares the command-line options with no
default and calls ``add_ini_options``; ``IniDefaults.pytest_configure`` then fills in, before any
other plugin reads them, those the command line left out. ``cnnkit grade`` passes its own choices on
the command line (``cnnkit.config``: ``[tool.cnnkit]``), so there the ini options do not apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from cnnkit.grading import hints

PLUGIN_NAME = "cnnkit-ini-defaults"


def _hint_level(text: str) -> str:
    if text not in hints.LEVELS:
        raise ValueError(f"{text!r} is not one of {', '.join(hints.LEVELS)}")
    return text


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ValueError(f"{text!r} is not a positive number")
    return value


@dataclass(frozen=True)
class IniOption:
    """An ini option standing for a command-line option."""

    dest: str  # the command-line option's ``dest`` (``config.option.<dest>``)
    flag: str  # the command-line option, for the help text
    kind: str  # pytest's ini type: "string" or "bool"
    default: Any  # the built-in default
    parse: Callable[[str], Any] = str  # a "string" value as used (``ValueError`` with why)


INI_OPTIONS: dict[str, IniOption] = {
    "cnnkit_hints": IniOption("cnnkit_hints", "--cnnkit-hints", "string", hints.DEFAULT_LEVEL, _hint_level),
    "cnnkit_tracebacks": IniOption("cnnkit_tracebacks", "--cnnkit-tracebacks", "bool", False),
    "cnnkit_timeout_scale": IniOption("timeout_scale", "--timeout-scale", "string", 1.0, _scale),
}


def add_ini_options(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """Declare ``INI_OPTIONS`` and register ``IniDefaults`` (once, however many conftests load the plugin)."""
    for name, option in INI_OPTIONS.items():
        parser.addini(name, f"default of {option.flag} (the command line wins; built-in: {option.default})",
                      type=option.kind, default=None)  # fmt: skip
    if not pluginmanager.has_plugin(PLUGIN_NAME):
        pluginmanager.register(IniDefaults(), PLUGIN_NAME)


def ini_value(config: pytest.Config, name: str) -> Any:
    """Ini option ``name``'s value as used (its built-in default where unset); ``pytest.UsageError`` when
    the value is not one."""
    option, raw = INI_OPTIONS[name], config.getini(name)
    if raw is None or raw == "" or raw == []:  # unset (pytest before 8.1 answers "" or [] for a None default)
        return option.default
    if option.kind == "bool":
        return bool(raw)
    try:
        return option.parse(str(raw).strip())
    except ValueError as why:
        raise pytest.UsageError(f"ini option {name} = {raw!r}: {why}") from None


class IniDefaults:
    """Gives the options the command line left out (``None``) their ini value, else their built-in default."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        for name, option in INI_OPTIONS.items():
            if getattr(config.option, option.dest, None) is None:
                setattr(config.option, option.dest, ini_value(config, name))
