"""The warm grading server and the split of one submission between processes (``cnnkit.grading.server``,
``cnnkit.grading.runner.plan_shards``): faster, with the same report and the same guarantees."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from helpers import HOSTILE_DIR, MUTANTS_DIR, build_submission, grader_test_names
from test_hostile import BELOW_SOURCE_CHECK, eventually_none_of

from cnnkit import spec
from cnnkit.grading import server
from cnnkit.grading.runner import GraderFault, grade_submission, plan_shards
from cnnkit.sandbox import cgroups
from cnnkit.sandbox.timeouts import TimeoutMemory

ALL = [exercise.module for exercise in spec.EXERCISES]


def _process_group(pgid: int) -> list[int]:
    """The live processes of a process group (Linux /proc)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def _outcome(report: dict) -> dict[str, list[tuple[str, str, float]]]:
    return {e["module"]: [(t["name"], t["status"], round(t["score"], 6)) for t in e["tests"]] for e in report["exercises"]}


def test_plan_shards_keeps_an_exercise_with_what_it_builds_on_and_balances():
    for shards in (1, 2, 3, 4):
        groups = plan_shards(ALL, shards)
        assert sorted(m for g in groups for m in g) == sorted(ALL) and len(groups) <= shards
        assert all(g == sorted(g, key=ALL.index) for g in groups)  # curriculum order inside each
    one, two = plan_shards(ALL, 2)
    together = next(g for g in (one, two) if "ex15_mnist" in g)
    assert {"ex7_models", "ex8_training"} <= set(together)  # placed with ex15, which trains with them
    seconds = [sum(spec.exercise(m).grading_seconds for m in g) for g in (one, two)]
    assert max(seconds) < 0.6 * sum(seconds)
    assert plan_shards(["ex8_training", "ex15_mnist"], 2) == [["ex8_training", "ex15_mnist"]]


def test_timeout_memory_is_shared_through_its_file(tmp_path: Path):
    """Two processes' memories on one file: a timeout or a finished exercise in one is known in the other."""
    path = tmp_path / "timeouts.jsonl"
    here, there = TimeoutMemory(path), TimeoutMemory(path)
    there.timed_out("ex8_training", ["train_model"], 0, "test_loss_goes_down", 60.0)
    assert here.hopeless("ex8_training", "train_model", None).test == "test_loss_goes_down"
    here.returned("ex2_conv2d", ["conv2d"], 500, 0.1)
    there.timed_out("ex2_conv2d", ["conv2d"], 400, "test_big", 10.0)
    assert there.hopeless("ex2_conv2d", "conv2d", 400) is None  # it returned on 500 elements over there
    waited = threading.Event()
    waiter = threading.Thread(target=lambda: (here.wait_for(["ex7_models"], poll=0.01), waited.set()))
    waiter.start()
    time.sleep(0.2)
    assert not waited.is_set()
    there.finished("ex7_models")
    waiter.join(timeout=10)
    assert waited.is_set()
    TimeoutMemory().wait_for(["ex7_models"])  # without a file there is no one else to wait for


def test_one_server_serves_run_after_run_and_nothing_of_a_run_reaches_the_next(tmp_path: Path):
    submission = build_submission(tmp_path / "submission", {})
    first = grade_submission(submission, exercises=["ex1_output_size"])
    servers = dict(server._servers)
    second = grade_submission(submission, exercises=["ex1_output_size"])
    assert dict(server._servers) == servers  # the same warm server, not a new one
    assert _outcome(first) == _outcome(second) and first["score"] == first["max_score"]
    assert first["isolation"]["level"] == second["isolation"]["level"]


