"""``iln-bot applicants import FILE``: load a form export into the current round."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.cli.inputs import InputProblem, read_input, report
from bot.cli.offline import offline_program
from bot.config import Config
from bot.services.errors import UserFacingError
from bot.services.matching import CsvRejected, ImportReport
from bot.store.effects import NO_ACTOR


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
        text = read_input(args.file, "applicants")
    except InputProblem as problem:
        return report(problem.lines)
    try:
        counts = asyncio.run(_import_text(config, text))
    except CsvRejected as error:
        return report([f"{args.file}: nothing was imported.", *(f"  {p}" for p in error.problems)])
    except UserFacingError as error:
        return report([str(error).replace("**", "")])
    print(f"{args.file}: {counts.added} added, {counts.updated} updated.")
    return 0


async def _import_text(config: Config, text: str) -> ImportReport:
    async with offline_program(config) as program:
        return await program.matching.import_csv(text, NO_ACTOR)
