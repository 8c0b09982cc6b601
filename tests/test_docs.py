"""The documentation: README.md and the MkDocs site in docs/ (one guide per reader).

The site builds in strict mode (no broken link, anchor or page left out), every page is in the nav,
README's relative links resolve, README stays short and keeps CI's test command, the points tables
match the spec, every ``CNNKIT_*`` variable and every command and plugin option is on the
configuration page, and every shell command shown in a ```bash block is checked: ``cnnkit ...`` by
the command's own parser (the cheap ones are run), ``pytest ...`` against pytest's options and the
kit's markers and folders, ``mkdocs build`` by the build test. A block that cannot run offline or
cheaply says why on the line before it: ``<!-- not run: reason -->``.
"""

from __future__ import annotations

import functools
import re
import shlex
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

from cnnkit import cli, paths, spec

ROOT = paths.PACKAGE_ROOT  # the checkout under test (README.md, docs/, mkdocs.yml)
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
MARKDOWN = [README, *PAGES]
NOT_RUN = re.compile(r"^<!--\s*not run:\s*(\S.*?)\s*-->$")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
#: Commands run for real: quick, offline, writing nothing.
CHEAP = {("--version",), ("--help",), ("stubs", "--check")}
#: Options of pytest commands that take a value (the value is not a path to check).
VALUE_OPTIONS = {"-m", "-k", "-n", "-p", "--submission", "--cnnkit-report", "--cnnkit-hints", "--timeout-scale",
                 "--cnnkit-deny", "--durations", "--tb"}


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def mkdocs_config() -> dict:
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with mkdocs (the dev extra)")
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text())


def nav_pages(nav) -> list[str]:
    """Every page a (nested) MkDocs nav names."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in nav_pages(value)]
    return [page for item in nav for page in nav_pages(item)]


def slug(heading: str) -> str:
    """Python-Markdown's toc slug of a heading (what MkDocs' anchors are)."""
    text = re.sub(r"<[^>]+>|`", "", heading)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(page: Path) -> set[str]:
    headings = [line.lstrip("#").strip() for line in outside_fences(page.read_text()) if re.match(r"#{1,6} ", line)]
    return {slug(heading) for heading in headings}


def outside_fences(text: str) -> list[str]:
    """The lines of a markdown text outside its fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


# -- (a) the site builds, strictly; (b) every page is in the nav ---------------------------------------------------
def test_the_site_builds_in_strict_mode(tmp_path: Path):
    pytest.importorskip("mkdocs", reason="mkdocs is in the dev extra: pip install -e '.[dev]'")
    assert mkdocs_config().get("strict") is True, "mkdocs.yml must set strict: true"
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                           str(ROOT / "mkdocs.yml"), "--site-dir", str(site)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "WARNING" not in done.stderr, done.stderr[-3000:]
    for page in PAGES:
        built = site / page.relative_to(DOCS).with_suffix("") / "index.html"
        if page.name == "index.md":
            built = site / page.relative_to(DOCS).parent / "index.html"
        assert built.is_file(), f"{rel(page)} was not built"
    exercises_page = (site / "exercises" / "index.html").read_text()  # README's table, inserted by the hook
    assert all(f"<code>{exercise.module}</code>" in exercises_page for exercise in spec.EXERCISES)
    assert f"<strong>{spec.TOTAL_POINTS:g}</strong>" in exercises_page


def test_every_page_is_in_the_nav_and_every_nav_entry_exists():
    config = mkdocs_config()
    assert config.get("docs_dir", "docs") == "docs" and config["theme"]["name"] == "mkdocs"
    nav = nav_pages(config["nav"])
    assert len(nav) == len(set(nav)), nav
    on_disk = {page.relative_to(DOCS).as_posix() for page in PAGES}
    assert set(nav) == on_disk, f"not in the nav: {sorted(on_disk - set(nav))}; missing: {sorted(set(nav) - on_disk)}"
    for page in ("index.md", "student-guide.md", "instructor-guide.md", "security-model.md", "exercises.md",
                 "mnist-comparison.md", "new-exercise.md", "configuration.md"):
        assert page in nav, page


