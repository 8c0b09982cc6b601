"""Hints (issue 21, item 3): declared once per exercise, matched by check or mistake id, at the chosen level.

* every id a grader recognises (``Mistake("id", ...)``, ``fail(..., mistake="id")``) has its words
  in its exercise's ``HINTS``, and no ``HINTS`` entry is dead (the graders are parsed, not run);
* graders recognise mistakes only: no grader writes a hint's words itself (``Hint``, ``hint=``);
* no hint, at any level, holds a line of a solution or code with arguments;
* ``none`` shows no hint, ``concept`` the concept only, ``method`` both;
* a real mistake (a mutant) shows its hint, end to end.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import MUTANTS_DIR, build_submission

from cnnkit import paths, spec
from cnnkit.grading.checks import CheckFailure
from cnnkit.grading.feedback import explain
from cnnkit.grading.hints import GENERIC, HintText, all_hints, exercise_hints
from cnnkit.grading.runner import grade_submission


MIN_SOLUTION_LINE = 12  # shorter solution lines ("return x", "model.eval()"...) are words any hint may use
# A call with arguments: a name right before "(" and a comma or "=" inside (one level of nesting allowed).
CALL_WITH_ARGUMENTS = re.compile(r"\w\((?:[^()]|\([^()]*\))*[,=](?:[^()]|\([^()]*\))*\)")
SLICE = re.compile(r"\w\[[^\]]*:[^\]]*\]")  # x[:, 1:3]


# -- reading the graders (parsed, never run) ---------------------------------------------------------
def grader_files() -> list[Path]:
    return sorted(paths.GRADERS_DIR.glob("test_ex*.py")) + sorted((paths.GRADERS_DIR / "hidden").glob("test_ex*.py"))


def exercise_of(grader: Path) -> str:
    return grader.stem.removeprefix("test_")


def _strings(node: ast.AST) -> Iterator[str]:
    """Every non-empty string literal inside ``node`` (a literal, or the branches of ``a if c else b``, ``a or b``)."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Constant) and isinstance(inner.value, str) and inner.value:
            yield inner.value


def _id_literals(node: ast.AST | None) -> list[str]:
    """The ids written as literals in an id's expression: a literal, the branches of ``a if c else b``
    (not the condition), the operands of ``a or b``; names and calls hold ids written elsewhere."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if node.value else []
    if isinstance(node, ast.IfExp):
        return _id_literals(node.body) + _id_literals(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [found for value in node.values for found in _id_literals(value)]
    return []


def _called(node: ast.Call) -> str:
    return getattr(node.func, "id", getattr(node.func, "attr", ""))


def recognised_ids(tree: ast.AST) -> tuple[set[str], list[str]]:
    """The mistake ids a grader can report, and the places where one is not written as a literal.

    Ids are written where the mistake is recognised: the first argument of ``Mistake(...)`` (a
    literal, or a choice between literals), a ``mistake=`` keyword (the same, or an expression
    whose literals are ids), or the values of a module table named ``*_MISTAKES``. A
    ``Mistake(other.id, ...)`` re-wraps a mistake declared elsewhere.
    """
    ids: set[str] = set()
    unreadable: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node) == "Mistake":
            first = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "id"), None)
            if _id_literals(first):
                ids.update(_id_literals(first))
            elif not (isinstance(first, ast.Attribute) and first.attr == "id"):
                unreadable.append(f"line {node.lineno}: Mistake id {ast.unparse(first) if first else '?'}")
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "mistake":
                    ids.update(_id_literals(keyword.value))
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "").endswith("MISTAKES") for t in node.targets):
            if isinstance(node.value, ast.Dict):
                ids.update(found for value in node.value.values for found in _id_literals(value))
    return ids, unreadable


def check_names() -> set[str]:
    """Every check name a failure can carry: ``check=`` anywhere in the kit and the graders, and
    the names ``feedback`` gives errors, timeouts and forbidden calls."""
    names: set[str] = set()
    sources = [*paths.ROOT.joinpath("cnnkit").rglob("*.py"), *grader_files()]
    for source in sources:
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg == "check":
                        names.update(_strings(keyword.value))
            if isinstance(node, ast.Assign) and any(getattr(target, "id", "") == "check" for target in node.targets):
                names.update(_strings(node.value))  # check = "numpy" if ... else "type"; fail(..., check=check)
            if isinstance(node, ast.FunctionDef) and node.name == "_check_of" and source.name == "feedback.py":
                names.update(s for s in _strings(node) if re.fullmatch(r"[a-z_]+", s))
    return names


def ids_by_exercise() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {exercise.module: set() for exercise in spec.EXERCISES}
    for grader in grader_files():
        ids, unreadable = recognised_ids(ast.parse(grader.read_text()))
        assert not unreadable, f"{grader}: write each mistake id as a literal: {unreadable}"
        found[exercise_of(grader)] |= ids
    for module in found:  # checks the graders share live in the exercise's curriculum module
        support = paths.ROOT / "cnnkit" / "curriculum" / f"{module}.py"
        if support.is_file():
            found[module] |= recognised_ids(ast.parse(support.read_text()))[0]
    return found


# -- (a) every id has its words, no words are dead ---------------------------------------------------
def test_every_recognised_mistake_has_a_hint():
    for module, ids in ids_by_exercise().items():
        missing = sorted(ids - set(exercise_hints(module)))
        assert not missing, f"{module}: no HINTS entry (cnnkit/curriculum/{module}.py) for {missing}"


def test_no_hint_is_dead():
    """Each HINTS key is a mistake its graders recognise or a check name; GENERIC's are check names."""
    checks = check_names()
    assert {"shape", "values", "nonfinite", "timeout", "no_graph", "int_from_float"} <= checks  # the parse works
    for module, ids in ids_by_exercise().items():
        dead = sorted(set(exercise_hints(module)) - ids - checks)
        assert not dead, f"{module}: HINTS entries no grader can show: {dead}"
    assert not sorted(set(GENERIC) - checks)


