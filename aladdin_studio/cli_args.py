"""Command-line argument hygiene shared by every ``aladdin-studio`` command.

* :func:`number`: an argparse type for a bounded, finite number (``--at 1e300``, ``nan`` or
  ``-5`` are refused up front instead of making a render run forever);
* :class:`OneLineParser`: argparse errors as one line on stderr, exit 2, like every other
  user error of the CLI (no usage block);
* :func:`route_path_to_open`: ``aladdin-studio PROJECT`` (how file managers and other
  editors start one with a file) means ``aladdin-studio open PROJECT``.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

__all__ = ["OneLineParser", "command_names", "number", "route_path_to_open",
           "stdio_never_fails_on_names"]


def number(lo: float, hi: float, *, integer: bool = False,
           unit: str = "") -> Callable[[str], float | int]:
    """An argparse ``type`` accepting finite numbers in ``[lo, hi]`` (integers if asked)."""
    what = "a whole number" if integer else "a number"
    suffix = f" {unit}" if unit else ""

    def parse(text: str) -> float | int:
        try:
            value: float | int = int(text) if integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not math.isfinite(value) or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(
                f"{text} is out of range: give {what} from {lo:g} to {hi:g}{suffix}")
        return value

    parse.__name__ = "integer" if integer else "number"  # argparse names the type in errors
    return parse


class OneLineParser(argparse.ArgumentParser):
    """argparse with the CLI's error convention: one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} "
                     f"(see {self.prog.split()[0]} --help)\n")


def command_names(parser: argparse.ArgumentParser) -> set[str]:
    """The sub-command names of ``parser`` (argparse keeps them on its sub-parsers action)."""
    return {name for action in parser._actions
            if isinstance(action, argparse._SubParsersAction) for name in action.choices}


def route_path_to_open(argv: list[str], commands: set[str]) -> list[str]:
    """``[PROJECT, ...]`` → ``["open", PROJECT, ...]`` when the first argument is not a
    command but names a project (a .aladdin folder or .otio file, existing or not)."""
    if not argv or argv[0].startswith("-") or argv[0] in commands:
        return argv
    first = Path(argv[0])
    if first.suffix in (".aladdin", ".otio") or (first / "project.otio").is_file():
        return ["open", *argv]
    return argv


def stdio_never_fails_on_names() -> None:
    """File names may hold bytes that are not UTF-8 (kept as surrogates by Python): print
    them escaped rather than failing with UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass
