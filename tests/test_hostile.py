"""Hostile submissions: the grader is never crashed, hung or fooled, and the report stays complete.

Each fixture ``tests/hostile/<module>__<attack>.py`` uses the mutant format: it holds only what it
changes and is appended to a copy of the reference solutions (``build_submission``), so a later
``def`` replaces the reference function, module-level code runs at import, and a syntax error
breaks the whole module. Most checks grade only the attacked exercise plus ex1 or ex2 as a
bystander that must keep full marks.

Two kinds of attack: on the machine and the grader (the OS confinement and the sandbox answer), and
on the exercise rules (doing none of the work: the source check and the run-time detector answer,
``flagged`` or ``forbidden``, zero). The source check flags most attacks of the first kind too (they
import ``os``, ``ctypes``, ``cnnkit``): those are graded with it bypassed, so that the layer they
attack is what answers (``below_source_check``). Attacks on the rules are graded with every layer,
and again against the run-time detector alone (``RUN_TIME``): it must catch each one the source check
would have stopped first.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from helpers import HOSTILE_DIR, build_submission, grader_test_names, module_of, variant_files

from cnnkit import paths, spec
from cnnkit.cli import main as cnnkit_main
from cnnkit.grading import rules
from cnnkit.grading.plugin import NO_SOURCE_CHECK_ENV
from cnnkit.grading.runner import grade_submission, scores_by_exercise
from cnnkit.sandbox import cgroups, confine

HOSTILE = variant_files(HOSTILE_DIR)
FAST_CALLS = ["--timeout-scale", "0.2"]  # 2-s call limit: enough for ex1/ex2 reference code, quick to time out
# The tests below a fixture's own row attack the machine and the grader: graded with the source check bypassed
# (it flags them all: they import os, ctypes, socket, signal), so that the confinement is what answers.
BELOW_SOURCE_CHECK = {NO_SOURCE_CHECK_ENV: "1"}


@dataclass(frozen=True)
class Expect:
    """What the attacked exercise must score and how its tests must be reported."""

    score: str  # "zero", "full" or "partial"
    statuses: frozenset[str]  # every test of the attacked exercise has one of these
    feedback: str = ""  # some test's feedback contains this
    required: frozenset[str] = frozenset()  # statuses that must each appear at least once
    env: tuple[tuple[str, str], ...] = ()  # the grading run's environment (limits the attack must meet)
    calls: tuple[str, ...] = ()  # pytest options of its own (call limits), instead of FAST_CALLS


def expect(score: str, *statuses: str, feedback: str = "", required: tuple[str, ...] = (),
           env: dict[str, str] | None = None, calls: tuple[str, ...] = ()) -> Expect:
    return Expect(score, frozenset(statuses), feedback, frozenset(required), tuple((env or {}).items()), calls)


#: A worker memory limit the memory attacks must exceed (cheaper to fill than the default's 4 GiB).
SMALL_MEMORY = {"CNNKIT_LIMITS": "worker_memory=256MiB"}
REFUSED_REPLY = "the worker sent a reply the grader refuses to read"


# Code that cannot run: "error", or "failed" where a grader test catches the student's exception
# to check its type (e.g. "expected a ValueError") and sees the import error instead.
BROKEN = ("error", "failed")

EXPECTED: dict[str, Expect] = {
    "ex2_conv2d__syntax_error": expect("zero", *BROKEN, feedback="could not be imported: SyntaxError"),
    "ex1_output_size__import_error": expect("zero", *BROKEN, feedback="RuntimeError: this module breaks at import"),
    "ex1_output_size__infinite_loop": expect("partial", "passed", "timeout", feedback="longer than the limit",
                                             required=("passed", "timeout")),
    # Filling 4 GB takes seconds on a busy machine: the memory cap or the time limit stops it first.
    "ex2_conv2d__memory_bomb": expect("zero", *BROKEN, "timeout"),
    "ex1_output_size__print_flood": expect("full", "passed"),
    # Only train_model hangs: it times out once, later training tests are "timed out earlier".
    "ex8_training__hangs_ignoring_signals": expect("partial", "passed", "timeout", feedback="timed out earlier in",
                                                   required=("passed", "timeout")),
    "ex1_output_size__sys_exit_in_function": expect("zero", *BROKEN, feedback="sys.exit"),
    "ex1_output_size__os_exit_in_function": expect("zero", *BROKEN, feedback="exited with status 0"),
    "ex1_output_size__sys_exit_at_import": expect("zero", *BROKEN, feedback="could not be imported: SystemExit"),
    "ex1_output_size__os_exit_at_import": expect("zero", *BROKEN, feedback="exited with status 0"),
    "ex2_conv2d__patch_checks": expect("zero", "failed", feedback="shape"),
    "ex1_output_size__fake_report": expect("full", "passed"),
    "ex2_conv2d__forbidden_api": expect("zero", "forbidden", "failed", "error", feedback="forbids",
                                        required=("forbidden",)),
    "ex2_conv2d__returns_nan": expect("zero", "failed", "error", feedback="NaN"),
    "ex2_conv2d__wrong_dtype": expect("zero", "failed", "error", feedback="dtype torch.float16"),
    "ex2_conv2d__wrong_shape": expect("zero", "failed", "error", feedback="your shape"),
    "ex2_conv2d__numpy_array": expect("zero", "failed", "error", feedback="numpy"),
    "ex2_conv2d__meta_device": expect("zero", "failed", "error", feedback="meta"),
    "ex2_conv2d__modifies_input": expect("zero", "failed", "error", feedback="in place"),
    "ex1_output_size__read_solutions": expect("zero", "failed"),
    "ex1_output_size__read_hidden_graders": expect("zero", "failed"),
    # Attacks only the kernel can stop (raw libc, no audit event): graded with isolation "strong".
    "ex2_conv2d__libc_open_pythonapi": expect("zero", "failed", "error"),
    "ex2_conv2d__libc_open_cdll": expect("zero", "failed", "error"),
    "ex1_output_size__libc_system_detached": expect("zero", *BROKEN),
    "ex1_output_size__tcp_connect": expect("full", "passed"),
    "ex1_output_size__udp_sendto": expect("full", "passed"),
    "ex1_output_size__kill_processes": expect("full", "passed"),
    "ex1_output_size__fork_bomb": expect("full", "passed"),
    "ex1_output_size__ptrace_parent": expect("zero", *BROKEN),
    "ex1_output_size__forkserver_socket": expect("zero", *BROKEN),
    # Workers are forked from the warm grading server: no grader, reference or server client is in them;
    # the forged requests reach only the worker's own reply pipe, whose forged length is refused at once.
    "ex1_output_size__grader_memory": expect("zero", *BROKEN, feedback="which the grader refuses"),
    "ex1_output_size__rewrite_classmates": expect("full", "passed"),
    # Resource attacks: each earns points only where it got more of the machine than its limits.
    "ex1_output_size__thread_bomb": expect("full", "passed"),  # and its classmate keeps full marks (own test)
    "ex1_output_size__leave_session_and_linger": expect("full", "passed"),  # lingering: its own test
    "ex1_output_size__grader_killed_midrun": expect("full", "passed"),  # the grader killed: its own test
    "ex1_output_size__memfd_memory": expect("zero", "failed", "error", env=SMALL_MEMORY),
    "ex1_output_size__sysv_shared_memory": expect("zero", "failed", "error", env=SMALL_MEMORY),
    "ex1_output_size__fill_writable_folder": expect("zero", "failed"),
    # 20-s call limits: where the attack works (files on a disk), creating them takes seconds.
    "ex1_output_size__many_tiny_files": expect("zero", "failed", calls=("--timeout-scale", "2")),
    # Replies the trusted side refuses to decode (another format, compression, shared references, too many values).
    "ex1_output_size__compressed_reply": expect("zero", *BROKEN, feedback=REFUSED_REPLY),
    "ex1_output_size__shared_reference_reply": expect("zero", *BROKEN, feedback=REFUSED_REPLY),
    "ex1_output_size__many_values_reply": expect("zero", *BROKEN, feedback=REFUSED_REPLY),
    # Told nothing here, it finds no course folder; test_nbgrader.py grades it in a course.
    "ex1_output_size__nbgrader_course_folder": expect("zero", "failed"),
    # Trains nothing and makes up numbers that follow every rule the reported numbers alone could show (15 / 15
    # before the kit measured the returned models): only the structure and the honestly counted parameters stay.
    "ex15_mnist__fabricated_results": expect("partial", "passed", "failed", feedback="the kit ran it on the same test",
                                             required=("passed", "failed")),
    # Attacks on the exercise rules: none of the work done, every test of the exercise 0 (issue 19's table first).
    "ex2_conv2d__disable_torch_function": expect("zero", "flagged", feedback="`torch._C` is a private"),
    "ex2_conv2d__pop_mode_and_push_back": expect("zero", "flagged", feedback="`torch._C` is a private"),
    "ex2_conv2d__replace_spec_is_forbidden": expect("zero", "flagged", feedback="import of the grading kit"),
    "ex2_conv2d__retarget_detector": expect("zero", "flagged", feedback="`torch.overrides` is an escape hatch"),
    "ex2_conv2d__torchscript_conv": expect("zero", "flagged", feedback="`torch.jit` is an escape hatch"),
    "ex2_conv2d__library_custom_op": expect("zero", "flagged", feedback="`torch.library` is an escape hatch"),
    "ex10_conv_backward__jacfwd": expect("zero", "flagged", feedback="`torch.func` is an escape hatch"),
    "ex12_softmax_ce_backward__jacfwd": expect("zero", "flagged", feedback="`torch.func` is an escape hatch"),
    "ex10_conv_backward__convolution_backward_detector_off": expect("zero", "flagged", feedback="`torch._C`"),
    "ex10_conv_backward__custom_op_wrapping_autograd": expect("zero", "flagged", feedback="`torch.library`"),
    "ex13_own_cnn__torch_layers_modes_disabled": expect("zero", "flagged", feedback="`torch._C` is a private"),
    "ex3_pooling__interpolate_area": expect("zero", "forbidden", feedback="aten._adaptive_avg_pool2d"),
    "ex4_activations__glu_sigmoid": expect("zero", "forbidden", feedback="a * sigmoid(b)"),
    # Variants: more aliases, obfuscated names and imports, forward-mode AD, what only the run-time layer sees.
    "ex3_pooling__embedding_bag": expect("zero", "forbidden", feedback="embedding_bag"),
    "ex4_activations__softmax_of_two": expect("zero", "forbidden", feedback="torch.softmax"),
    "ex4_activations__numpy_tanh": expect("zero", "forbidden", feedback="`numpy.tanh` is a function this exercise"),
    "ex12_softmax_ce_backward__forward_ad": expect("zero", "flagged", feedback="`torch.autograd.forward_ad`"),
    "ex2_conv2d__getattr_computed_name": expect("zero", "flagged", feedback="chosen by a computed name"),
    "ex2_conv2d__builtins_import": expect("zero", "flagged", feedback="`__builtins__`"),
    "ex2_conv2d__exec_string": expect("zero", "flagged", feedback="code built from strings"),
    "ex2_conv2d__laundered_module": expect("zero", "flagged", feedback="while your code ran"),
}
#: Fixtures whose expectation holds only with the OS layers in force (the audit hook alone cannot
#: stop raw libc calls), and whose dangerous parts run only where the fixture verifies them in force.
NEEDS_OS_ISOLATION = {name for name in EXPECTED if "libc" in name} | {
    "ex1_output_size__tcp_connect", "ex1_output_size__udp_sendto", "ex1_output_size__kill_processes",
    "ex1_output_size__fork_bomb", "ex1_output_size__ptrace_parent", "ex1_output_size__forkserver_socket",
    "ex1_output_size__rewrite_classmates", "ex1_output_size__thread_bomb", "ex1_output_size__memfd_memory",
    "ex1_output_size__sysv_shared_memory", "ex1_output_size__fill_writable_folder", "ex1_output_size__many_tiny_files",
}


@functools.cache
def os_isolation_available() -> bool:
    """Whether this system can confine workers "strong" (Linux x86_64 with Landlock)."""
    import platform
    import sys

    from cnnkit.sandbox import cgroups, confine

    return sys.platform.startswith("linux") and platform.machine() == "x86_64" and confine.landlock_abi() >= 1


def assert_strong(report: dict) -> None:
    """Where the system offers it, student code ran with isolation "strong" and every self-probe was refused."""
    if os_isolation_available():
        isolation = report["isolation"]
        assert isolation["level"] == "strong", isolation
        assert all(probe["blocked"] for probe in isolation["probes"].values()), isolation
        assert set(isolation["bounds"]) == set(confine.BOUNDS), isolation  # tasks, memory, disk, kill
BYSTANDER = {"ex1_output_size": "ex2_conv2d", "ex2_conv2d": "ex1_output_size"}
# Attacks on the process or the files, where a leak into the other exercise is conceivable: these
# grade a bystander exercise too, which must keep full marks (the rest grade only their own, for speed).
WITH_BYSTANDER = {"ex2_conv2d__syntax_error", "ex2_conv2d__memory_bomb", "ex1_output_size__os_exit_at_import",
                  "ex2_conv2d__patch_checks", "ex1_output_size__fake_report", "ex1_output_size__thread_bomb",
                  "ex1_output_size__compressed_reply"}


def _tests(report: dict, module: str) -> list[dict]:
    return next(e["tests"] for e in report["exercises"] if e["module"] == module)


RULE_STATUSES = frozenset({"flagged", "forbidden"})  # what an attack on the exercise rules is answered with


def _source_findings(fixture: Path) -> list[rules.Finding]:
    """What the source check finds in the submission a fixture makes (the reference, the fixture appended)."""
    module = module_of(fixture)
    source = (paths.SOLUTIONS_DIR / f"{module}.py").read_text() + "\n\n# --- override ---\n" + fixture.read_text()
    return rules.check_source(source, module).findings


def below_source_check(fixture: Path) -> bool:
    """An attack on the machine or the grader that the source check flags: graded with the check bypassed, so
    that the confinement or the sandbox answers (flagged with the check on, it would prove nothing about them)."""
    return not EXPECTED[fixture.stem].statuses & RULE_STATUSES and bool(_source_findings(fixture))


def test_every_fixture_has_an_expectation_and_every_kind_a_fixture():
    assert sorted(path.stem for path in HOSTILE) == sorted(EXPECTED)


@pytest.mark.parametrize("fixture", HOSTILE, ids=lambda path: path.stem)
def test_hostile_submission_gets_a_complete_truthful_report(fixture: Path, tmp_path: Path):
    if fixture.stem.endswith("read_hidden_graders") and not paths.HIDDEN_GRADERS_DIR.is_dir():
        pytest.skip("no graders/hidden/ in this checkout: nothing to protect")
    if fixture.stem in NEEDS_OS_ISOLATION and not os_isolation_available():
        pytest.skip("needs OS isolation (Linux x86_64 with Landlock)")
    module = module_of(fixture)
    bystanders = [BYSTANDER[module]] if fixture.stem in WITH_BYSTANDER else []
    expected = EXPECTED[fixture.stem]
    submission = build_submission(tmp_path / "submission", {module: fixture.read_text()})
    bypass = below_source_check(fixture)
    report = grade_submission(submission, exercises=[module, *bystanders], wall_limit=600,
                              env={**dict(expected.env), **(BELOW_SOURCE_CHECK if bypass else {})},
                              extra_args=list(expected.calls or FAST_CALLS))

    if _source_findings(fixture) and not bypass and not bystanders:
        assert report["isolation"] is None, "the source check refused it, yet a worker ran its code"
    else:
        assert_strong(report)
    scores = scores_by_exercise(report)
    for bystander in bystanders:
        assert scores[bystander][0] == scores[bystander][1] > 0, "a bystander exercise lost points"
    tests = _tests(report, module)
    assert [test["name"] for test in tests] == grader_test_names(module), "the report lost tests"
    statuses = {test["status"] for test in tests}
    detail = [(t["name"], t["status"], t["feedback"][:300]) for t in tests]
    assert statuses <= expected.statuses, detail
    assert expected.required <= statuses, detail
    score, max_score = scores[module]
    assert {"zero": score == 0, "full": score == max_score, "partial": 0 < score < max_score}[expected.score], detail
    if expected.feedback:
        assert any(expected.feedback in test["feedback"] for test in tests), detail
    if "flagged" in statuses:  # every test says what was found; the report keeps it for the instructor
        assert all("flagged for review" in test["feedback"] for test in tests), detail
        assert next(e for e in report["exercises"] if e["module"] == module)["flags"], detail


#: The attacks on the exercise rules, run against the run-time detector alone (no source check): one call in a
#: sandbox worker, and what the detector answers, status and what its message names.
RUN_TIME: dict[str, tuple[str, str]] = {
    "ex2_conv2d__disable_torch_function": ("flagged", "removed from torch's mode stack or disabled"),
    "ex2_conv2d__pop_mode_and_push_back": ("flagged", "removed from torch's mode stack or disabled"),
    "ex2_conv2d__replace_spec_is_forbidden": ("flagged", "cnnkit.spec.is_forbidden replaced"),
    "ex2_conv2d__retarget_detector": ("flagged", "retargeted to another exercise"),
    "ex2_conv2d__torchscript_conv": ("forbidden", "aten.convolution"),
    "ex2_conv2d__library_custom_op": ("flagged", "a custom operator cnnkit_hostile::conv"),
    "ex2_conv2d__getattr_computed_name": ("forbidden", "torch.conv2d"),
    "ex2_conv2d__builtins_import": ("flagged", "removed from torch's mode stack or disabled"),
    "ex2_conv2d__exec_string": ("forbidden", "torch.conv2d"),
    "ex2_conv2d__laundered_module": ("flagged", "removed from torch's mode stack or disabled"),
    "ex3_pooling__interpolate_area": ("forbidden", "aten._adaptive_avg_pool2d"),
    "ex3_pooling__embedding_bag": ("forbidden", "embedding_bag"),
    "ex4_activations__glu_sigmoid": ("forbidden", "torch.nn.functional.glu"),
    "ex4_activations__softmax_of_two": ("forbidden", "torch.softmax"),
    "ex10_conv_backward__jacfwd": ("forbidden", "torch.func's transforms"),
    "ex12_softmax_ce_backward__jacfwd": ("forbidden", "torch.func's transforms"),
    "ex12_softmax_ce_backward__forward_ad": ("forbidden", "torch._make_dual"),
    "ex10_conv_backward__convolution_backward_detector_off": ("flagged", "removed from torch's mode stack"),
    "ex10_conv_backward__custom_op_wrapping_autograd": ("flagged", "a custom operator cnnkit_hostile::conv_backward"),
    "ex13_own_cnn__torch_layers_modes_disabled": ("flagged", "removed from torch's mode stack or disabled"),
}


def _one_call(module: str) -> tuple[str, tuple]:
    """A worker operation that runs the attacked exercise's code once, on small float64 inputs."""
    x, weight = torch.randn(1, 1, 5, 5, dtype=torch.float64), torch.randn(1, 1, 3, 3, dtype=torch.float64)
    calls = {
        "ex2_conv2d": ("call", ("conv2d", x, weight)),
        "ex3_pooling": ("call", ("avg_pool2d", x, 2)),
        "ex4_activations": ("call", ("sigmoid", x)),
        "ex10_conv_backward": ("call", ("conv2d_backward", torch.ones(1, 1, 3, 3, dtype=torch.float64), x, weight)),
        "ex12_softmax_ce_backward": ("call", ("cross_entropy_backward", x.view(5, 5), torch.tensor([0, 1, 2, 3, 4]))),
        "ex13_own_cnn": ("own_function_gradients", ("Conv2dFunction", [(
            [x.requires_grad_(), weight, torch.zeros(1, dtype=torch.float64)], torch.ones(1, 1, 3, 3, dtype=torch.float64),
        )])),
    }
    return calls[module]


