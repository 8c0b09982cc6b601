"""Grader configuration: everything lives in the kit's pytest plugin (cnnkit.pytest_plugin)."""

from cnnkit.pytest_plugin import *  # noqa: F403  (hooks and the sub/ref fixtures)
from cnnkit.pytest_plugin import pytest_addoption, pytest_configure, ref, sub  # noqa: F401
