"""Turn a failed grader test's exception into a status and a short, teaching message.

A failure is explained in parts (``Failure``): the status, the message (what was checked, what is
wrong, on which input, expected vs got), the hint chosen by the check and the mistake it
recognised (``cnnkit.grading.hints``, at the instructor's level), Hypothesis's smallest failing
example, and the student's own file and line when their code raised. ``group`` names the failure
so that one mistake seen by several checks is shown once (``cnnkit.grading.reports``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hypothesis.errors import Flaky

from cnnkit.grading.checks import CheckFailure
from cnnkit.grading.hints import DEFAULT_LEVEL, hint_for
from cnnkit.sandbox import (FlaggedCode, ForbiddenCall, StudentCodeError, StudentCrash, StudentError,
                            StudentTimeout)

MAX_FEEDBACK = 1500


@dataclass(frozen=True)
class Failure:
    """One failed test, explained."""

    status: str  # failed / error / timeout / forbidden (see ``status_of``)
    feedback: str  # what the student reads
    check: str = ""  # the check that failed ("shape", "values", "timeout", "raised", ...)
    mistake: str = ""  # the known mistake the answer matched, if any
    where: str = ""  # the student's file:line the error points at, if their code raised
    group: str = ""  # failures with the same group are one mistake (shown once)


def _leaf(exc: BaseException) -> BaseException:
    """The first real exception inside (possibly nested) exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _falsifying_example(exc: BaseException) -> str:
    """Hypothesis's 'Falsifying example: test(a=1, b=2)' note, as 'a=1, b=2' without the ``sub`` fixture."""
    notes = [str(note) for note in getattr(exc, "__notes__", []) if "Falsifying example" in str(note)]
    if not notes:
        return ""
    arguments = []
    for line in notes[0].splitlines()[1:]:
        line = line.split("  #", 1)[0].strip().rstrip(",")
        if line and line != ")" and not line.startswith("sub="):
            arguments.append(line)
    return ", ".join(arguments)


def status_of(exc: BaseException) -> str:
    """passed/failed/error/timeout/forbidden for an exception raised by a grader test."""
    leaf = _leaf(exc)
    if isinstance(leaf, StudentError):
        return leaf.status
    if isinstance(leaf, AssertionError) or isinstance(exc, Flaky):  # Flaky: a failure that did not reproduce
        return "failed"
    return "error"


def _check_of(leaf: BaseException, exc: BaseException) -> str:
    """The name of what failed, for hints and grouping."""
    if isinstance(exc, Flaky):
        return "flaky"
    if isinstance(leaf, CheckFailure):
        return leaf.check
    if isinstance(leaf, StudentCodeError):
        return "not_implemented" if leaf.exc_type == "NotImplementedError" else "raised"
    for kind, name in ((StudentTimeout, "timeout"), (ForbiddenCall, "forbidden"), (FlaggedCode, "flagged"),
                       (StudentCrash, "crash")):
        if isinstance(leaf, kind):
            return name
    if isinstance(leaf, StudentError):
        return "student"
    return "" if isinstance(leaf, AssertionError) else "grader"


def _message(leaf: BaseException, exc: BaseException, exercise: str) -> str:
    if isinstance(exc, Flaky):
        return (f"{exercise}: your code gave different results for the same input "
                "(unseeded randomness, or state kept between calls)")
    if isinstance(leaf, CheckFailure):
        return leaf.text()
    if isinstance(leaf, (AssertionError, StudentError)):
        return str(leaf).strip() or type(leaf).__name__
    return f"grader error (not your fault; please report it): {type(leaf).__name__}: {leaf}"


def _subject(leaf: BaseException, text: str) -> str:
    """What a failure is about, for grouping: the function checked (``conv2d``), else the message's
    first line with its numbers blanked (the same mistake on other inputs gives other numbers)."""
    if isinstance(leaf, CheckFailure) and leaf.check:
        return re.split(r"[\s(:]", leaf.what.split(".")[-1].strip(), maxsplit=1)[0]
    return re.sub(r"\d+(\.\d+)?", "#", text.splitlines()[0] if text else "")[:200]


def explain(exc: BaseException, exercise: str, hints: str = DEFAULT_LEVEL) -> Failure:
    """A failed test's ``Failure``: status, feedback text (hint at level ``hints``), and its group."""
    leaf = _leaf(exc)
    status, check = status_of(exc), _check_of(leaf, exc)
    mistake = leaf.mistake if isinstance(leaf, CheckFailure) else ""
    where = leaf.where if isinstance(leaf, StudentCodeError) else ""
    text = _message(leaf, exc, exercise)
    hint = hint_for(exercise, check, mistake, hints) or (
        leaf.hint if isinstance(leaf, CheckFailure) and hints != "none" else "")
    if hint:
        text += f"\n  hint: {hint}"
    example = _falsifying_example(exc) or _falsifying_example(leaf)
    if example:
        text += f"\n  smallest failing example: {example}"
    if isinstance(leaf, StudentCodeError) and leaf.student_traceback:
        text += "\n  " + "\n  ".join(leaf.student_traceback.strip().splitlines())
    if len(text) > MAX_FEEDBACK:
        text = text[: MAX_FEEDBACK - 20] + " ... (truncated)"
    subject = where or _subject(leaf, _message(leaf, exc, exercise))
    return Failure(status, text, check, mistake, where, group="|".join((status, check, mistake, subject)))


def describe_failure(exc: BaseException, exercise: str, hints: str = DEFAULT_LEVEL) -> str:
    """The feedback text of a failed test (``explain(...).feedback``)."""
    return explain(exc, exercise, hints).feedback