def test_every_hint_has_both_forms():
    for module, table in all_hints().items():
        for key, hint in table.items():
            assert isinstance(hint, HintText) and hint.concept.strip(), (module, key)
            if module != "*":  # the kit-wide type hint is all concept
                assert hint.method.strip(), f"{module}: {key} has no method form"


# -- (b) graders recognise, they do not word ---------------------------------------------------------
def _hint_writing(tree: ast.AST) -> list[str]:
    """Where a grader writes a hint's words itself: ``Hint``, a ``hint=`` (or ``*_hint=``) keyword,
    or ``fail``'s fourth positional argument (its old ``hint``)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "Hint" or isinstance(node, ast.alias) and node.name == "Hint":
            found.append(f"line {getattr(node, 'lineno', '?')}: Hint")
        if isinstance(node, ast.Call):
            found += [f"line {node.lineno}: {k.arg}=" for k in node.keywords
                      if k.arg and (k.arg == "hint" or k.arg.endswith("_hint"))]
            if _called(node) == "fail" and len(node.args) > 3:
                found.append(f"line {node.lineno}: fail with a positional hint")
    return found


def test_graders_recognise_mistakes_and_never_word_hints():
    for grader in grader_files():
        found = _hint_writing(ast.parse(grader.read_text()))
        assert not found, f"{grader}: declare a Mistake id and its HintText in HINTS instead: {found}"


def test_the_hint_writing_detector_finds_old_style_hints():
    old = ('from cnnkit.grading.checks import Hint, fail\n'
           'check(got, hints=[Hint("pad first", lambda: 0)])\n'
           'fail("f", "wrong", case, "use //")\n'
           'fail("f", "wrong", hint="use //")\n'
           'student_forward(sub, shape_hint="flatten")\n')
    assert len(_hint_writing(ast.parse(old))) == 5  # the import, the call, the three keywords and positions


# -- (c) no hint holds a solution or code --------------------------------------------------------------
def _normalised(text: str) -> str:
    return " ".join(text.split())


def solution_lines() -> set[str]:
    """Every line between the solution markers of every solution, whitespace normalised, long enough to matter."""
    lines = set()
    for solution in sorted(paths.SOLUTIONS_DIR.glob("*.py")):
        inside = False
        for line in solution.read_text().splitlines():
            if "### BEGIN SOLUTION" in line:
                inside = True
            elif "### END SOLUTION" in line:
                inside = False
            elif inside and len(line.strip()) >= MIN_SOLUTION_LINE:
                lines.add(_normalised(line.split("  #", 1)[0] if "  #" in line else line))
    return {line for line in lines if len(line) >= MIN_SOLUTION_LINE}


def every_hint_text() -> list[tuple[str, str]]:
    """(where, text) of every form of every hint, the kit-wide ones and every exercise's."""
    return [(f"{module}:{key}:{form}", getattr(hint, form))
            for module, table in all_hints().items() for key, hint in table.items() for form in ("concept", "method")]


def test_no_hint_holds_a_line_of_a_solution():
    lines = solution_lines()
    assert len(lines) > 100  # the markers were found
    for where, text in every_hint_text():
        leaked = [line for line in lines if line in _normalised(text)]
        assert not leaked, f"{where} holds solution lines {leaked}: say it in words"


def test_no_hint_holds_code_with_arguments():
    for where, text in every_hint_text():
        code = CALL_WITH_ARGUMENTS.findall(text) + SLICE.findall(text)
        assert not code, f"{where} holds code {code}: name the API without arguments, or say it in words"