def test_every_attack_on_the_rules_is_also_tried_against_the_run_time_detector_alone():
    """Each attack on the rules that runs any torch code is in ``RUN_TIME`` (the numpy one is for the source check:
    the detector watches torch)."""
    attacks = {stem for stem, expected in EXPECTED.items() if expected.statuses & RULE_STATUSES}
    assert attacks - set(RUN_TIME) == {"ex2_conv2d__forbidden_api", "ex4_activations__numpy_tanh"}


@pytest.mark.parametrize("stem", sorted(RUN_TIME))
def test_the_run_time_detector_catches_each_attack_on_the_rules_by_itself(stem: str, tmp_path: Path):
    """The source check bypassed (a Sandbox runs the code directly): the detector's own answer."""
    from cnnkit.sandbox import FlaggedCode, ForbiddenCall, Sandbox, SandboxConfig

    fixture = HOSTILE_DIR / f"{stem}.py"
    module = module_of(fixture)
    status, named = RUN_TIME[stem]
    submission = build_submission(tmp_path / "submission", {module: fixture.read_text()})
    operation, args = _one_call(module)
    with Sandbox(module, SandboxConfig(submission_dir=submission)) as sandbox:
        with pytest.raises((FlaggedCode, ForbiddenCall)) as caught:
            sandbox.request(operation, *args, timeout=60)
    assert caught.value.status == status, str(caught.value)
    assert named in str(caught.value), str(caught.value)


