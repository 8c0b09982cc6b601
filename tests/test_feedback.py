"""What a student reads when their own code raises: their file, their line, their source, their calls.

Each submission is the reference with the student's version appended (a later ``def`` replaces the
reference's), so the expected line numbers are read from the built file itself.
"""

from __future__ import annotations

from pathlib import Path

from helpers import build_submission

from cnnkit.grading import reports
from cnnkit.grading.runner import grade_submission

THREE_CALLS_DEEP = '''

def _window_sizes(weight):
    return _last_two(list(weight.shape))


def _last_two(sizes):
    return sizes[2], sizes[4]  # index 4 is past the end


def _kernel_geometry(weight, stride, padding):
    return _window_sizes(weight), _pair(stride), _pair(padding)


def conv2d(x, weight, bias=None, stride=1, padding=0):
    (kh, kw), (sh, sw), (ph, pw) = _kernel_geometry(weight, stride, padding)
    return x
'''

INSIDE_TORCH = '''

def conv2d(x, weight, bias=None, stride=1, padding=0):
    windows = x.unfold(2, weight.shape[2], 1)
    return torch.einsum("nchwk,ock->nohw", windows, weight)  # one index too few for the weight
'''


def _line_of(path: Path, text: str) -> int:
    """The number of the last line of ``path`` holding ``text``."""
    return max(number for number, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


def _ex2_feedback(tmp_path: Path, code: str) -> tuple[Path, list[dict]]:
    submission = build_submission(tmp_path / "submission", {"ex2_conv2d": code})
    report = grade_submission(submission, exercises=["ex2_conv2d"], public_only=True)
    return submission / "ex2_conv2d.py", report["exercises"][0]["tests"]


def test_an_error_three_calls_deep_shows_the_students_file_line_source_and_calls(tmp_path: Path):
    file, tests = _ex2_feedback(tmp_path, THREE_CALLS_DEEP)
    line = _line_of(file, "return sizes[2], sizes[4]")
    assert {t["status"] for t in tests} == {"error"}
    feedback = tests[0]["feedback"]
    assert "your code raised IndexError: list index out of range" in feedback
    assert f"where (your code): ex2_conv2d.py, line {line}, in _last_two" in feedback, feedback
    assert "return sizes[2], sizes[4]  # index 4 is past the end" in feedback
    calls = (f"called from: conv2d (line {_line_of(file, '= _kernel_geometry(weight')}) -> _kernel_geometry "
             f"(line {_line_of(file, 'return _window_sizes(weight)')}) -> _window_sizes "
             f"(line {_line_of(file, 'return _last_two(')}) -> _last_two")
    assert calls in feedback, feedback
    assert "cnnkit" not in feedback.split("where (your code)")[1] and "site-packages" not in feedback
    assert {t["where"] for t in tests} == {f"ex2_conv2d.py:{line}"}


def test_an_error_inside_torch_shows_the_students_line_that_called_it(tmp_path: Path):
    file, tests = _ex2_feedback(tmp_path, INSIDE_TORCH)
    line = _line_of(file, 'return torch.einsum("nchwk,ock->nohw"')
    feedback = tests[0]["feedback"]
    assert f"your line that called into torch (the error was raised inside it): ex2_conv2d.py, line {line}, " \
           "in conv2d" in feedback, feedback
    assert "torch/functional.py" not in feedback and "site-packages" not in feedback


def test_one_mistake_many_checks_is_one_block(tmp_path: Path):
    """Every check of ex2 fails on the same line: the text report shows it once and counts the rest."""
    _, tests = _ex2_feedback(tmp_path, THREE_CALLS_DEEP)
    text = reports.to_text({"submission": "s", "exercises": [
        {"name": "conv", "module": "ex2_conv2d", "score": 0, "max_score": 8, "tests": tests}]})
    assert text.count("IndexError") == 1, text
    assert f"the same in {len(tests) - 1} more of {len(tests)} checks" in text, text
    assert len(text.splitlines()) < 15, text


def test_padding_on_one_side_is_named_in_every_check_that_sees_it(tmp_path: Path):
    """The mutant that pads only the top and left: each failing check recognises it (one mistake, one block)."""
    from helpers import MUTANTS_DIR

    from cnnkit.grading.hints import hint_for

    _, tests = _ex2_feedback(tmp_path, (MUTANTS_DIR / "ex2_conv2d__pad_one_side.py").read_text())
    failed = [t for t in tests if t["status"] != "passed"]
    assert failed and {t["mistake"] for t in failed} == {"padded_one_side"}, [(t["name"], t["mistake"]) for t in failed]
    assert len({t["group"] for t in failed}) == 1
    assert hint_for("ex2_conv2d", "shape", "padded_one_side", "concept") in failed[0]["feedback"]