# -- (c) README's relative links ----------------------------------------------------------------------------------
def test_every_relative_link_in_readme_resolves():
    links = [target for line in outside_fences(README.read_text()) for target in LINK.findall(line)]
    assert any(link.startswith("docs/") for link in links), "README links to no guide in docs/"
    for link in links:
        if re.match(r"[a-z]+:", link):  # https:, mailto:
            continue
        target, _, anchor = link.partition("#")
        path = (README.parent / target).resolve() if target else README
        assert path.exists(), f"README links to {link}: no such file"
        if anchor and path.suffix == ".md":
            assert anchor in anchors(path), f"README links to {link}: {rel(path)} has no heading #{anchor}"


# -- (d) README is short and keeps CI's test command --------------------------------------------------------------
def test_readme_is_short_and_has_the_test_command():
    text = README.read_text()
    assert len(text.splitlines()) < 200, f"README.md has {len(text.splitlines())} lines: move detail into docs/"
    section = text.split("\n## Test command\n", 1)
    assert len(section) == 2, "README needs its '## Test command' section (CI runs the command in it)"
    block = re.search(r"```bash\n(.*?)```", section[1].split("\n## ", 1)[0], re.S)
    assert block and block.group(1).strip() == "python -m pytest -n 2", "the test command: python -m pytest -n 2"


def test_readme_links_each_readers_guide():
    text = README.read_text()
    for guide in ("docs/student-guide.md", "docs/instructor-guide.md", "docs/new-exercise.md"):
        assert f"]({guide})" in text, guide


def test_the_points_table_matches_the_spec():
    """README's table is the one table of exercises and points (docs/exercises.md points at it)."""
    text = README.read_text()
    for exercise in spec.EXERCISES:
        row = next((line for line in text.splitlines() if line.startswith(f"| `{exercise.module}` |")), None)
        assert row is not None, exercise.module
        assert row.rstrip(" |").rsplit("|", 1)[-1].strip() == f"{exercise.points:g}", row
    assert f"| | **total** | **{spec.TOTAL_POINTS:g}** |" in text


# -- (e) every shell command shown is checked, or says why not ----------------------------------------------------
@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    text: str
    not_run: str | None  # the reason given in <!-- not run: ... -->

    def __str__(self) -> str:
        return f"{rel(self.page)}:{self.line}"


def bash_blocks(page: Path) -> list[Block]:
    lines = page.read_text().splitlines()
    blocks, start = [], None
    for number, line in enumerate(lines):
        if start is None and line.strip() in ("```bash", "```sh", "```shell", "```console"):
            start = number
        elif start is not None and line.strip() == "```":
            before = lines[start - 1].strip() if start else ""
            marked = NOT_RUN.match(before)
            blocks.append(Block(page, start + 1, "\n".join(lines[start + 1:number]), marked and marked.group(1)))
            start = None
    return blocks


def commands(block: str) -> list[list[str]]:
    """The block's commands as argument lists: continuations joined, comments dropped, split at && ; |."""
    joined = re.sub(r"\\\n", " ", block)
    found = []
    for line in joined.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        command: list[str] = []
        for word in shlex.split(line, comments=True):
            if word in ("&&", "||", ";", "|"):
                found.append(command)
                command = []
            else:
                command.append(word)
        found.append(command)
    for command in found:  # leading VARIABLE=value assignments are the environment, not the command
        while command and re.fullmatch(r"[A-Z_]+=.*", command[0]):
            command.pop(0)
    return [command for command in found if command]


ALL_BLOCKS = [block for page in MARKDOWN for block in bash_blocks(page)]