def test_a_hanging_train_model_waits_its_limit_once_in_ex8_and_not_at_all_in_ex15(tmp_path: Path):
    """Default limits: train_model sleeps, ignoring signals. It is waited on once (60 s); every later test of
    ex8 that trains is reported at once, and says how to check. ex15 is graded with the reference ex8 (full
    marks: the hang is charged once), and its unscored chain line names ex8 without waiting for it again."""
    fixture = HOSTILE_DIR / "ex8_training__hangs_ignoring_signals.py"
    submission = build_submission(tmp_path / "submission", {"ex8_training": fixture.read_text()})
    report = grade_submission(submission, exercises=["ex8_training", "ex15_mnist"], wall_limit=1200,
                              env=BELOW_SOURCE_CHECK)

    assert report["complete"]
    for module in ("ex8_training", "ex15_mnist"):
        assert [test["name"] for test in _tests(report, module)] == grader_test_names(module), "the report lost tests"
    ex8 = _tests(report, "ex8_training")
    detail = [(t["name"], t["status"], t["feedback"][:200]) for t in ex8]
    waited = [t for t in ex8 if "longer than the limit" in t["feedback"]]
    assert len(waited) == 1 and waited[0]["status"] == "timeout", detail
    earlier = [t for t in ex8 if "timed out earlier in" in t["feedback"]]
    assert earlier and all(t["status"] == "timeout" and t["score"] == 0 for t in earlier), detail
    assert all(f"timed out earlier in {waited[0]['name']}" in t["feedback"] for t in earlier), detail
    assert all("pytest graders -m ex8_training -x" in t["feedback"] for t in earlier), detail
    assert {t["status"] for t in ex8} == {"passed", "timeout"}, detail  # evaluate_model is still graded
    scores = scores_by_exercise(report)
    assert scores["ex15_mnist"][0] == scores["ex15_mnist"][1], _tests(report, "ex15_mnist")
    chain = next(e["chain"] for e in report["exercises"] if e["module"] == "ex15_mnist")
    assert not chain["works"] and chain["modules"] == ["ex8_training"] and "timed out earlier" in chain["detail"]


