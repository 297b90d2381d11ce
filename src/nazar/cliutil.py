"""Pieces every ``nazar`` subcommand shares: exit codes, option types, progress bars.

Subcommand modules (``nazar.<stage>.commands``) import only this and the standard library at
module level, so ``nazar --help`` stays fast; heavy imports happen inside the command.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from nazar.records import FORMATS, MAX_TEXT_CHARS, InputError

EXIT_OK, EXIT_RECORD_ERRORS, EXIT_USAGE = 0, 1, 2


def progress(iterable: Any, desc: str, unit: str = "text", total: int | None = None) -> Any:
    """A progress bar on a terminal; nothing when stderr is a pipe or a file."""
    return tqdm(iterable, desc=desc, unit=unit, total=total, disable=not sys.stderr.isatty())


def existing_file(name: str | Path, what: str = "file") -> Path:
    """``name`` as a path, or an ``InputError`` (exit status 2) when it is not a file."""
    path = Path(name)
    if not path.is_file():
        raise InputError(f"no such {what}: {path}")
    return path


def threshold(value: str) -> float:
    try:
        t = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0.0 <= t <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return t


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def add_input_options(p: argparse.ArgumentParser) -> None:
    """The options every command that reads records takes (see ``nazar.records``)."""
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="files to read ('-' or none: stdin)")
    p.add_argument("--format", choices=FORMATS, default="auto", help="input format (default: auto)")
    p.add_argument("--text-field", help="field holding the text (default: text/content/message)")
    p.add_argument("--id-field", help="field holding the record id (default: id)")
    p.add_argument(
        "--max-chars",
        type=positive_int,
        default=MAX_TEXT_CHARS,
        help=f"truncate longer texts, with a warning (default: {MAX_TEXT_CHARS:,})",
    )
