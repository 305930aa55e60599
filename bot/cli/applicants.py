"""``iln-bot applicants import FILE``: load a form export into the current round."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.clock import SystemClock
from bot.config import Config
from bot.content import default_data_dir, load_topics
from bot.services.errors import UserFacingError
from bot.services.matching import CsvRejected, ImportReport, MatchingService
from bot.services.rounds import RoundService
from bot.store import Store

CLI_ACTOR = 0  # the audit log's actor for changes made from the command line


def register(
    subparsers: argparse._SubParsersAction, config_option: argparse.ArgumentParser
) -> None:
    applicants = subparsers.add_parser("applicants", help="manage applications")
    commands = applicants.add_subparsers(
        title="applicants commands", metavar="APPLICANTS_COMMAND", required=True
    )
    importer = commands.add_parser(
        "import", parents=[config_option], help="import a CSV export of the application form"
    )
    importer.add_argument("file", type=Path)
    importer.set_defaults(handler=_import)


def _import(args: argparse.Namespace) -> int:
    from bot.cli.main import load_or_report

    config = load_or_report(args.config)
    if config is None:
        return 2
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except OSError as error:
        print(f"cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    try:
        report = asyncio.run(_import_text(config, text))
    except CsvRejected as error:
        print(f"{args.file}: nothing was imported.", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except UserFacingError as error:
        print(str(error).replace("**", ""), file=sys.stderr)
        return 2
    print(f"{args.file}: {report.added} added, {report.updated} updated.")
    return 0


async def _import_text(config: Config, text: str) -> ImportReport:
    store = await Store.open(config.database.path)
    try:
        clock = SystemClock()
        rounds = RoundService(
            store, clock, config.round, load_topics(default_data_dir() / "topics")
        )
        return await MatchingService(store, clock, rounds, config.matching).import_csv(
            text, CLI_ACTOR
        )
    finally:
        await store.close()