def test_timeout_memory_spares_smaller_inputs_and_functions_that_returned_on_as_large_ones():
    from cnnkit.sandbox.client import TimeoutMemory

    memory = TimeoutMemory()
    memory.timed_out("ex2_conv2d", ["conv2d"], 1000, "test_big", 10.0)
    assert memory.hopeless("ex2_conv2d", "conv2d", 1000).test == "test_big"
    assert memory.hopeless("ex2_conv2d", "conv2d", 999) is None  # a loop per pixel still gets its small tests
    assert memory.hopeless("ex2_conv2d", "conv2d", None) is not None  # an exercise built on it
    assert memory.hopeless("ex2_conv2d", "pool2d", 1000) is None
    memory.returned("ex2_conv2d", ["conv2d"], 1000, 0.5)  # it did finish an input as large: hangs on some only
    assert memory.hopeless("ex2_conv2d", "conv2d", 5000) is None
    assert memory.reduced_limit("ex2_conv2d", "conv2d", 5000, 10.0) == 5.0
    assert memory.reduced_limit("ex2_conv2d", "conv2d", 10, 10.0) == 10.0  # smaller inputs: the full limit


def test_fake_report_cannot_replace_the_output_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    """The attacker is even told where the output goes (CNNKIT_HOSTILE_TARGET); the written file is still true."""
    fixture = HOSTILE_DIR / "ex1_output_size__fake_report.py"
    submission = build_submission(tmp_path / "submission", {"ex1_output_size": fixture.read_text()})
    output = tmp_path / "results" / "results.json"
    monkeypatch.setenv("CNNKIT_HOSTILE_TARGET", str(output))
    monkeypatch.setenv(NO_SOURCE_CHECK_ENV, "1")
    code = cnnkit_main(["grade", str(submission), "--format", "gradescope", "--output", str(output),
                        "--exercise", "ex1_output_size"])
    assert code == 0
    results = json.loads(output.read_text())
    max_score = sum(test["max_score"] for test in results["tests"])
    assert results["score"] == pytest.approx(max_score) and max_score < 9999  # shares of a test's points add up
    assert all(test["status"] == "passed" for test in results["tests"])