@functools.lru_cache(maxsize=None)
def pytest_options() -> frozenset[str]:
    """Every option ``pytest graders`` accepts (pytest's, its plugins', the kit's)."""
    done = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "graders"), "--help", "-p", "no:cacheprovider"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return frozenset(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", done.stdout))


def markers() -> set[str]:
    return {e.module for e in spec.EXERCISES} | {"public", "hidden", "points", "slow"}


def check_cnnkit(argv: list[str]) -> None:
    """The command's parser accepts ``argv``; the cheap ones are run."""
    if tuple(argv) in CHEAP or argv[-1:] == ["--help"]:
        done = subprocess.run([sys.executable, "-m", "cnnkit", *argv], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, (argv, done.stdout[-1000:] + done.stderr[-1000:])
        assert done.stdout.strip() or argv == ["stubs", "--check"], argv  # --help, --version: say something
        return
    parser = cli.build_parser(cli._command_of(argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as refused:
        pytest.fail(f"cnnkit {shlex.join(argv)}: the parser refuses it (exit {refused.code})")
    assert getattr(args, "run", None), f"cnnkit {shlex.join(argv)}: names no command"


def check_pytest(argv: list[str]) -> None:
    """pytest's options exist, ``-m`` names the kit's markers, the paths exist."""
    known = pytest_options()
    expect_value, previous = False, ""
    for word in argv:
        if expect_value:
            expect_value = False
            if previous == "-m":
                names = set(re.findall(r"[A-Za-z_]\w*", word)) - {"and", "or", "not"}
                assert names <= markers(), f"-m {word}: no marker {sorted(names - markers())}"
            elif previous == "--submission":
                assert (ROOT / word).is_dir(), f"--submission {word}: no such folder"
        elif word.startswith("-"):
            option, has_value, _ = word.partition("=")
            assert option in known, f"pytest has no option {option}"
            expect_value = option in VALUE_OPTIONS and not has_value
        else:
            assert (ROOT / word).exists(), f"pytest {word}: no such path"
        previous = word


def check(argv: list[str]) -> None:
    if argv[0] == "cnnkit":
        check_cnnkit(argv[1:])
    elif argv[0] == "pytest":
        check_pytest(argv[1:])
    elif argv[:3] == ["python", "-m", "pytest"]:
        check_pytest(argv[3:])
    elif argv[:2] == ["mkdocs", "build"]:
        assert set(argv[2:]) <= {"--strict"}, argv  # what test_the_site_builds_in_strict_mode runs
    else:
        pytest.fail(f"{shlex.join(argv)}: not a command this test can check; if it cannot run offline and cheaply, "
                    "say why on the line before its block: <!-- not run: reason -->")


def test_there_are_blocks_of_each_kind():
    assert any(b.not_run for b in ALL_BLOCKS) and any(not b.not_run for b in ALL_BLOCKS)
    assert any(argv[:1] == ["cnnkit"] for b in ALL_BLOCKS if not b.not_run for argv in commands(b.text))


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=str)
def test_every_shell_block_is_checked_or_says_why_not(block: Block):
    if block.not_run:
        return
    found = commands(block.text)
    assert found, f"{block}: an empty block"
    for argv in found:
        check(argv)


def test_the_block_checker_refuses_what_it_should():
    with pytest.raises(pytest.fail.Exception):
        check(["cnnkit", "grade", "--format", "pdf"])
    with pytest.raises(pytest.fail.Exception):
        check(["rm", "-rf", "build"])
    with pytest.raises(AssertionError):
        check(["python", "-m", "pytest", "graders", "-m", "ex0_nothing"])
    assert commands("A=1 cnnkit grade x \\\n  --jobs 2   # comment\ncd a && cnnkit stubs") == [
        ["cnnkit", "grade", "x", "--jobs", "2"], ["cd", "a"], ["cnnkit", "stubs"]]


# -- (f) configuration.md: every variable and option --------------------------------------------------------------
def test_every_cnnkit_variable_is_documented():
    page = (DOCS / "configuration.md").read_text()
    names = {name for source in (ROOT / "cnnkit").rglob("*.py") for name in re.findall(r"CNNKIT_[A-Z_]*[A-Z]",
                                                                                         source.read_text())}
    assert "CNNKIT_DATA" in names and "CNNKIT_LIMITS" in names
    missing = sorted(name for name in names if f"`{name}`" not in page)
    assert not missing, f"docs/configuration.md does not document {missing}"


def test_every_option_is_documented():
    page = (DOCS / "configuration.md").read_text()
    options = set(re.findall(r'addoption\(\s*"(--[\w-]+)"', (ROOT / "cnnkit/grading/plugin.py").read_text()))
    assert "--cnnkit-hints" in options
    for command in cli.COMMANDS:
        sub = cli.build_parser(command)._subparsers._group_actions[0].choices[command]
        options |= {o for action in sub._actions for o in action.option_strings if o.startswith("--") and o != "--help"}
    missing = sorted(option for option in options if not re.search(rf"(?<![\w-]){option}(?![\w-])", page))
    assert not missing, f"docs/configuration.md does not document {missing}"
    for command in cli.COMMANDS:
        assert f"cnnkit {command}" in page, command
