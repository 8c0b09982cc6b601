"""Where in the student's own files an exception happened: what a student needs to fix it.

Runs in the worker, which has the student's files (its private copy of the submission); the
trusted side only ever receives the text built here. Frames of the kit, of torch and of Python
itself are left out: a student acts on their own file and line, not on ours.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass

#: Frames of the student's own code listed in the call chain (the deepest ones).
MAX_CHAIN = 6


@dataclass(frozen=True)
class Location:
    """The student's line an error points at, and the chain of their calls that led there."""

    file: str  # the module's file name, e.g. "ex2_conv2d.py"
    line: int
    function: str
    source: str  # that line of their code, stripped
    chain: tuple[tuple[str, int], ...] = ()  # (function, line) of their outer frames, outermost first
    inside: str = ""  # the library the error was raised in, when their line called into one ("torch")

    @property
    def key(self) -> str:
        """``ex2_conv2d.py:99``: the same mistake reached from several checks has the same key."""
        return f"{self.file}:{self.line}"

    def describe(self) -> str:
        """The lines the feedback shows under the message."""
        what = f"your line that called into {self.inside} (the error was raised inside it)" if self.inside \
            else "where (your code)"
        lines = [f"{what}: {self.file}, line {self.line}, in {self.function}"]
        if self.source:
            lines.append(f"    {self.source}")
        if self.chain:
            calls = " -> ".join(f"{function} (line {line})" for function, line in self.chain)
            lines.append(f"  called from: {calls} -> {self.function}")
        return "\n".join(lines)


def _inside(path: str, folder: str) -> bool:
    return bool(folder) and os.path.abspath(path).startswith(os.path.abspath(folder) + os.sep)


def student_location(exc: BaseException, submission_dir: str) -> Location | None:
    """The deepest frame of ``exc``'s traceback in a file of ``submission_dir`` (None: no such frame).

    A ``SyntaxError`` points at its own file and line, which no frame holds.
    """
    if isinstance(exc, SyntaxError) and exc.filename and _inside(exc.filename, submission_dir):
        return Location(os.path.basename(exc.filename), int(exc.lineno or 0), "<module>", (exc.text or "").strip())
    frames = traceback.extract_tb(exc.__traceback__)
    own = [index for index, frame in enumerate(frames) if _inside(frame.filename, submission_dir)]
    if not own:
        return None
    deepest = frames[own[-1]]
    chain = tuple((frames[i].name, int(frames[i].lineno or 0)) for i in own[:-1])[-MAX_CHAIN:]
    return Location(
        file=os.path.basename(deepest.filename),
        line=int(deepest.lineno or 0),
        function=deepest.name,
        source=(deepest.line or "").strip()[:200],
        chain=chain,
        inside=_library(frames[-1].filename) if own[-1] != len(frames) - 1 else "",
    )


def _library(path: str) -> str:
    """``.../site-packages/torch/nn/functional.py`` -> ``torch``; Python's own modules -> ``Python's library``."""
    parts = os.path.normpath(path).split(os.sep)
    for marker in ("site-packages", "dist-packages"):
        if marker in parts and parts.index(marker) + 1 < len(parts):
            return parts[parts.index(marker) + 1].removesuffix(".py")
    return "Python's library"