def test_syntax_error_in_one_module_leaves_every_other_exercise_graded(tmp_path: Path):
    """Full suite: every exercise with graders is present; the broken one scores 0, every other one keeps full
    marks: those that import it (spec ``depends_on``) are graded with its reference version, and their unscored
    chain line names it."""
    fixture = HOSTILE_DIR / "ex2_conv2d__syntax_error.py"
    submission = build_submission(tmp_path / "submission", {"ex2_conv2d": fixture.read_text()})
    report = grade_submission(submission, public_only=True)
    graded = {path.stem[len("test_"):] for path in paths.GRADERS_DIR.glob("test_*.py")} & set(spec.BY_MODULE)
    assert {e["module"] for e in report["exercises"]} == graded
    for module, (score, max_score) in scores_by_exercise(report).items():
        assert score == (0 if module == "ex2_conv2d" else max_score), _tests(report, module)
    chains = {e["module"]: e.get("chain") for e in report["exercises"]}
    for module in spec.dependents("ex2_conv2d"):
        assert chains[module] is not None and chains[module]["modules"] == ["ex2_conv2d"], chains[module]


ROUNDS_UP = '''
def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    if min(in_size, kernel_size, stride) < 1 or padding < 0:
        raise ValueError("invalid")
    return -(-(in_size + 2 * padding - kernel_size) // stride) + 1
'''


def test_scores_are_identical_across_runs(tmp_path: Path):
    """Same submission, same report: Hypothesis is derandomised and nothing depends on timing."""
    submission = build_submission(tmp_path / "submission", {"ex1_output_size": ROUNDS_UP})
    first, second = (grade_submission(submission, exercises=["ex1_output_size"]) for _ in range(2))
    assert 0 < first["score"] < first["max_score"]
    assert first["exercises"] == second["exercises"]


def test_overall_time_limit_reports_unfinished_tests_as_timeout(tmp_path: Path):
    """A submission that runs past the whole-run limit is cut off; every test is still in the report."""
    fixture = HOSTILE_DIR / "ex1_output_size__infinite_loop.py"
    submission = build_submission(tmp_path / "submission", {"ex1_output_size": fixture.read_text()})
    # Per-call limits stretched to 200 s, so that only the overall limit can stop the loop; 15 s
    # leaves a run (a fork of the warm grading server, or its cold start) time to collect when loaded.
    report = grade_submission(submission, exercises=["ex1_output_size"], extra_args=["--timeout-scale", "20"],
                              wall_limit=15)
    tests = _tests(report, "ex1_output_size")
    assert [t["name"] for t in tests] == grader_test_names("ex1_output_size")
    assert any("overall limit" in t["feedback"] for t in tests if t["status"] == "timeout")
    assert report["score"] == pytest.approx(sum(t["score"] for t in tests))


def test_a_submission_cannot_touch_another_runs_report(tmp_path: Path):
    """In a parallel batch, a hostile submission must not overwrite another submission's in-progress report."""
    from cnnkit.grading.runner import reports_root

    other = reports_root() / f"report-other-run-{tmp_path.name}"
    other.mkdir()
    try:
        (other / "report.json").write_text('{"submission": "another student"}')
        fixture = HOSTILE_DIR / "ex1_output_size__fake_report.py"
        submission = build_submission(tmp_path / "submission", {"ex1_output_size": fixture.read_text()})
        report = grade_submission(submission, exercises=["ex1_output_size"], env=BELOW_SOURCE_CHECK)
        assert (other / "report.json").read_text() == '{"submission": "another student"}'
        score, max_score = scores_by_exercise(report)["ex1_output_size"]
        assert score == max_score < 9999
    finally:
        for path in other.iterdir():
            path.unlink()
        other.rmdir()


