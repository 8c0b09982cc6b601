"""Fixtures for the kit's own tests: grade the reference and the stubs once per session.

Plain helpers (building submissions, variant files) live in ``helpers.py``.
"""

from __future__ import annotations

import pytest

from cnnkit import paths
from cnnkit.grading.runner import grade_submission


@pytest.fixture(scope="session")
def reference_report() -> dict:
    return grade_submission(paths.SOLUTIONS_DIR)


@pytest.fixture(scope="session")
def stub_report() -> dict:
    return grade_submission(paths.EXERCISES_DIR)
