"""Configuration where the convention puts it.

* ``cnnkit`` (the command): command line > environment variable > ``[tool.cnnkit]`` of the nearest
  ``pyproject.toml`` > built-in default (``cnnkit.config``);
* ``pytest graders``: command line > ini option (``[tool.pytest.ini_options]``) > built-in default
  (``cnnkit.grading.ini``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import MUTANTS_DIR, build_submission

from cnnkit import cli, config, paths
from cnnkit.errors import USAGE, CommandError
from cnnkit.grading import ini
from cnnkit.grading.runner import required_isolation
from cnnkit.mnist import data
from cnnkit.sandbox import limits

EVERY_SETTING = """[tool.cnnkit]
hints = "method"
jobs = 3
timeout = 20
total_timeout = 900
require_isolation = "partial"
limits = { worker_memory = "2GiB", run_tasks = 256 }
data = "mnist"
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder (the current directory) whose ``pyproject.toml`` a test writes; none of the
    variables the settings stand for is set."""
    for setting in config.SETTINGS.values():
        if setting.env:
            monkeypatch.delenv(setting.env, raising=False)
    monkeypatch.delenv("CNNKIT_REQUIRE_ISOLATION", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _grade_args(*argv: str) -> object:
    """``cnnkit grade``'s arguments as ``cnnkit.cli.main`` builds them (settings from the current folder)."""
    return cli.build_parser("grade", config.read_config()).parse_args(["grade", *argv])


# -- [tool.cnnkit] ---------------------------------------------------------------------------------------
def test_without_a_table_the_built_in_defaults_apply(project: Path):
    (project / "pyproject.toml").write_text('[project]\nname = "course"\n')
    assert config.read_config() == {}
    args = _grade_args()
    assert (args.hints, args.jobs, args.timeout, args.total_timeout, args.require_isolation) == (
        "concept", None, None, None, "")


def test_every_setting_is_read_and_the_command_line_wins(project: Path):
    (project / "pyproject.toml").write_text(EVERY_SETTING)
    args = _grade_args()
    assert (args.hints, args.jobs, args.timeout, args.total_timeout, args.require_isolation) == (
        "method", 3, 20.0, 900.0, "partial")
    args = _grade_args("--hints", "none", "--jobs", "1", "--timeout", "5", "--total-timeout", "60",
                       "--require-isolation", "strong")
    assert (args.hints, args.jobs, args.timeout, args.total_timeout, args.require_isolation) == (
        "none", 1, 5.0, 60.0, "strong")


def test_the_nearest_pyproject_is_read(project: Path, monkeypatch: pytest.MonkeyPatch):
    (project / "pyproject.toml").write_text('[tool.cnnkit]\nhints = "none"\n')
    (project / "course" / "week1").mkdir(parents=True)
    monkeypatch.chdir(project / "course" / "week1")
    assert config.find_pyproject() == project / "pyproject.toml"
    assert _grade_args().hints == "none"
    (project / "course" / "pyproject.toml").write_text('[tool.cnnkit]\nhints = "method"\n')
    assert _grade_args().hints == "method"


def test_variables_carry_settings_to_other_processes_and_the_environment_wins(project: Path):
    (project / "pyproject.toml").write_text(EVERY_SETTING)
    settings = config.read_config()
    environ: dict[str, str] = {}
    exported = config.export_variables(settings, environ)
    assert exported == environ == {"CNNKIT_LIMITS": "worker_memory=2GiB,run_tasks=256",
                                   "CNNKIT_DATA": str(project / "mnist")}  # relative to the pyproject's folder
    assert limits.parse(environ["CNNKIT_LIMITS"]).worker_memory == 2 * limits.GiB
    environ = {"CNNKIT_LIMITS": "run_tasks=128", "CNNKIT_DATA": "/elsewhere"}
    assert config.export_variables(settings, environ) == {}
    assert environ == {"CNNKIT_LIMITS": "run_tasks=128", "CNNKIT_DATA": "/elsewhere"}


def test_data_reaches_the_mnist_reader(project: Path):
    (project / "pyproject.toml").write_text('[tool.cnnkit]\ndata = "~/mnist"\n')
    config.export_variables(config.read_config())
    assert data.resolve_root() == Path("~/mnist").expanduser().resolve()
    assert data.resolve_root("/given") == Path("/given")  # the command line (compare's --data) wins


def test_required_isolation_fails_closed(project: Path, monkeypatch: pytest.MonkeyPatch):
    """The table's (or the command line's) level and the variable's: the stronger applies."""
    (project / "pyproject.toml").write_text('[tool.cnnkit]\nrequire_isolation = "strong"\n')
    monkeypatch.setenv("CNNKIT_REQUIRE_ISOLATION", "partial")
    assert required_isolation(_grade_args().require_isolation) == "strong"
    (project / "pyproject.toml").write_text('[tool.cnnkit]\nrequire_isolation = "partial"\n')
    monkeypatch.setenv("CNNKIT_REQUIRE_ISOLATION", "strong")
    assert required_isolation(_grade_args().require_isolation) == "strong"


