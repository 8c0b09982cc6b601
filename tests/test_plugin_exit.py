"""The kit's plugin ends a grading run with a fast exit (``CNNKIT_FAST_EXIT``) only after pytest has finished:
another plugin's ``pytest_unconfigure`` and ``config.add_cleanup`` still run, and the exit status is kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnnkit import paths

#: A third-party plugin (loaded with ``-p``): each of its end-of-run hooks writes a file.
THIRD_PARTY_PLUGIN = '''
import atexit
import os
from pathlib import Path

import pytest

OUT = Path(os.environ["THIRD_PARTY_OUT"])
atexit.register(lambda: (OUT / "atexit").write_text("ran"))


def pytest_configure(config):
    config.add_cleanup(lambda: (OUT / "cleanup").write_text("ran"))


@pytest.hookimpl(trylast=True)  # registered before the kit's session: called after its trylast unconfigure
def pytest_unconfigure(config):
    (OUT / "unconfigure").write_text("ran")
'''


def _grade_with_third_party_plugin(tmp_path: Path, submission: Path, fast_exit: str) -> tuple[int, Path]:
    (tmp_path / "third_party_plugin.py").write_text(THIRD_PARTY_PLUGIN)
    out = tmp_path / "out"
    out.mkdir()
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "pytest", "graders", "-m", "ex1_output_size", "-q", "-p", "no:cacheprovider",
               "-p", "third_party_plugin", "--submission", str(submission), "--cnnkit-report", str(report)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(paths.ROOT)]), "THIRD_PARTY_OUT": str(out),
           "CNNKIT_FAST_EXIT": fast_exit}
    done = subprocess.run(command, check=False, capture_output=True, text=True, cwd=paths.ROOT, env=env, timeout=300)
    assert json.loads(report.read_text())["complete"], done.stdout[-2000:] + done.stderr[-2000:]
    assert "cnnkit points" in done.stdout  # the points table was written before the exit
    return done.returncode, out


@pytest.mark.parametrize("fast_exit", ["1", "0"])
def test_third_party_unconfigure_and_cleanup_run_before_the_fast_exit(tmp_path, fast_exit):
    code, out = _grade_with_third_party_plugin(tmp_path, paths.SOLUTIONS_DIR, fast_exit)
    assert code == 0
    assert (out / "unconfigure").read_text() == "ran" and (out / "cleanup").read_text() == "ran"
    # What the fast exit still skips: atexit handlers registered before pytest finished (CNNKIT_FAST_EXIT=0 runs them).
    assert (out / "atexit").exists() == (fast_exit == "0")


def test_the_fast_exit_keeps_the_exit_status(tmp_path):
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    (stubs / "ex1_output_size.py").write_text((paths.EXERCISES_DIR / "ex1_output_size.py").read_text())
    code, out = _grade_with_third_party_plugin(tmp_path, stubs, "1")
    assert code == 1 and (out / "unconfigure").exists()


def test_a_run_that_ends_in_an_exception_keeps_the_ordinary_exit(tmp_path):
    """A plugin whose ``pytest_unconfigure`` raises after the kit's: the traceback's status, not pytest's 0."""
    (tmp_path / "raising_plugin.py").write_text(
        "import pytest\n\n\n@pytest.hookimpl(trylast=True)\ndef pytest_unconfigure(config):\n"
        "    raise RuntimeError('raised at unconfigure')\n")
    command = [sys.executable, "-m", "pytest", "graders", "-m", "ex1_output_size", "-q", "-p", "no:cacheprovider",
               "-p", "raising_plugin", "--submission", str(paths.SOLUTIONS_DIR),
               "--cnnkit-report", str(tmp_path / "report.json")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(paths.ROOT)]), "CNNKIT_FAST_EXIT": "1"}
    done = subprocess.run(command, check=False, capture_output=True, text=True, cwd=paths.ROOT, env=env, timeout=300)
    assert done.returncode == 1 and "raised at unconfigure" in done.stderr


def test_pytest_main_called_by_other_code_returns_to_it(tmp_path):
    """``pytest.main(...)`` inside another program (not the process's own pytest): no fast exit, it returns."""
    args = ["graders", "-m", "ex1_output_size", "-q", "-p", "no:cacheprovider", "--submission",
            str(paths.SOLUTIONS_DIR), "--cnnkit-report", str(tmp_path / "report.json")]
    code = f"import pytest\ncode = pytest.main({args!r})\nprint('returned', int(code))\n"
    env = {**os.environ, "PYTHONPATH": str(paths.ROOT), "CNNKIT_FAST_EXIT": "1"}
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=paths.ROOT,
                          env=env, timeout=300)
    assert done.returncode == 0 and "returned 0" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
