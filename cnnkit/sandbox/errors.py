"""What can go wrong in student code, as seen by the trusted side.

Each class maps to one report status: ``StudentCodeError`` and ``StudentCrash`` -> "error",
``StudentTimeout`` (and ``TimedOutEarlier``) -> "timeout", ``ForbiddenCall`` -> "forbidden", ``FlaggedCode`` ->
"flagged". A wrong answer is a plain ``AssertionError`` raised by the checks -> "failed".
"""

from __future__ import annotations


class StudentError(Exception):
    """Base class: the student's code did not produce an answer to check."""

    status = "error"


class StudentCodeError(StudentError):
    """The student's code raised an exception (or failed to import)."""

    def __init__(self, message: str, exc_type: str = "", traceback: str = "", where: str = "") -> None:
        super().__init__(message)
        self.exc_type = exc_type
        self.student_traceback = traceback  # the student's file, line and source line, and their call chain
        self.where = where  # "ex2_conv2d.py:99": the student's line it points at ("" when none)


class StudentCrash(StudentError):
    """The worker process died: ``os._exit``, a fatal signal, running out of memory."""


class StudentTimeout(StudentError):
    """The student's code ran longer than its time limit."""

    status = "timeout"


class ForbiddenCall(StudentError):
    """The student's code called a torch API that the exercise forbids."""

    status = "forbidden"

    def __init__(self, message: str, calls: list[str]) -> None:
        super().__init__(message)
        self.calls = calls


class FlaggedCode(StudentError):
    """The student's code is up for review: a construct outside the exercise's allow-list, or an attempt to get
    around the exercise rules (found in the source before it ran, or by the run-time detector)."""

    status = "flagged"

    def __init__(self, message: str, findings: list[str]) -> None:
        super().__init__(message)
        self.findings = findings


class TimedOutEarlier(StudentTimeout):
    """Not run: a function this call needs timed out in an earlier test (see ``client.TimeoutMemory``)."""

    def __init__(self, message: str, function: str, test: str) -> None:
        super().__init__(message)
        self.function = function  # "module.function" that timed out
        self.test = test  # the grader test where it timed out