# -- attacks that need a listener, a second student or an nbgrader course --------------------------------
def _needs_os_isolation() -> None:
    if not os_isolation_available():
        pytest.skip("needs OS isolation (Linux x86_64 with Landlock)")


def test_network_attacks_reach_no_listener(tmp_path: Path):
    """TCP connect (Python and raw libc) and UDP sendto to listeners on 127.0.0.1: nothing arrives."""
    _needs_os_isolation()
    tcp, udp = socket.socket(socket.AF_INET, socket.SOCK_STREAM), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with tcp, udp:
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(8)
        udp.bind(("127.0.0.1", 0))
        tcp.setblocking(False)
        udp.setblocking(False)
        for name, port in (("tcp_connect", tcp.getsockname()[1]), ("udp_sendto", udp.getsockname()[1])):
            fixture = HOSTILE_DIR / f"ex1_output_size__{name}.py"
            submission = build_submission(tmp_path / name, {"ex1_output_size": fixture.read_text()})
            report = grade_submission(submission, exercises=["ex1_output_size"],
                                      env={"CNNKIT_HOSTILE_PORT": str(port), **BELOW_SOURCE_CHECK})
            assert_strong(report)
            assert report["score"] == report["max_score"] > 0
        with pytest.raises(BlockingIOError):
            tcp.accept()
        with pytest.raises(BlockingIOError):
            udp.recvfrom(100)


def test_detached_process_cannot_rewrite_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """libc system() with a backgrounded shell: no marker appears and the report stays as written."""
    _needs_os_isolation()
    fixture = HOSTILE_DIR / "ex1_output_size__libc_system_detached.py"
    submission = build_submission(tmp_path / "submission", {"ex1_output_size": fixture.read_text()})
    output, marker = tmp_path / "results.json", tmp_path / "marker"
    monkeypatch.setenv("CNNKIT_HOSTILE_TARGET", str(output))
    monkeypatch.setenv("CNNKIT_HOSTILE_MARKER", str(marker))
    monkeypatch.setenv(NO_SOURCE_CHECK_ENV, "1")
    code = cnnkit_main(["grade", str(submission), "--format", "json", "--output", str(output),
                        "--exercise", "ex1_output_size", "--require-isolation", "strong"])
    assert code == 0
    written = output.read_text()
    time.sleep(4)  # the shell would have slept 2 s, then written: give it every chance
    assert not marker.exists()
    assert output.read_text() == written
    report = json.loads(written)
    assert report["score"] == 0 < report["max_score"]
    assert_strong(report)


def test_symlink_to_a_solution_is_refused(tmp_path: Path):
    """A submitted file that is a symbolic link to the reference is not followed: 0, with a clear message."""
    submission = build_submission(tmp_path / "submission", {})
    (submission / "ex2_conv2d.py").unlink()
    (submission / "ex2_conv2d.py").symlink_to(paths.SOLUTIONS_DIR / "ex2_conv2d.py")
    report = grade_submission(submission, exercises=["ex2_conv2d"], extra_args=FAST_CALLS)
    tests = _tests(report, "ex2_conv2d")
    assert report["score"] == 0 < report["max_score"]
    assert any("symbolic link" in test["feedback"] for test in tests), [t["feedback"][:200] for t in tests]


def test_a_student_cannot_rewrite_a_classmates_files_in_a_parallel_batch(tmp_path: Path, monkeypatch):
    """alice overwrites every ex1_output_size.py she can find; bob, graded alongside, keeps full marks."""
    _needs_os_isolation()
    fixture = HOSTILE_DIR / "ex1_output_size__rewrite_classmates.py"
    klass = tmp_path / "class"
    build_submission(klass / "alice", {"ex1_output_size": fixture.read_text()})
    for student in ("bob", "carol"):
        build_submission(klass / student, {})
    before = {p: p.read_bytes() for p in klass.glob("*/ex1_output_size.py")}
    monkeypatch.setenv("CNNKIT_HOSTILE_CLASS", str(klass))
    monkeypatch.setenv(NO_SOURCE_CHECK_ENV, "1")
    grades = tmp_path / "grades"
    code = cnnkit_main(["grade", str(klass), "--output", str(grades), "--jobs", "3", "--exercise", "ex1_output_size",
                        "--require-isolation", "strong"])
    assert code == 0
    assert {p: p.read_bytes() for p in klass.glob("*/ex1_output_size.py")} == before
    for student in ("alice", "bob", "carol"):
        report = json.loads((grades / f"{student}.json").read_text())
        assert report["score"] == report["max_score"] > 0, (student, report["score"])
        assert report["submission"] == str((klass / student).resolve())
        assert_strong(report)


def test_advisory_isolation_is_reported_and_can_be_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    """With the OS layers switched off, every report says "advisory", and --require-isolation refuses to grade."""
    from cnnkit.grading import reports

    report = grade_submission(paths.SOLUTIONS_DIR, exercises=["ex1_output_size"], env={"CNNKIT_ISOLATION": "advisory"})
    assert report["isolation"]["level"] == "advisory"
    assert not any(probe["blocked"] for probe in report["isolation"]["probes"].values() if os.name == "posix")
    assert "Isolation: advisory" in reports.to_text(report)
    gradescope = reports.to_gradescope(report)
    assert gradescope["extra_data"]["isolation"]["level"] == "advisory"
    assert "Isolation: advisory" in gradescope["output"]
    monkeypatch.setenv("CNNKIT_ISOLATION", "advisory")
    output = tmp_path / "results.json"
    code = cnnkit_main(["grade", str(paths.SOLUTIONS_DIR), "--exercise", "ex1_output_size", "--output", str(output),
                        "--require-isolation", "partial"])
    assert code == 3 and not output.exists()
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and "isolation advisory is below the required partial" in lines[0], lines