def test_a_run_past_its_limit_is_killed_with_its_fork_server_and_workers(tmp_path: Path):
    fixture = HOSTILE_DIR / "ex1_output_size__infinite_loop.py"
    submission = build_submission(tmp_path / "submission", {"ex1_output_size": fixture.read_text()})
    report = grade_submission(submission, exercises=["ex1_output_size"], extra_args=["--timeout-scale", "20"],
                              wall_limit=12)
    assert {t["status"] for t in report["exercises"][0]["tests"]} >= {"timeout"}
    run = next(s for s in server._servers.values() if s.last_pid is not None)
    deadline = time.monotonic() + 10
    while _process_group(run.last_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _process_group(run.last_pid) == []


def test_a_server_that_dies_costs_that_grade_only(tmp_path: Path):
    """Killed mid-run (out of memory, say): that submission is a grader fault; the next one starts a new server."""
    fixture = HOSTILE_DIR / "ex1_output_size__infinite_loop.py"
    slow = build_submission(tmp_path / "slow", {"ex1_output_size": fixture.read_text()})
    killed: list[int] = []
    killer = threading.Timer(8.0, lambda: [(os.kill(s._process.pid, 9), killed.append(s._process.pid))
                                           for s in list(server._servers.values())])
    killer.start()
    try:
        with pytest.raises(GraderFault, match="grading server exited"):
            grade_submission(slow, exercises=["ex1_output_size"], extra_args=["--timeout-scale", "20"], wall_limit=120)
    finally:
        killer.cancel()
    report = grade_submission(build_submission(tmp_path / "good", {}), exercises=["ex1_output_size"])
    assert report["score"] == report["max_score"]
    for pid in killed:  # the dead server's cgroup (its run's, the worker's) was removed when it was replaced
        session = cgroups.session_of(pid)
        assert session is None or not session.exists(), session


def test_two_processes_give_the_same_report_as_one(tmp_path: Path):
    """A submission with mistakes, graded by one process and by two at once: the same tests, statuses and scores."""
    mutants = {"ex1_output_size": "ex1_output_size__ceil.py", "ex7_models": "ex7_models__count_state_dict.py"}
    submission = build_submission(tmp_path / "submission",
                                  {module: (MUTANTS_DIR / name).read_text() for module, name in mutants.items()})
    modules = ["ex1_output_size", "ex5_dropout", "ex7_models", "ex8_training", "ex9_gradcheck", "ex12_softmax_ce_backward"]
    assert len(plan_shards(modules, 2)) == 2
    one, two = (grade_submission(submission, exercises=modules, shards=shards) for shards in (1, 2))
    assert _outcome(two) == _outcome(one)
    assert 0 < two["score"] == one["score"] < two["max_score"] == one["max_score"]
    assert two["isolation"]["level"] == one["isolation"]["level"]
    assert two["isolation"]["workers"] >= len(modules)


def test_a_hang_in_one_process_is_not_waited_on_again_in_the_other(tmp_path: Path):
    """train_model hangs; ex8 and ex15 are graded by one process, ex13 (built on ex8) by the other. ex13 waits
    until ex8 is finished there: the hang costs its limit once in all. ex13 and ex15 are graded with the
    reference ex8 (full marks); their unscored chain lines, which run the student's own ex8, are answered at
    once in both processes ("timed out earlier")."""
    fixture = HOSTILE_DIR / "ex8_training__hangs_ignoring_signals.py"
    submission = build_submission(tmp_path / "submission", {"ex8_training": fixture.read_text()})
    modules = ["ex8_training", "ex13_own_cnn", "ex15_mnist"]
    assert len(plan_shards(modules, 2)) == 2
    # Limits cut to a fifth (12 s for train_model): what is measured is how often the hang is waited on.
    report = grade_submission(submission, exercises=modules, shards=2, wall_limit=600, env=BELOW_SOURCE_CHECK,
                              extra_args=["--timeout-scale", "0.2"])  # the fixture imports signal: run it anyway
    tests = {e["module"]: e["tests"] for e in report["exercises"]}
    for module in modules:
        assert [t["name"] for t in tests[module]] == grader_test_names(module)
    everything = [t for module in modules for t in tests[module]]
    detail = [(t["name"], t["status"], t["feedback"][:200]) for t in everything]
    waited = [t for t in everything if "longer than the limit" in t["feedback"]]
    assert len(waited) == 1 and waited[0] in tests["ex8_training"], detail
    built_on = [t for module in ("ex13_own_cnn", "ex15_mnist") for t in tests[module]]
    assert not [t for t in built_on if "ex8_training" in t["feedback"]], detail  # the reference ex8 ran there
    assert sum(t["status"] == "passed" for t in built_on) >= len(built_on) - 1, detail  # (a loaded machine's slip)
    for exercise in report["exercises"][1:]:
        chain = exercise["chain"]
        assert chain["modules"] == ["ex8_training"] and "timed out earlier" in chain["detail"], chain


def test_a_request_waits_only_on_the_earlier_work_its_functions_use():
    """What a call may reach: the function's body and the module's definitions it names, transitively, and
    module code that is not an import (an import only binds a name)."""
    from cnnkit.sandbox.client import source_names

    names = source_names(b"""
from ex8_training import train_model
from ex2_conv2d import conv2d
fit = train_model
def helper(x):
    return conv2d(x, x)
class Conv2dFunction:
    def forward(ctx, x):
        return helper(x)
def train_own_cnn(model):
    return train_model(model)
""")
    assert {"conv2d", "helper"} <= names.used_by(["Conv2dFunction"])
    assert "train_model" in names.used_by(["train_own_cnn"])
    assert "train_model" in names.used_by(["Conv2dFunction"])  # through ``fit = train_model``: module code
    alone = source_names(b"from ex8_training import train_model\ndef relu(x):\n    return x\n")
    assert "train_model" not in alone.used_by(["relu"])
    assert "train_model" in alone.used_by(["not_defined_here"])  # unknown: everything the module names
    assert source_names(b"def broken(:\n") is None


def test_a_process_keeps_few_servers_however_many_environments_it_grades_in(tmp_path: Path):
    """Each environment gets its own server (modules read some variables when imported); idle ones beyond
    ``MAX_SERVERS`` are closed, so a long-lived process does not gather them."""
    submission = build_submission(tmp_path / "submission", {})
    started = []
    for index in range(server.MAX_SERVERS + 1):
        grade_submission(submission, exercises=["ex1_output_size"], extra_args=["--collect-only"],
                         env={"CNNKIT_SERVER_TEST": str(index)})
        started += [s for s in server._servers.values() if s not in started]
    assert len(started) >= server.MAX_SERVERS + 1
    assert len(server._servers) <= server.MAX_SERVERS
    assert sum(s.alive for s in started) <= server.MAX_SERVERS


@pytest.mark.skipif(cgroups.backend() is None, reason="needs writable cgroups (root, v1 or delegated v2)")
def test_a_run_ends_with_all_of_its_cgroup_killed_even_what_left_its_process_group(tmp_path: Path):
    """OS layers off (advisory: no seccomp to deny setsid), a worker leaves its session and ignores signals;
    the run passes its overall limit. Its process group no longer holds the worker, its cgroup does: killed,
    and the run's cgroup removed."""
    fixture = HOSTILE_DIR / "ex1_output_size__leave_session_and_linger.py"
    submission = build_submission(tmp_path / "submission", {"ex1_output_size": fixture.read_text()})
    marker = f"escape{os.getpid() % 100000}"
    env = {"CNNKIT_ISOLATION": "advisory", "CNNKIT_HOSTILE_MARKER": marker, "CNNKIT_HOSTILE_SLEEP": "1.5",
           **BELOW_SOURCE_CHECK}
    report = grade_submission(submission, exercises=["ex1_output_size"], extra_args=["--timeout-scale", "0.2"],
                              wall_limit=15, env=env)
    assert any("overall limit" in t["feedback"] for t in report["exercises"][0]["tests"])
    serving = next(s for key, s in server._servers.items() if ("CNNKIT_HOSTILE_MARKER", marker) in key)
    assert eventually_none_of(marker, but=(serving._process.pid,)) == [], "a worker outlived its run"
    session = cgroups.session_of(serving._process.pid)
    deadline = time.monotonic() + 10
    while [p for p in session.folders[0].glob("run-*")] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(session.folders[0].glob("run-*")) == []  # the server removed the run's cgroup


@pytest.mark.skipif(cgroups.backend() is None, reason="needs writable cgroups (root, v1 or delegated v2)")
def test_each_run_and_each_worker_has_a_cgroup_with_its_limits(tmp_path: Path):
    """A worker reports the cgroup it joined; its limits are the run's limits (CNNKIT_LIMITS)."""
    submission = build_submission(tmp_path / "submission", {})
    report = grade_submission(submission, exercises=["ex1_output_size"], env={"CNNKIT_LIMITS": "worker_tasks=48"})
    bounds = report["isolation"]["bounds"]
    assert bounds["tasks"].startswith(f"cgroup v{cgroups.backend().version}: 48 tasks"), bounds
    assert "memfd" in bounds["memory"] and "killed" in bounds["kill"]


# -- what the server imports before it forks ------------------------------------------------------------
def test_every_exercises_curriculum_module_is_preloaded():
    """``PRELOAD`` follows the spec: each exercise's ``support`` modules, and no grader or solution."""
    support = [module for exercise in spec.EXERCISES for module in exercise.support]
    assert support and set(support) <= set(server.PRELOAD)
    assert len(server.PRELOAD) == len(set(server.PRELOAD))
    assert not [name for name in server.PRELOAD if name.split(".")[0] in ("graders", "solutions", "exercises")]


def test_a_new_exercises_curriculum_module_needs_no_edit_of_the_server(monkeypatch: pytest.MonkeyPatch):
    toy = spec.Exercise("ex99_toy", "Toy", ("square",), support=("cnnkit.curriculum.ex99_toy",))
    monkeypatch.setattr(spec, "EXERCISES", (*spec.EXERCISES, toy))
    assert server.preload_modules()[-1] == "cnnkit.curriculum.ex99_toy"


def test_a_cgroup_that_outlives_the_cleanup_is_named_on_stderr(monkeypatch, capsys):
    """A stopped command waits for its killed processes to finish exiting; one still in the server's cgroup
    after the wait is named, with the folder to remove, instead of being left behind without a word."""

    class Busy:
        folders = (Path("/sys/fs/cgroup/pids/cnnkit-4242"),)
        waited: list[float] = []

        def exists(self) -> bool:
            return True

        def remove(self, timeout: float) -> bool:
            self.waited.append(timeout)
            return False

        def pids(self) -> set[int]:
            return {4243}

    class Stopped:
        class _process:  # noqa: N801 - stands for the server's Popen
            pid = 4242

    monkeypatch.setattr(cgroups, "session_of", lambda pid: Busy() if pid == 4242 else None)
    server.GradingServer._remove_session(Stopped(), timeout=server.ABORT_CLEANUP_SECONDS)  # type: ignore[arg-type]
    assert Busy.waited == [server.ABORT_CLEANUP_SECONDS]
    assert capsys.readouterr().err == (
        "cnnkit: the grading server's cgroup /sys/fs/cgroup/pids/cnnkit-4242 is still busy after 30 s "
        "(processes [4243]); remove it once they are gone\n")
