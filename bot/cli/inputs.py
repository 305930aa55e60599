"""Input files named on the command line, and how their problems are reported."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.store import Store
from bot.store.reports import DatabaseNotReady, open_read_only

EXIT_BAD_INPUT = 2


class InputProblem(Exception):
    """Input the coordinator must fix; its lines are printed as they are."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def read_input(path: Path, what: str) -> str:
    """The text of a file the user named (a UTF-8 byte-order mark is dropped)."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputProblem([f"error: {what} file not found: {path}"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputProblem([f"error: cannot read {what} file {path}: {error}"]) from None


def report(lines: list[str]) -> int:
    """Print a problem's lines for the user; the exit status for bad input."""
    print("\n".join(lines), file=sys.stderr)
    return EXIT_BAD_INPUT


async def read_only_store(path: Path) -> Store:
    """The database at ``path``, opened read-only for an offline command (a backup will
    do); a file that is not a ready database is an :class:`InputProblem`."""
    try:
        return Store(await open_read_only(path))
    except DatabaseNotReady as error:
        raise InputProblem([f"error: {error}"]) from None