# -- resource attacks that need a class, a container, or a grader to kill ---------------------------------------
def _process_state(entry: Path) -> str:
    try:
        return (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


def processes_of(marker: str) -> list[int]:
    """Live processes of one `cnnkit grade` started with CNNKIT_HOSTILE_MARKER=marker (its environment
    reaches every process it starts: server, runs, fork servers, workers), or named ``marker``."""
    needle = f"CNNKIT_HOSTILE_MARKER={marker}\0".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or _process_state(entry) in ("Z", "gone"):
            continue
        try:
            if (entry / "comm").read_text().strip() == marker[:15] or needle in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _servers_of(parent: int) -> list[int]:
    """The grading servers ``parent`` started: its children (their forks, runs and workers, share the command
    line). Found by /proc's world-readable files: a non-root grader's processes are not dumpable."""
    servers = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _parent_of(int(entry.name)) == parent:
            with contextlib.suppress(OSError):
                if b"cnnkit.grading.server" in (entry / "cmdline").read_bytes():
                    servers.append(int(entry.name))
    return servers


def _parent_of(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def eventually_none_of(marker: str, seconds: float = 10.0, but: tuple[int, ...] = ()) -> list[int]:
    """``processes_of(marker)`` but the pids ``but``, once empty or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while set(processes_of(marker)) - set(but) and time.monotonic() < deadline:
        time.sleep(0.1)
    return sorted(set(processes_of(marker)) - set(but))


@contextlib.contextmanager
def private_tmp() -> Iterator[Path]:
    """A temp folder for one `cnnkit grade` (its TMPDIR): whatever it leaves behind is found there. In the
    system's temp folder, searchable by everyone (workers run under ids of their own)."""
    folder = Path(tempfile.mkdtemp(prefix="cnnkit-test-tmp-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def left_in(folder: Path) -> list[str]:
    """What a grader left in its temp folder (the user's reports root may stay, empty: it is shared by every run)."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if not path.name.startswith("cnnkit-reports"))


def _cgroup_left(group: cgroups.Group) -> str:
    """What is left of a cgroup: its folders, and each process in them with its state (a failure's message)."""
    folders = sorted(str(folder) for top in group.folders for folder, _, _ in os.walk(top))
    processes = {pid: _process_state(Path(f"/proc/{pid}")) for pid in group.pids()}
    return f"left: {folders}; processes (pid: state): {processes}"


def cnnkit_grade(*args: str) -> list[str]:
    return [sys.executable, "-m", "cnnkit", "grade", *args]


def grading_env(tmp: Path, marker: str, **extra: str) -> dict[str, str]:
    """The environment of one `cnnkit grade` a test runs: its own TMPDIR, and a marker all its processes inherit."""
    return {**os.environ, "TMPDIR": str(tmp), "CNNKIT_HOSTILE_MARKER": marker, **extra}


def _linux_only() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc")


def test_a_worker_that_leaves_its_session_does_not_outlive_its_run(tmp_path: Path):
    """setsid/setpgid, signals ignored, os._exit disabled, every call just under its limit: the run's overall
    limit ends it, and afterwards no process of it is alive and no folder of it is left."""
    _linux_only()
    fixture = HOSTILE_DIR / "ex1_output_size__leave_session_and_linger.py"
    submission = build_submission(tmp_path / "submission", {"ex1_output_size": fixture.read_text()})
    marker, output = f"linger{os.getpid() % 100000}", tmp_path / "report.json"
    with private_tmp() as tmp:
        env = grading_env(tmp, marker, CNNKIT_HOSTILE_SLEEP="1.5", **BELOW_SOURCE_CHECK)
        completed = subprocess.run(
            cnnkit_grade(str(submission), "--exercise", "ex1_output_size", "--timeout", "2", "--total-timeout", "20",
                         "--format", "json", "--output", str(output)),
            env=env, capture_output=True, text=True, timeout=600)
        assert completed.returncode == 0, completed.stderr[-2000:]
        tests = _tests(json.loads(output.read_text()), "ex1_output_size")
        assert [t["name"] for t in tests] == grader_test_names("ex1_output_size")
        assert any("overall limit" in t["feedback"] for t in tests if t["status"] == "timeout"), tests[:2]
        assert eventually_none_of(marker) == []
        assert left_in(tmp) == []


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_killing_cnnkit_grade_mid_run_leaves_no_process_and_no_folder(tmp_path: Path, stop: int):
    """`cnnkit grade` gets SIGTERM (or SIGINT) while a worker holds a file, threads and its cgroup: it exits at
    once (128 + the signal), writes no grade, and no process, folder or cgroup of its runs is left."""
    _linux_only()
    fixture = HOSTILE_DIR / "ex1_output_size__grader_killed_midrun.py"
    submission = build_submission(tmp_path / "submission", {"ex1_output_size": fixture.read_text()})
    marker, output = f"killed{os.getpid() % 100000}", tmp_path / "report.json"
    with private_tmp() as tmp:
        env = grading_env(tmp, marker, CNNKIT_HOSTILE_SLEEP="1", **BELOW_SOURCE_CHECK)
        process = subprocess.Popen(
            cnnkit_grade(str(submission), "--exercise", "ex1_output_size", "--timeout", "5", "--output", str(output)),
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 300
            while not any(Path(f"/proc/{pid}/comm").read_text().strip() == marker for pid in processes_of(marker)):
                assert process.poll() is None and time.monotonic() < deadline, "the worker never started"
                time.sleep(0.2)
            servers = _servers_of(process.pid)
            assert servers and left_in(tmp), "the server and the run's folders exist while it runs"
            process.send_signal(stop)
            _, err = process.communicate(timeout=120)
        finally:
            process.kill()
        assert process.returncode == 128 + stop, err[-2000:]
        assert "stopped by signal" in err and not output.exists()
        assert "still busy" not in err, err[-2000:]
        assert eventually_none_of(marker) == []
        assert left_in(tmp) == []
        for server in servers:
            session = cgroups.session_of(server)
            assert session is None or not session.exists(), _cgroup_left(session)


def test_a_cnnkit_grade_killed_with_sigkill_leaves_its_scratch_folder_to_the_next_one(tmp_path: Path):
    """SIGKILL cannot be caught: `cnnkit grade` leaves its scratch folder (the copy of the submission, the runs'
    folders), and its server, seeing its pipe close, kills the runs. The next `cnnkit grade` of this user
    removes the folder (its lock was freed with the process), and leaves nothing of its own."""
    _linux_only()
    fixture = HOSTILE_DIR / "ex1_output_size__grader_killed_midrun.py"
    submission = build_submission(tmp_path / "submission", {"ex1_output_size": fixture.read_text()})
    marker = f"sigkill{os.getpid() % 100000}"
    with private_tmp() as tmp:
        env = grading_env(tmp, marker, CNNKIT_HOSTILE_SLEEP="1", **BELOW_SOURCE_CHECK)
        process = subprocess.Popen(cnnkit_grade(str(submission), "--exercise", "ex1_output_size", "--timeout", "5"),
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 300
            while not any(Path(f"/proc/{pid}/comm").read_text().strip() == marker for pid in processes_of(marker)):
                assert process.poll() is None and time.monotonic() < deadline, "the worker never started"
                time.sleep(0.2)
        finally:
            process.kill()
            process.wait()
        assert eventually_none_of(marker, seconds=60) == []
        reports = tmp / f"cnnkit-reports-{os.geteuid()}"
        abandoned = [p.name for p in reports.iterdir()]
        assert len(abandoned) == 1 and abandoned[0].startswith("report-"), abandoned
        completed = subprocess.run(
            cnnkit_grade(str(paths.SOLUTIONS_DIR), "--exercise", "ex1_output_size", "--format", "json"),
            env=grading_env(tmp, marker), capture_output=True, text=True, timeout=600)
        assert completed.returncode == 0, completed.stderr[-2000:]
        assert list(reports.iterdir()) == [] and left_in(tmp) == []


@pytest.mark.skipif(cgroups.backend() is None, reason="needs writable cgroups (root, v1 or delegated v2)")
def test_a_run_killed_for_memory_is_a_grader_fault_and_leaves_nothing_behind(tmp_path: Path):
    """The run's cgroup has a memory limit (Limits.run_memory); set far too low, the kernel kills the run: no
    grade, exit 3, and nothing of it left."""
    marker, output = f"oom{os.getpid() % 100000}", tmp_path / "report.json"
    with private_tmp() as tmp:
        env = grading_env(tmp, marker, CNNKIT_LIMITS="run_memory=64MiB")
        completed = subprocess.run(
            cnnkit_grade(str(paths.SOLUTIONS_DIR), "--exercise", "ex1_output_size", "--output", str(output)),
            env=env, capture_output=True, text=True, timeout=600)
        assert completed.returncode == 3 and "grader fault" in completed.stderr, completed.stderr[-2000:]
        assert not output.exists()
        assert eventually_none_of(marker) == []
        assert left_in(tmp) == []


@pytest.mark.skipif(cgroups.backend() is None or os.geteuid() != 0,
                    reason="needs root and writable cgroups to build a container with a task limit")
def test_a_thread_bomb_in_a_parallel_batch_costs_the_classmate_nothing(tmp_path: Path):
    """alice's code starts threads until refused, bob's is the reference; graded together (grade_class, 2 jobs)
    inside a container of 1,200 tasks, as a grading machine may be. alice is stopped at her worker's own
    limit, so bob keeps full marks (without that limit he lost 5 of 19 points here: "grader error ... EOFError"
    when his worker could not start, "different results for the same input")."""
    fixture = HOSTILE_DIR / "ex1_output_size__thread_bomb.py"
    klass = tmp_path / "class"
    build_submission(klass / "alice", {"ex1_output_size": fixture.read_text()})
    build_submission(klass / "bob", {})
    grades = tmp_path / "grades"
    container = cgroups.worker_parent().child(f"test-container-{os.getpid()}", tasks=1200, memory=16 << 30)
    script = textwrap.dedent(f"""
        from pathlib import Path
        from cnnkit.grading.batch import grade_class
        klass = Path({str(klass)!r})
        grade_class([klass / "alice", klass / "bob"], Path({str(grades)!r}), jobs=2, progress=False,
                    exercises=["ex1_output_size", "ex2_conv2d"], require_isolation="strong")
    """)
    try:
        completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=900,
                                   preexec_fn=container.join, env={**os.environ, "CNNKIT_HOSTILE_HOLD": "0.2", **BELOW_SOURCE_CHECK})
    finally:
        assert container.remove()
    assert completed.returncode == 0, completed.stderr[-3000:]
    for student in ("alice", "bob"):
        report = json.loads((grades / f"{student}.json").read_text())
        assert report["score"] == report["max_score"] > 0, (student, [(t["name"], t["status"], t["feedback"][:200])
                                                                     for e in report["exercises"] for t in e["tests"]
                                                                     if t["status"] != "passed"])
        assert_strong(report)


def test_cnnkit_require_isolation_fails_closed_like_the_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys):
    """CNNKIT_REQUIRE_ISOLATION=strong where the workers cannot reach it: exit 3, one line, no results.json
    (it used to exit 0 with a results.json of zeros); a value that is no level fails closed too."""
    monkeypatch.setenv("CNNKIT_ISOLATION", "advisory")
    output = tmp_path / "results.json"
    refusals = (("strong", "isolation advisory is below the required strong"), ("strongest", "not an isolation"))
    for value, why in refusals:
        monkeypatch.setenv("CNNKIT_REQUIRE_ISOLATION", value)
        code = cnnkit_main(["grade", str(paths.SOLUTIONS_DIR), "--exercise", "ex1_output_size", "--format",
                            "gradescope", "--output", str(output)])
        assert code == 3 and not output.exists()
        lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert len(lines) == 1 and why in lines[0], lines
