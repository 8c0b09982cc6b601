"""The command line's one error convention.

Any command raises ``CommandError(message, exit_code)`` for a mistake the user can fix (a bad
option, a missing folder, missing data) or a fault the user must hear about; ``cnnkit.cli.main``
prints it as one line, ``cnnkit <command>: <message>``, on standard error and exits with its
code. Never a traceback for a user's mistake.
"""

from __future__ import annotations

#: Exit statuses of every ``cnnkit`` command (docs/instructor-guide.md lists them).
OK = 0
FAILED = 1  # the command ran and found a problem it reports (e.g. ``cnnkit stubs --check``: stale stubs)
USAGE = 2  # the user asked for something that cannot be done as asked
FAULT = 3  # the kit itself failed (no grade was written)


class CommandError(Exception):
    """A failure to report as one line, with the exit status the command should end with."""

    def __init__(self, message: str, exit_code: int = USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
