"""Grader configuration: everything lives in the kit's pytest plugin (cnnkit.grading.plugin).

pytest finds hooks and fixtures by name in this module, hence the imports it does not use itself;
the plugin registers the rest (points, exercises, visibility, reports) from ``pytest_configure``.
"""

from cnnkit.grading.plugin import pytest_addoption, pytest_configure, ref, sub  # noqa: F401
