"""``cnnkit``: the kit's command line. Each subcommand lives in its own module."""

from __future__ import annotations

import argparse
import importlib
import sys

from cnnkit.errors import USAGE, CommandError

# name -> (module with add_arguments(parser) and run(args) -> int, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "stubs": ("cnnkit.course.stubgen", "regenerate the student stubs in exercises/ from solutions/"),
    "grade": ("cnnkit.grading.grade", "grade a submission (or a class of them) and write reports"),
    "compare": ("cnnkit.mnist.compare", "train and compare the plain net and the CNNs on MNIST"),
    "course": ("cnnkit.course.build", "write the nbgrader course (notebooks) from the solutions"),
    "release": ("cnnkit.course.release", "write the student release: stubs, public graders, notebooks"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported (others cost seconds: torch, torchvision)."""
    parser = argparse.ArgumentParser(prog="cnnkit", description="CNN exercise kit: grade, compare, build the course.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module = importlib.import_module(module_name)
            module.add_arguments(sub)
            sub.set_defaults(run=module.run)
    return parser


def _command_of(argv: list[str]) -> str | None:
    """The subcommand named in ``argv`` (its first word that is not an option), if any."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    """Run one command; a ``CommandError`` becomes one line on standard error and its exit status."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(_command_of(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return USAGE
    try:
        return int(args.run(args) or 0)
    except CommandError as error:
        print(f"cnnkit {args.command}: {error.message}", file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
