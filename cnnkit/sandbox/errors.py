"""What can go wrong in student code, as seen by the trusted side.

Each class maps to one report status: ``StudentCodeError`` and ``StudentCrash`` -> "error",
``StudentTimeout`` (and ``TimedOutEarlier``) -> "timeout", ``ForbiddenCall`` -> "forbidden". A wrong answer is a plain
``AssertionError`` raised by the checks -> "failed".
"""

from __future__ import annotations


class StudentError(Exception):
    """Base class: the student's code did not produce an answer to check."""

    status = "error"


class StudentCodeError(StudentError):
    """The student's code raised an exception (or failed to import)."""

    def __init__(self, message: str, exc_type: str = "", traceback: str = "") -> None:
        super().__init__(message)
        self.exc_type = exc_type
        self.student_traceback = traceback


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


class TimedOutEarlier(StudentTimeout):
    """Not run: a function this call needs timed out in an earlier test (see ``client.TimeoutMemory``)."""

    def __init__(self, message: str, function: str, test: str) -> None:
        super().__init__(message)
        self.function = function  # "module.function" that timed out
        self.test = test  # the grader test where it timed out
