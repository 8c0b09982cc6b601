"""Turn a failed grader test's exception into a status and a short, teaching message."""

from __future__ import annotations

from cnnkit.sandbox import StudentCodeError, StudentError

MAX_FEEDBACK = 1500


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
    if isinstance(leaf, AssertionError):
        return "failed"
    if type(leaf).__name__ in ("Flaky", "FlakyFailure"):
        return "failed"
    return "error"


def describe_failure(exc: BaseException, exercise: str) -> str:
    """The message, the minimal failing example Hypothesis found, and the student's traceback."""
    leaf = _leaf(exc)
    if type(exc).__name__ in ("Flaky", "FlakyFailure"):
        text = (f"{exercise}: your code gave different results for the same input "
                "(unseeded randomness, or state kept between calls)")
    elif isinstance(leaf, (AssertionError, StudentError)):
        text = str(leaf).strip() or type(leaf).__name__
    else:
        text = f"grader error (not your fault; please report it): {type(leaf).__name__}: {leaf}"
    example = _falsifying_example(leaf if leaf is exc else exc)
    if example:
        text += f"\n  smallest failing example: {example}"
    if isinstance(leaf, StudentCodeError) and leaf.student_traceback:
        text += "\n  where (your code):\n" + "\n".join("    " + l for l in leaf.student_traceback.strip().splitlines()[-6:])
    if len(text) > MAX_FEEDBACK:
        text = text[: MAX_FEEDBACK - 20] + " ... (truncated)"
    return text
