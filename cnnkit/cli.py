"""``cnnkit``: the kit's command line. Each subcommand lives in its own module."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Mapping
from typing import Any

from cnnkit import config
from cnnkit.errors import USAGE, CommandError

# name -> (module with add_arguments(parser) and run(args) -> int, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "stubs": ("cnnkit.course.stubgen", "regenerate the student stubs in exercises/ from solutions/"),
    "grade": ("cnnkit.grading.grade", "grade a submission (or a class of them) and write reports"),
    "report": ("cnnkit.grading.classreport", "write a class's report page from its grades (or an nbgrader course)"),
    "compare": ("cnnkit.mnist.compare", "train and compare the plain net and the CNNs on MNIST"),
    "course": ("cnnkit.course.build", "write the nbgrader course (notebooks) from the solutions"),
    "release": ("cnnkit.course.release", "write the student release: stubs, public graders, notebooks"),
}


def build_parser(command: str | None = None, settings: Mapping[str, Any] | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported (others cost seconds: torch, torchvision). ``settings``
    (``cnnkit.config.read_config``) replace its options' built-in defaults; the command line still wins."""
    from cnnkit import __version__

    parser = argparse.ArgumentParser(prog="cnnkit", description="CNN exercise kit: grade, compare, build the course.",
                                     epilog=f"Option defaults: {config.TABLE} of the nearest pyproject.toml "
                                     f"({', '.join(config.SETTINGS)}); the command line wins.")
    parser.add_argument("--version", action="version", version=f"cnnkit {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module = importlib.import_module(module_name)
            module.add_arguments(sub)
            sub.set_defaults(run=module.run, **config.defaults_for(name, settings or {}))
    return parser


def _command_of(argv: list[str]) -> str | None:
    """The subcommand named in ``argv`` (its first word that is not an option), if any."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    """Run one command with the settings of ``[tool.cnnkit]`` (``cnnkit.config``); a ``CommandError`` becomes
    one line on standard error and its exit status."""
    argv = sys.argv[1:] if argv is None else argv
    command = _command_of(argv)
    try:
        settings = config.read_config() if command in COMMANDS else {}
    except CommandError as error:
        return _report(command, error)
    parser = build_parser(command, settings)
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return USAGE
    config.export_variables(settings)
    try:
        return int(args.run(args) or 0)
    except CommandError as error:
        return _report(args.command, error)


def _report(command: str | None, error: CommandError) -> int:
    """``error`` as one line on standard error; its exit status."""
    print(f"cnnkit {command}: {error.message}", file=sys.stderr)
    return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