@pytest.mark.parametrize(("table", "said"), [
    ('hint = "method"', "[tool.cnnkit] has no setting 'hint' (known: hints, jobs,"),
    ('hints = "all"', "[tool.cnnkit] hints: 'all' is not one of none, concept, method"),
    ("jobs = 0", "[tool.cnnkit] jobs: 0 is not a positive whole number"),
    ('timeout = "10"', "[tool.cnnkit] timeout: '10' is not a positive number"),
    ('require_isolation = "advisory"', "[tool.cnnkit] require_isolation: 'advisory' is not one of partial, strong"),
    ("limits = { worker_memry = 1 }", "[tool.cnnkit] limits: unknown limit 'worker_memry'"),
    ('limits = "run_tasks=-1"', "[tool.cnnkit] limits: run_tasks must be positive"),
    ("data = 3", "[tool.cnnkit] data: 3 is not a path"),
])  # fmt: skip
def test_a_wrong_setting_is_one_line_naming_the_file(project: Path, capsys: pytest.CaptureFixture[str],
                                                     table: str, said: str):
    (project / "pyproject.toml").write_text(f"[tool.cnnkit]\n{table}\n")
    with pytest.raises(CommandError) as error:
        config.read_config()
    assert error.value.exit_code == USAGE
    assert cli.main(["grade"]) == USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"cnnkit grade: {project / 'pyproject.toml'}: {said}"), err


def test_a_broken_pyproject_is_one_line(project: Path, capsys: pytest.CaptureFixture[str]):
    (project / "pyproject.toml").write_text("[tool.cnnkit\n")
    assert cli.main(["grade"]) == USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not readable as TOML" in err


def test_cnnkit_grade_uses_the_tables_hint_level(project: Path, capsys: pytest.CaptureFixture[str]):
    """End to end: ``hints = "method"`` in ``[tool.cnnkit]`` gives the method hint, ``--hints none`` none."""
    mutant = (MUTANTS_DIR / "ex1_output_size__true_division.py").read_text()
    submission = build_submission(project / "submission", {"ex1_output_size": mutant})
    (project / "pyproject.toml").write_text('[tool.cnnkit]\nhints = "method"\n')
    command = ["grade", str(submission), "--exercise", "ex1_output_size", "--public-only", "--format", "json"]
    assert cli.main(command) == 0
    method = json.dumps(json.loads(capsys.readouterr().out))
    assert "floor division" in method
    assert cli.main([*command, "--hints", "none"]) == 0
    assert "floor division" not in json.dumps(json.loads(capsys.readouterr().out))


# -- pytest's ini options ----------------------------------------------------------------------------------
def _configured(ini_values: dict[str, object], **given: object) -> SimpleNamespace:
    """A stand-in for pytest's config after ``IniDefaults.pytest_configure``: ``given`` on the command line."""
    options = SimpleNamespace(**{option.dest: None for option in ini.INI_OPTIONS.values()} | given)
    fake = SimpleNamespace(option=options, getini=lambda name: ini_values.get(name))
    ini.IniDefaults().pytest_configure(fake)  # type: ignore[arg-type]
    return options


def test_ini_options_sit_between_the_command_line_and_the_defaults():
    assert vars(_configured({})) == {"cnnkit_hints": "concept", "cnnkit_tracebacks": False, "timeout_scale": 1.0}
    from_ini = {"cnnkit_hints": "method", "cnnkit_tracebacks": True, "cnnkit_timeout_scale": "2.5"}
    assert vars(_configured(from_ini)) == {"cnnkit_hints": "method", "cnnkit_tracebacks": True, "timeout_scale": 2.5}
    given = _configured(from_ini, cnnkit_hints="none", cnnkit_tracebacks=True, timeout_scale=0.5)
    assert vars(given) == {"cnnkit_hints": "none", "cnnkit_tracebacks": True, "timeout_scale": 0.5}


@pytest.mark.parametrize(("name", "value"), [("cnnkit_hints", "all"), ("cnnkit_timeout_scale", "-1"),
                                             ("cnnkit_timeout_scale", "fast")])
def test_a_wrong_ini_value_is_a_usage_error(name: str, value: str):
    with pytest.raises(pytest.UsageError, match=f"ini option {name} = '{value}': "):
        _configured({name: value})


def _graders_copy(folder: Path, pyproject: str) -> Path:
    """A kit folder with exercise 1's public grader and the given ``pyproject.toml``."""
    (folder / "graders").mkdir(parents=True)
    for name in ("conftest.py", "test_ex1_output_size.py"):
        shutil.copy2(paths.GRADERS_DIR / name, folder / "graders" / name)
    mutant = (MUTANTS_DIR / "ex1_output_size__true_division.py").read_text()
    build_submission(folder / "exercises", {"ex1_output_size": mutant})
    (folder / "pyproject.toml").write_text(pyproject)
    return folder


def _pytest_graders(kit: Path, *args: str) -> tuple[str, str]:
    """``pytest graders`` in ``kit``: its output and the report's feedback."""
    report = kit / "report.json"
    done = subprocess.run([sys.executable, "-m", "pytest", "graders", "-p", "no:cacheprovider", "--cnnkit-report",
                           str(report), *args], cwd=kit, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "CNNKIT_ROOT": str(kit)})  # fmt: skip
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    tests = json.loads(report.read_text())["exercises"][0]["tests"]
    return done.stdout, "\n".join(test["feedback"] for test in tests)


def test_pytest_graders_reads_the_ini_options(tmp_path: Path):
    kit = _graders_copy(tmp_path, '[tool.pytest.ini_options]\ncnnkit_hints = "method"\ncnnkit_tracebacks = true\n')
    output, feedback = _pytest_graders(kit)
    assert "floor division" in feedback
    assert "def test_" in output  # the full traceback shows the grader's source
    output, feedback = _pytest_graders(kit, "--cnnkit-hints", "none", "-o", "cnnkit_tracebacks=false")
    assert "floor division" not in feedback and "rounded down" not in feedback
    assert "def test_" not in output
