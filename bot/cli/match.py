"""`iln-bot match`: propose partners from an applications CSV, offline."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from bot.cli.inputs import InputProblem, read_input, report
from bot.domain.applications import (
    ApplicationsCsvError,
    parse_applications_csv,
    parse_history_csv,
    past_pairs_from,
)
from bot.domain.match_report import result_to_json, summary_lines
from bot.domain.matching import MatchInputError, MatchResult, MatchSettings, match

EXIT_OK = 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `match` sub-command to the bot's command-line parser."""
    parser = subparsers.add_parser(
        "match",
        help="propose partners from an applications CSV",
        description="Propose partner pairs for a round and explain each choice.",
    )
    parser.add_argument(
        "--applicants", required=True, type=Path, metavar="FILE", help="applications CSV"
    )
    parser.add_argument(
        "--history",
        type=Path,
        metavar="FILE",
        help="past partnerships CSV: round,member_a,member_b",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--allow-trios", action="store_true", help="let a leftover person join a pair as a third"
    )
    parser.set_defaults(handler=run_match)


def _csv_problem(path: Path, what: str, error: ApplicationsCsvError) -> InputProblem:
    count = len(error.problems)
    heading = f"error: {what} file {path} has {count} problem{'s' if count != 1 else ''}:"
    return InputProblem([heading, *(f"  {problem}" for problem in error.problems)])


def _run(args: argparse.Namespace) -> tuple[MatchResult, dict[int, str]]:
    try:
        applications = parse_applications_csv(read_input(args.applicants, "applicants"))
    except ApplicationsCsvError as error:
        raise _csv_problem(args.applicants, "applicants", error) from None
    past_pairs: set[frozenset[int]] = set()
    if args.history is not None:
        try:
            past_pairs = past_pairs_from(parse_history_csv(read_input(args.history, "history")))
        except ApplicationsCsvError as error:
            raise _csv_problem(args.history, "history", error) from None
    settings = MatchSettings(allow_trios=args.allow_trios)
    names = {app.discord_id: app.name for app in applications}
    try:
        result = match(
            applications,
            past_pairs=past_pairs,
            forbidden=set(),
            pins=[],
            settings=settings,
            reference_date=date.today(),  # the CLI is the edge where reading the clock is fine
        )
    except MatchInputError as error:
        raise InputProblem([f"error: {problem}" for problem in error.problems]) from None
    return result, names


def _report_lines(result: MatchResult, names: dict[int, str]) -> list[str]:
    def label(discord_id: int) -> str:
        return f"{names.get(discord_id, '?')} ({discord_id})"

    lines = [*summary_lines(result), "(- partners are told; ! for coordinators only)", ""]
    for number, pair in enumerate(result.pairs, start=1):
        members = " + ".join(label(m) for m in pair.members)
        lines.append(f"{number}. {members}  wishes met {pair.wishes_met}, score {pair.score:g}")
        lines += [f"     - {reason}" for reason in pair.reasons]
        lines += [f"     ! {note}" for note in pair.coordinator_notes]
    if result.unmatched:
        lines += ["", "Unmatched:"]
        for person in result.unmatched:
            lines.append(f"  {label(person.discord_id)}: {'; '.join(person.reasons)}")
    return lines


def run_match(args: argparse.Namespace) -> int:
    """Handler of `iln-bot match`; returns the exit status."""
    try:
        result, names = _run(args)
    except InputProblem as problem:
        return report(problem.lines)
    if args.json:
        print(json.dumps(result_to_json(result), indent=2, ensure_ascii=False))
        return EXIT_OK
    print("\n".join(_report_lines(result, names)))
    return EXIT_OK
