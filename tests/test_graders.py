"""The graders are tested: reference = full marks, stubs = 0, every mutant caught, alternatives kept.

Mutants (``tests/mutants/<module>__<mistake>.py``) and alternative correct implementations
(``tests/alternatives/<module>__<approach>.py``) hold only the functions they change; they are
appended to a copy of the reference solutions (see ``build_submission``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ALTERNATIVES_DIR, MUTANTS_DIR, build_submission, module_of, variant_files

from cnnkit import paths, spec
from cnnkit.grading.hints import GENERIC
from cnnkit.grading.runner import grade_submission, pytest_command, scores_by_exercise

MUTANTS = variant_files(MUTANTS_DIR)
ALTERNATIVES = variant_files(ALTERNATIVES_DIR)
NUMERIC_EXERCISES = [exercise.module for exercise in spec.EXERCISES if exercise.numeric]


def _not_passed(report: dict, module: str | None = None) -> list[str]:
    return [
        f"{e['module']}::{t['name']} [{t['status']}] {t['feedback'][:400]}"
        for e in report["exercises"]
        if module in (None, e["module"])
        for t in e["tests"]
        if t["status"] != "passed"
    ]


def test_reference_gets_full_marks(reference_report):
    assert _not_passed(reference_report) == []
    assert reference_report["score"] == reference_report["max_score"] > 0
    assert [e["module"] for e in reference_report["exercises"]] == [e.module for e in spec.EXERCISES]


def test_points_add_up_to_each_exercises_declared_total(tmp_path: Path):
    """``@pytest.mark.points(n)`` is a test's worth, shared by its cases; an exercise's tests add up to its spec points.

    The report the plugin writes right after collection (every test "not run") holds each case's share.
    """
    report_path = tmp_path / "report.json"
    command = pytest_command(paths.EXERCISES_DIR, report_path) + ["--collect-only"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=paths.ROOT)
    assert done.returncode == 0, done.stdout[-2000:]
    report = json.loads(report_path.read_text())
    collected = {e["module"]: sum(t["max_score"] for t in e["tests"]) for e in report["exercises"]}
    declared = {e.module: e.points for e in spec.EXERCISES}
    assert collected == pytest.approx(declared)
    assert all(points > 0 for points in declared.values())


def test_every_exercise_has_hidden_tests(reference_report):
    for exercise in reference_report["exercises"]:
        visibilities = {t["visibility"] for t in exercise["tests"]}
        assert visibilities == {"public", "hidden"}, exercise["module"]


def test_stubs_get_zero_and_every_test_is_reported(stub_report, reference_report):
    assert stub_report["score"] == 0
    assert stub_report["max_score"] == reference_report["max_score"]
    for exercise in stub_report["exercises"]:
        for test in exercise["tests"]:
            assert test["status"] in {"failed", "error"}, (exercise["module"], test)
            assert test["feedback"], (exercise["module"], test["name"])


def test_stub_feedback_says_not_implemented(stub_report):
    conv = next(e for e in stub_report["exercises"] if e["module"] == "ex2_conv2d")
    assert all("not implemented yet" in t["feedback"] for t in conv["tests"])


def test_mutant_library_is_large_and_covers_every_exercise_but_the_last():
    assert len(MUTANTS) >= 25
    covered = {module_of(path) for path in MUTANTS}
    assert set(NUMERIC_EXERCISES + ["ex7_models", "ex8_training"]) <= covered


def rounds(variants: list[Path]) -> list[list[Path]]:
    """Variants grouped so that each group holds at most one variant per exercise (the k-th of each).

    One grading run per group: exercises are graded in separate sandboxes and scored
    separately, so a variant's score on its own exercise is what it would be alone, and one
    pytest process (with its torch import and sandbox start-up) serves up to nine variants.
    """
    by_module: dict[str, list[Path]] = {}
    for path in variants:
        by_module.setdefault(module_of(path), []).append(path)
    count = max((len(paths_) for paths_ in by_module.values()), default=0)
    return [[paths_[k] for paths_ in by_module.values() if k < len(paths_)] for k in range(count)]


def _mutant_rounds(mutants: list[Path]) -> list[list[Path]]:
    """Rounds for mutants; one of an exercise built on others (ex15) gets a round to itself.

    ex15 runs the submission's own ex7 and ex8: next to their mutants it would lose points for
    their mistakes, and would not prove that its own mutant is caught.
    """
    builds_on = {e.module for e in spec.EXERCISES if e.depends_on}
    return (rounds([path for path in mutants if module_of(path) not in builds_on])
            + [[path] for path in mutants if module_of(path) in builds_on])


MUTANT_ROUNDS = _mutant_rounds(MUTANTS)
# Alternatives too: ex13 trains with the submission's own ex2-ex12, and next to their (slower, loop-based)
# alternatives it would time out for their speed, not its own.
ALTERNATIVE_ROUNDS = _mutant_rounds(ALTERNATIVES)


def _round_id(group: list[Path]) -> str:
    """``ex1-ceil+ex2-bias_dropped+...``: ``-k ex4`` selects the rounds holding an ex4 variant."""
    return "+".join(f"{module_of(path).split('_', 1)[0]}-{path.stem.split('__', 1)[1]}" for path in group)


@pytest.mark.parametrize("group", MUTANT_ROUNDS, ids=_round_id)
def test_mutant_loses_points_on_its_own_exercise(group: list[Path], tmp_path: Path):
    """Each mutant's exercise loses points; exercises built on it (spec ``depends_on``) are still fully reported
    (checked with the module's first mutant).

    A round grades mutants of different exercises in one submission (see ``rounds``). Exercises built on
    others are graded with the reference versions of those (see
    ``test_mutants_in_some_exercises_leave_the_others_untouched``).
    """
    overrides = {module_of(mutant): mutant.read_text() for mutant in group}
    submission = build_submission(tmp_path / "submission", overrides)
    # The exercises built on a mutant's exercise are graded with its first mutant (that they are still
    # fully reported holds or not for the module, not for each of its mistakes; ex15 and ex13 train).
    firsts = [module_of(mutant) for mutant in group if _first_mutant(module_of(mutant)) == mutant]
    graded = list(overrides) + list(dict.fromkeys(d for module in firsts for d in spec.dependents(module)
                                                  if d not in overrides))
    report = grade_submission(submission, exercises=graded)
    scores = scores_by_exercise(report)
    missed = [mutant.stem for mutant in group if scores[module_of(mutant)][0] >= scores[module_of(mutant)][1]]
    assert not missed, f"mutants not caught: {missed}"
    for other in graded[len(overrides):]:
        exercise = next(e for e in report["exercises"] if e["module"] == other)
        assert all(t["status"] != "not run" for t in exercise["tests"]), other


def _first_mutant(module: str) -> Path:
    return next(path for path in MUTANTS if module_of(path) == module)


@pytest.mark.parametrize("broken", [
    ["ex1_output_size", "ex3_pooling", "ex5_dropout", "ex7_models"],
    ["ex2_conv2d", "ex4_activations", "ex6_softmax", "ex8_training"],
], ids=["odd", "even"])
def test_mutants_in_some_exercises_leave_the_others_untouched(broken: list[str], tmp_path: Path):
    """Full suite on a submission with mutants in half of the exercises: only those lose points. The exercises
    built on them (ex13, ex15) are graded with the reference versions of their earlier modules (each mistake
    is charged once)."""
    overrides = {module: _first_mutant(module).read_text() for module in broken}
    report = grade_submission(build_submission(tmp_path / "submission", overrides))
    scores = scores_by_exercise(report)
    for module, (score, max_score) in scores.items():
        if module in broken:
            assert score < max_score, module
        else:
            assert score == max_score, _not_passed(report, module)


def test_a_mistake_is_charged_once_and_the_chain_line_names_the_module(tmp_path: Path):
    """ex8 and ex10 broken: ex13 and ex15 keep full marks (graded with the reference ex8/ex10), and their
    unscored chain lines say that the student's own modules break them, naming which."""
    overrides = {"ex8_training": (MUTANTS_DIR / "ex8_training__no_zero_grad.py").read_text(),
                 "ex10_conv_backward": (MUTANTS_DIR / "ex10_conv_backward__padding_not_cropped.py").read_text()}
    report = grade_submission(build_submission(tmp_path / "submission", overrides),
                              exercises=["ex8_training", "ex10_conv_backward", "ex13_own_cnn", "ex15_mnist"])
    scores = scores_by_exercise(report)
    assert all(scores[m][0] < scores[m][1] for m in overrides), scores
    chains = {e["module"]: e.get("chain") for e in report["exercises"]}
    for module, culprits in (("ex13_own_cnn", ["ex8_training", "ex10_conv_backward"]), ("ex15_mnist", ["ex8_training"])):
        assert scores[module][0] == scores[module][1], _not_passed(report, module)
        assert chains[module] is not None and not chains[module]["works"], chains
        assert chains[module]["modules"] == culprits, chains[module]


def test_the_chain_line_says_it_works_for_the_reference(reference_report):
    chains = {e["module"]: e.get("chain") for e in reference_report["exercises"]}
    assert chains["ex13_own_cnn"] == chains["ex15_mnist"] == {"works": True, "modules": [], "detail": ""}
    assert all(chains[e.module] is None for e in spec.EXERCISES if not e.chain_check)


def test_every_numeric_exercise_has_two_alternative_implementations():
    for module in NUMERIC_EXERCISES:
        count = sum(module_of(path) == module for path in ALTERNATIVES)
        assert count >= 2, f"{module} has {count} alternative implementation(s)"


def test_variant_rounds_cover_every_file_once():
    for variants, grouped in ((MUTANTS, MUTANT_ROUNDS), (ALTERNATIVES, ALTERNATIVE_ROUNDS)):
        flat = [path for group in grouped for path in group]
        assert sorted(flat) == sorted(variants)
        assert all(len({module_of(path) for path in group}) == len(group) for group in grouped)


@pytest.mark.parametrize("group", ALTERNATIVE_ROUNDS, ids=_round_id)
def test_alternative_implementation_keeps_full_marks(group: list[Path], tmp_path: Path):
    overrides = {module_of(alternative): alternative.read_text() for alternative in group}
    submission = build_submission(tmp_path / "submission", overrides)
    report = grade_submission(submission, exercises=list(overrides))
    assert _not_passed(report) == [], [path.stem for path in group]


def _pytest_output(submission: Path, *extra: str) -> str:
    command = [sys.executable, "-m", "pytest", str(paths.GRADERS_DIR), "-m", "ex1_output_size", "--public-only",
               "--submission", str(submission), "-p", "no:cacheprovider", *extra]
    return subprocess.run(command, capture_output=True, text=True, cwd=paths.ROOT).stdout


def test_students_see_one_block_per_mistake_then_the_points_table(tmp_path: Path):
    """``pytest graders`` prints the text ``cnnkit grade`` prints: each distinct failure once (``/`` instead of
    ``//`` fails six checks the same way), its hint, the table; not the kit's source, not pytest's sections."""
    mutant = MUTANTS_DIR / "ex1_output_size__true_division.py"
    submission = build_submission(tmp_path / "submission", {"ex1_output_size": mutant.read_text()})
    student = _pytest_output(submission)
    assert student.count("returned float") == 1, student
    assert "returned float 30.0; expected the int 30" in student
    assert f"hint: {GENERIC['int_from_float'].concept}" in student  # the concept level, the default
    assert "the same in 5 more of 11 checks" in student
    assert "checks.py" not in student and "def fail" not in student and "Falsifying example" not in student
    assert "_____" not in student  # no per-test pytest section
    table = student.rstrip().splitlines()
    assert table[-3].lstrip().startswith("TOTAL") and table[-2].startswith("public checks:"), table[-4:]
    assert len(student.splitlines()) < 30
    for flag in ("--cnnkit-tracebacks", "--tb=long"):
        assert "checks.py" in _pytest_output(submission, flag), flag


def test_readme_points_table_matches_the_spec():
    """README's table shows each exercise's points from ``cnnkit.spec`` and their total (tests/test_docs.py checks
    docs/exercises.md's too)."""
    readme = (paths.ROOT / "README.md").read_text()
    for exercise in spec.EXERCISES:
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{exercise.module}` |")), None)
        assert row is not None, exercise.module
        assert row.rstrip(" |").rsplit("|", 1)[-1].strip() == f"{exercise.points:g}", row
    assert f"| | **total** | **{spec.TOTAL_POINTS:g}** |" in readme