@pytest.mark.parametrize("code", ["F.pad(x, (pw, pw, ph, ph))", "torch.where(x >= 0, x, 0.0)",
                                  "F.cross_entropy(logits, reduction='sum')", "x.flatten(start_dim=1)",
                                  "grad_padded[:, :, ph:ph + H, pw:pw + W]", "max(|a| + |b|, 1e-8)"])
def test_the_code_detector_finds_code(code: str):
    assert CALL_WITH_ARGUMENTS.search(f"use {code} here") or SLICE.search(f"use {code} here")


@pytest.mark.parametrize("words", ["pad first (F.pad takes the width pair first)", "shape (N, C_out, kH, kW)",
                                   "Tensor.unfold, then einsum", "exp(t) - 1 without that loss"])
def test_the_code_detector_lets_words_through(words: str):
    assert not CALL_WITH_ARGUMENTS.search(words) and not SLICE.search(words)


# -- (d) levels ---------------------------------------------------------------------------------------
def _hint_lines(feedback: str) -> list[str]:
    return [line for line in feedback.splitlines() if line.strip().startswith("hint:")]


@pytest.mark.parametrize(("check", "mistake", "key"), [("shape", "", "shape"), ("values", "padding_ignored",
                                                                                   "padding_ignored")])
def test_levels_none_concept_method(check: str, mistake: str, key: str):
    hint = exercise_hints("ex2_conv2d")[key]
    failure = CheckFailure("conv2d", "your shape (1, 1, 1, 2) / expected shape (1, 1, 1, 3)", "x (1, 1, 1, 1)",
                           check=check, mistake=mistake)
    assert _hint_lines(explain(failure, "ex2_conv2d", "none").feedback) == []
    concept = _hint_lines(explain(failure, "ex2_conv2d", "concept").feedback)
    assert len(concept) == 1 and hint.concept in concept[0] and hint.method not in concept[0]
    method = _hint_lines(explain(failure, "ex2_conv2d", "method").feedback)
    assert len(method) == 1 and hint.concept.rstrip(". ") in method[0] and hint.method in method[0]
    assert explain(failure, "ex2_conv2d").feedback == explain(failure, "ex2_conv2d", "concept").feedback  # default


def test_a_recognised_mistake_comes_before_its_checks_hint():
    failure = CheckFailure("conv2d", "your shape (1, 1, 1, 2) / expected shape (1, 1, 1, 3)", check="shape",
                           mistake="padding_ignored")
    feedback = explain(failure, "ex2_conv2d", "concept").feedback
    assert exercise_hints("ex2_conv2d")["padding_ignored"].concept in feedback
    assert exercise_hints("ex2_conv2d")["shape"].concept not in feedback


# -- (f) end to end: a real mistake shows its hint -------------------------------------------------------
def test_a_mutants_mistake_shows_its_hint_at_method_level(tmp_path: Path):
    mutant = MUTANTS_DIR / "ex1_output_size__padding_counted_once.py"
    submission = build_submission(tmp_path / "submission", {"ex1_output_size": mutant.read_text()})
    report = grade_submission(submission, exercises=["ex1_output_size"], extra_args=["--cnnkit-hints", "method"])
    hint = exercise_hints("ex1_output_size")["padding_counted_once"]
    rows = [test for exercise in report["exercises"] for test in exercise["tests"]
            if test.get("mistake") == "padding_counted_once"]
    assert rows, [(t["name"], t.get("check"), t.get("mistake")) for e in report["exercises"] for t in e["tests"]]
    for row in rows:
        assert hint.concept.rstrip(". ") in row["feedback"] and hint.method in row["feedback"], row["feedback"]


# -- the level reaches nbgrader --------------------------------------------------------------------------
def test_nbgrader_config_sets_the_level_sandbox_grades_reads(tmp_path: Path):
    """The generated ``nbgrader_config.py`` documents and sets ``c.SandboxGrades.hints``; the preprocessor takes it."""
    traitlets = pytest.importorskip("traitlets")
    from traitlets.config.loader import PyFileConfigLoader

    from cnnkit.course import build
    from cnnkit.course.autograde import SandboxGrades
    from cnnkit.grading.hints import DEFAULT_LEVEL

    config = build.NBGRADER_CONFIG.format(course_id="c", timeout=1, sandbox_timeout=1.0,
                                          hints=DEFAULT_LEVEL, required_isolation="strong")
    setting = "c.SandboxGrades.hints = 'concept'"
    assert setting in config and '"none"' in config  # set, and its levels documented
    (tmp_path / "nbgrader_config.py").write_text(config.replace(setting, "c.SandboxGrades.hints = 'method'"))
    loaded = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    assert SandboxGrades(config=loaded).hints == "method"
    assert SandboxGrades().hints == DEFAULT_LEVEL
    with pytest.raises(traitlets.TraitError):
        SandboxGrades(hints="everything")
