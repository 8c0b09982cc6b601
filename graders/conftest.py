"""Grader configuration: everything lives in the kit's pytest plugin (cnnkit.pytest_plugin).

pytest finds hooks and fixtures by name in this module, hence the imports it does not use itself;
the plugin registers the rest (points, exercises, visibility, reports) from ``pytest_configure``.
"""

from cnnkit.pytest_plugin import pytest_addoption, pytest_configure, ref, sub  # noqa: F401
