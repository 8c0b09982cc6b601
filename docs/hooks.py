"""MkDocs hook: the Exercises page shows README's table of exercises and points (the one copy of it).

The page holds the marker ``<!-- README: points table -->``; the build replaces it with the table's lines
from README.md (from its header row to the total row), so the site and the README cannot disagree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

MARKER = "<!-- README: points table -->"
HEADER = "| exercise | what the student writes | points |"
TOTAL = "| | **total** |"


def points_table(readme: Path) -> str:
    """README's points table, header to total row."""
    lines = readme.read_text().splitlines()
    start = lines.index(HEADER)
    end = next(i for i in range(start, len(lines)) if lines[i].startswith(TOTAL))
    return "\n".join(lines[start:end + 1])


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if MARKER not in markdown:
        return markdown
    readme = Path(config["config_file_path"]).parent / "README.md"
    return markdown.replace(MARKER, points_table(readme))
