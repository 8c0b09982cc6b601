"""What a student uploaded, wherever they put it: the exercise modules of one submission.

Gradescope hands the autograder whatever the student uploaded: the files at the top, the files in a
folder (a zip's top folder, once Gradescope has unpacked it), or the course's notebooks. Every
route is one submission: ``gather`` finds each exercise's ``exN_name.py`` at any depth, or its code
cell (``# %% exN_name.py``) in any notebook, the way nbgrader's autograde step extracts it, and
says what it took from where; when nothing gradable is there, what was expected and what was found.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from cnnkit import spec

#: Folders an upload may hold that are never the student's work (macOS archives, editors, caches).
IGNORED_FOLDERS = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git", "node_modules"}
MAX_FILES = 2_000  # an upload with more files is not searched further
MAX_NOTEBOOK_BYTES = 20 << 20


@dataclass
class Upload:
    """The exercise modules found in an upload: ``sources[module]`` is its code."""

    sources: dict[str, str] = field(default_factory=dict)
    taken_from: dict[str, str] = field(default_factory=dict)  # module -> where in the upload (relative)
    notes: list[str] = field(default_factory=list)  # what the student should know (duplicates, skipped files)
    seen: list[str] = field(default_factory=list)  # every file looked at (relative), for "what was found"

    def nothing_gradable(self) -> str:
        """Why there is nothing to grade, for the student: what was expected, what was found."""
        expected = ", ".join(f"{e.module}.py" for e in spec.EXERCISES[:3])
        found = ", ".join(self.seen[:20]) + (f", ... ({len(self.seen)} files)" if len(self.seen) > 20 else "")
        return (f"Nothing to grade: the upload holds no exercise file ({expected}, ...: the files from exercises/, "
                f"under their own names, at the top or in one folder) and no course notebook with a "
                f"'# %% exN_name.py' code cell. Found: {found or 'no files at all'}.")


def _files(folder: Path) -> list[Path]:
    """The upload's regular files, shallowest first, hidden and ignored folders left out (links never followed)."""
    found: list[Path] = []
    pending = [folder]
    while pending and len(found) < MAX_FILES:
        current = pending.pop(0)
        try:
            entries = sorted(current.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.is_symlink():
                continue
            if entry.is_dir():
                if entry.name not in IGNORED_FOLDERS:
                    pending.append(entry)
            elif entry.is_file():
                found.append(entry)
    return found


def _notebook_cells(path: Path) -> list[str]:
    """The code cells of a notebook file (none when it is not one, or too large)."""
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        return []
    try:
        notebook = json.loads(path.read_text(errors="replace"))
        cells = notebook.get("cells", []) if isinstance(notebook, dict) else []
        return ["".join(c["source"]) if isinstance(c.get("source"), list) else str(c.get("source", ""))
                for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    except (ValueError, TypeError, KeyError):
        return []


def gather(folder: Path) -> Upload:
    """Every exercise module of the upload in ``folder``: a ``.py`` file named after it wins over a notebook
    cell, the shallowest file over deeper ones (the others are noted)."""
    from cnnkit.course.notebook import module_sources

    upload = Upload()
    files = _files(folder)
    upload.seen = [str(path.relative_to(folder)) for path in files]
    for path in files:
        module = path.stem
        if path.suffix != ".py" or module not in spec.BY_MODULE:
            continue
        where = str(path.relative_to(folder))
        if module in upload.sources:
            upload.notes.append(f"{where} ignored: {upload.taken_from[module]} was graded for {module}")
            continue
        upload.sources[module] = path.read_text(errors="replace")
        upload.taken_from[module] = where
    for path in (p for p in files if p.suffix == ".ipynb"):
        missing = [e.module for e in spec.EXERCISES if e.module not in upload.sources]
        for module, source in module_sources(_notebook_cells(path), missing).items():
            upload.sources[module] = source
            upload.taken_from[module] = f"{path.relative_to(folder)} (its {module} code cell)"
    return upload


def stage(upload: Upload, target: Path) -> Path:
    """Write the upload's modules into ``target`` as a submission folder (``<module>.py`` each)."""
    target.mkdir(parents=True, exist_ok=True)
    for module, source in upload.sources.items():
        (target / f"{module}.py").write_text(source)
    return target
