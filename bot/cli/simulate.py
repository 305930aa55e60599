"""`iln-bot simulate`: a whole round offline, printed as a dated timeline and a summary.

See :mod:`bot.simulation` for the event kinds. With ``--json`` stdout carries only JSON
lines (one event each, the summary last); problems go to stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import date
from pathlib import Path

from bot.cli.inputs import InputProblem, read_input, report
from bot.config import Config
from bot.content import default_data_dir
from bot.simulation.recorder import TimelineEvent
from bot.simulation.runner import (
    DEFAULT_START,
    SimulationInput,
    SimulationInputError,
    SimulationResult,
    simulate,
)

EXIT_OK = 0
SAMPLE_DIR = default_data_dir() / "sample"
NAME_WIDTH = 24
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
    parser.add_argument("--json", action="store_true", help="print one JSON object per line")
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
    began = time.perf_counter()
    try:
        given = _input(args)
        result = asyncio.run(simulate(given))
    except (SimulationInputError, InputProblem) as problem:
        return report(problem.lines)
    seconds = time.perf_counter() - began
    lines = _json_lines(result, seconds) if args.json else _human_lines(result, seconds)
    print("\n".join(lines))
    return EXIT_OK


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


# Output ---------------------------------------------------------------------------------------


def _json_lines(result: SimulationResult, seconds: float) -> list[str]:
    lines = [
        json.dumps(
            {
                "at": event.at.isoformat(),
                "kind": event.kind,
                "partnership": event.partnership,
                "detail": event.detail,
            },
            ensure_ascii=False,
        )
        for event in result.events
    ]
    last = result.events[-1].at.isoformat() if result.events else None
    summary = {
        "at": last,
        "kind": "summary",
        "partnership": None,
        "detail": "; ".join(_summary_lines(result, seconds)),
    }
    return [*lines, json.dumps(summary, ensure_ascii=False)]


def _human_lines(result: SimulationResult, seconds: float) -> list[str]:
    lines = [_human_event(event, result.space_names) for event in result.events]
    return [
        *lines,
        "",
        f"Summary of round {result.round.name}",
        *(f"  {line}" for line in _summary_lines(result, seconds)),
    ]


def _human_event(event: TimelineEvent, names: dict[int, str]) -> str:
    where = names.get(event.partnership, "-") if event.partnership is not None else "-"
    if len(where) > NAME_WIDTH:
        where = where[: NAME_WIDTH - 1] + "…"
    return f"{event.at:%Y-%m-%d %H:%M} UTC  {event.kind:<23} {where:<{NAME_WIDTH}} {event.detail}"


def _summary_lines(result: SimulationResult, seconds: float) -> list[str]:
    summary = result.summary
    share = (
        f"{summary.wishes_satisfied} of {summary.wishes_stated} "
        f"({summary.wishes_satisfied / summary.wishes_stated:.0%})"
        if summary.wishes_stated
        else "none stated"
    )
    lines = [
        f"round {result.round.starts_on} to {result.round.ends_on}: {summary.applicants} "
        f"applicants, {summary.pairs} partnerships, {len(summary.unmatched)} unmatched",
        *(f"unmatched: {name}: {'; '.join(reasons)}" for name, reasons in summary.unmatched),
        f"partner wishes met: {share}; past partners kept apart: {summary.past_pairs}",
        "posts: " + _counts(summary.posts),
        f"nudges: {sum(summary.nudges.values())} ({_counts(summary.nudges) or 'none'})",
        f"coordinator alerts: {sum(summary.alerts.values())} ({_counts(summary.alerts) or 'none'})",
        f"cases: {summary.cases_opened} opened, {summary.cases_reopened} reopened, "
        f"{summary.cases_handled} handled",
        f"unmatched answers: {_counts(summary.unmatched_answers) or 'none'}",
        f"check-in answers: {_counts(summary.checkin_answers) or 'none'}",
        f"partner messages: {summary.partner_messages}",
        f"live discussions: {summary.events_scheduled} scheduled, "
        f"{summary.posts['event_reminder_sent']} reminders to {summary.members_reminded} "
        f"interested members, {summary.posts['event_started']} started, "
        f"{summary.posts['event_ended']} ended",
        f"desks: {summary.desks_shared} shared, {summary.posts['desk_featured']} featured",
        f"spaces closed: {summary.kept_open} kept open, {summary.archived} archived",
        f"wall time: {seconds:.1f} s for {summary.wakeups} wake-ups",
    ]
    return lines


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{kind} {count}" for kind, count in sorted(counter.items()))
