"""`iln-bot report`: a round's charts and CSV exports written to a folder, offline."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from bot.cli.inputs import InputProblem, read_only_store, report
from bot.config import Config
from bot.services.reports import write_report

EXIT_OK = 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `report` sub-command to the bot's command-line parser."""
    parser = subparsers.add_parser(
        "report",
        help="write a round's charts (PNG) and CSV exports to a folder",
        description=(
            "Write a round's charts and CSV exports from a database file, offline. The file "
            "is opened read-only: never migrated or changed, so a copy of a live bot's "
            "database (iln-bot db backup) or a simulation's (iln-bot simulate --db) will do."
        ),
    )
    parser.add_argument("--db", required=True, type=Path, metavar="FILE", help="database file")
    parser.add_argument("--round", required=True, metavar="NAME", help="the round, e.g. 2027A")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    parser.add_argument(
        "--as-of",
        type=_day,
        metavar="YYYY-MM-DD",
        help="describe a running round as at the end of this day (default: now)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="a config.toml whose nudge settings (quiet days) to use",
    )
    parser.set_defaults(handler=run_report, log_level="WARNING")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2027-03-01: {text!r}") from None


def run_report(args: argparse.Namespace) -> int:
    """Handler of `iln-bot report`; returns the exit status."""
    try:
        config = _config(args.config)
        now = datetime.now(UTC)  # the CLI is the edge where reading the clock is fine
        if args.as_of is not None:
            now = datetime.combine(args.as_of + timedelta(days=1), time(0), tzinfo=UTC)
        written = asyncio.run(write_round(args.db, args.round, args.out, now, config))
    except InputProblem as problem:
        return report(problem.lines)
    for path in written:
        print(path)
    return EXIT_OK


async def write_round(
    path: Path, round_name: str, out_dir: Path, now: datetime, config: Config | None
) -> list[Path]:
    """The report of the round called ``round_name`` in the database file at ``path``,
    written to ``out_dir``: what `iln-bot report` and `iln-bot simulate --report` write.
    Raises :class:`InputProblem` for a file, round or folder to fix."""
    store = await read_only_store(path)
    try:
        round_ = await store.rounds.by_name(round_name)
        if round_ is None:
            names = ", ".join(r.name for r in await store.rounds.all()) or "none"
            raise InputProblem(
                [f"error: no round called {round_name!r} in {path} (rounds: {names})"]
            )
        try:
            return await write_report(store, round_.id, out_dir, now=now, config=config)
        except OSError as error:
            raise InputProblem([f"error: cannot write the report to {out_dir}: {error}"]) from None
    finally:
        await store.close()


def _config(path: Path | None) -> Config | None:
    if path is None:
        return None
    from bot.cli.main import load_or_report  # main imports this module: import late

    config = load_or_report(path)
    if config is None:
        raise InputProblem([f"error: {path}: see the problems above"])
    return config
