"""`iln-bot simulate`: a whole round offline, shown as a timeline by moment and a summary.

See :mod:`bot.simulation` for the event kinds and :mod:`bot.simulation.display` for how they
are shown. With ``--json`` stdout carries only JSON lines (one event each, whole, and the
summary's object last); problems go to stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path

from bot.cli.inputs import InputProblem, read_input, report
from bot.cli.report import write_round
from bot.config import Config
from bot.content import default_data_dir
from bot.domain.zones import zone as zone_named
from bot.simulation.display import (
    Screen,
    json_lines,
    progress_bar,
    report_lines,
    summary_tables,
    timeline,
)
from bot.simulation.moments import moments
from bot.simulation.runner import (
    DEFAULT_START,
    SimulationInput,
    SimulationInputError,
    SimulationResult,
    simulate,
)

EXIT_OK = 0
SAMPLE_DIR = default_data_dir() / "sample"
DEFAULT_DISCORD = {"guild_id": 1, "coordinator_role": "ILN Coordinators"}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `simulate` sub-command to the bot's command-line parser."""
    parser = subparsers.add_parser(
        "simulate",
        help="run a whole round offline, without Discord",
        description=(
            "Simulate a whole round on a virtual clock through the real services and a real "
            "SQLite file, with scripted partners, and print what the bot would do."
        ),
    )
    parser.add_argument(
        "--applicants",
        type=Path,
        default=SAMPLE_DIR / "applicants.csv",
        metavar="FILE",
        help="applications CSV (default: the 40 fictional sample applicants)",
    )
    parser.add_argument(
        "--history",
        type=Path,
        metavar="FILE",
        help="past partnerships CSV: round,member_a,member_b (default: the sample history "
        "when the sample applicants are used)",
    )
    parser.add_argument(
        "--start",
        type=_start_date,
        default=DEFAULT_START,
        metavar="YYYY-MM-DD",
        help=f"the round's first day (default {DEFAULT_START})",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="a config.toml whose round, nudge and matching settings to use",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per line: every event whole, then the summary",
    )
    parser.add_argument("--detail", action="store_true", help="list every post beneath its moment")
    parser.add_argument(
        "--report",
        type=Path,
        metavar="DIR",
        help="also write the round's charts (PNG) and CSV exports to DIR, as iln-bot report does",
    )
    parser.add_argument(
        "--db", type=Path, metavar="PATH", help="keep the database in this new file"
    )
    parser.add_argument("--seed", type=int, default=1, help="the partners' script (default 1)")
    parser.set_defaults(handler=run_simulate, log_level="WARNING")


def _start_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2027-03-01: {text!r}") from None


def run_simulate(args: argparse.Namespace) -> int:
    """Handler of `iln-bot simulate`; returns the exit status."""
    screen = Screen()
    try:
        given = _input(args)
        zone = zone_named(given.config.program.timezone)
        with _database(args) as db_path, progress_bar(screen, zone, not args.json) as bar:
            began = time.perf_counter()
            result = asyncio.run(
                simulate(replace(given, db_path=db_path), bar.advance if bar else None)
            )
            seconds = time.perf_counter() - began
            written: list[Path] = []
            if args.report is not None:
                if bar is not None:
                    bar.stage("Drawing the report's charts")
                written = _write_report(db_path, result, args.report, given.config)
    except (SimulationInputError, InputProblem) as problem:
        return report(problem.lines)
    zone_name = given.config.program.timezone
    if args.json:
        print("\n".join(json_lines(result, seconds, zone_name, written)))
        return EXIT_OK
    terminal = screen.terminal
    spaces = result.space_names
    screen.show(
        timeline(
            f"Round {result.round.name}, times in {zone_name} (program.timezone)",
            moments(result.events, spaces),
            spaces,
            zone,
            detail=args.detail,
            terminal=terminal,
        ),
        *summary_tables(result.summary, result.round, seconds, terminal=terminal),
    )
    if written:
        screen.show(report_lines(written))
    return EXIT_OK


@contextmanager
def _database(args: argparse.Namespace) -> Iterator[Path | None]:
    """The simulation's database file: --db's, or for --report one in a folder of its own
    for the run (the report reads the file once the round is over)."""
    if args.db is not None or args.report is None:
        yield args.db
        return
    with tempfile.TemporaryDirectory(prefix="iln-simulate-") as folder:
        yield Path(folder) / "simulation.sqlite3"


def _write_report(
    db_path: Path | None, result: SimulationResult, out_dir: Path, config: Config
) -> list[Path]:
    """The same charts and CSVs as `iln-bot report` would write from the simulation's file."""
    assert db_path is not None, "--report keeps the database in a file"
    now = result.events[-1].at  # the virtual clock when the round was done
    return asyncio.run(write_round(db_path, result.round.name, out_dir, now, config))


def _input(args: argparse.Namespace) -> SimulationInput:
    config = _config(args.config)
    history = args.history
    if history is None and args.applicants == SAMPLE_DIR / "applicants.csv":
        history = SAMPLE_DIR / "history.csv"
    return SimulationInput(
        applicants_csv=read_input(args.applicants, "applicants"),
        history_csv=None if history is None else read_input(history, "history"),
        start=args.start,
        seed=args.seed,
        config=config,
        db_path=args.db,
    )


def _config(path: Path | None) -> Config:
    if path is None:
        # A dict on purpose: pydantic validates it, and ILN_DISCORD__* variables merge into it
        # (a DiscordSettings instance would be replaced wholesale by any such variable).
        return Config(discord=DEFAULT_DISCORD)  # type: ignore[arg-type]
    from bot.cli.main import load_or_report  # main imports this module: import late

    config = load_or_report(path)
    if config is None:
        raise SimulationInputError([f"{path}: see the problems above"])
    return config
