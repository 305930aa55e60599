"""``iln-bot privacy export|delete DISCORD_ID`` and ``iln-bot db purge``: a person's data
and the retention periods, from the command line (for a request that came by e-mail)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.cli.inputs import InputProblem, read_only_store, report
from bot.cli.offline import offline_program
from bot.config import Config
from bot.domain.privacy import PrivacyRules
from bot.posts._text import plural
from bot.services.errors import UserFacingError
from bot.services.privacy import PersonalData, RetentionPlanner, personal_data
from bot.store import Store
from bot.store.effects import NO_ACTOR


def register(
    subparsers: argparse._SubParsersAction, config_option: argparse.ArgumentParser
) -> None:
    privacy = subparsers.add_parser("privacy", help="a person's data: a copy, or its erasure")
    commands = privacy.add_subparsers(
        title="privacy commands", metavar="PRIVACY_COMMAND", required=True
    )
    export = commands.add_parser(
        "export",
        parents=[config_option],
        help="print, as JSON, everything the bot holds about a person",
        description=(
            "Print everything the bot holds about a person, as JSON (what /privacy export "
            "sends them). With --db the file is opened read-only: a backup will do."
        ),
    )
    export.add_argument("discord_id", type=int, metavar="DISCORD_ID")
    export.add_argument("--db", type=Path, metavar="FILE", help="database file to read")
    export.set_defaults(handler=_export, log_level="WARNING")
    delete = commands.add_parser(
        "delete",
        parents=[config_option],
        help="erase everything the bot holds about a person",
        description=(
            "Erase everything the bot holds about a person (what /privacy delete does): "
            "without --yes, only say what would be erased. Stop the bot first: a running "
            "bot keeps its plans for the partnership in memory until it restarts. Notices "
            "to a partner wait in the outbox until the bot runs again."
        ),
    )
    delete.add_argument("discord_id", type=int, metavar="DISCORD_ID")
    delete.add_argument("--yes", action="store_true", help="erase (otherwise nothing changes)")
    delete.set_defaults(handler=_delete, log_level="WARNING")


def register_purge(
    db_commands: argparse._SubParsersAction, config_option: argparse.ArgumentParser
) -> None:
    purge = db_commands.add_parser(
        "purge",
        parents=[config_option],
        help="delete what is past its [privacy] retention period",
        description=(
            "Delete what the [privacy] settings say is old enough (the bot does it daily), "
            "and print how many rows per table. --dry-run changes nothing."
        ),
    )
    purge.add_argument("--dry-run", action="store_true", help="only count what would go")
    purge.set_defaults(handler=_purge, log_level="WARNING")


def _config(path: Path) -> Config:
    from bot.cli.main import load_or_report  # main imports this module: import late

    config = load_or_report(path)
    if config is None:
        raise InputProblem([f"error: {path}: see the problems above"])
    return config


def _export(args: argparse.Namespace) -> int:
    try:
        if args.db is not None:
            rules = _config(args.config).privacy if args.config.exists() else PrivacyRules()
            path = args.db
        else:
            config = _config(args.config)
            rules, path = config.privacy, config.database.path
        data = asyncio.run(_read(path, rules, args.discord_id))
    except InputProblem as problem:
        return report(problem.lines)
    sys.stdout.write(data.document.decode("utf-8") + "\n")
    print("\n".join(data.summary), file=sys.stderr)
    return 0


async def _read(path: Path, rules: PrivacyRules, member_id: int) -> PersonalData:
    store = await read_only_store(path)
    try:
        return await personal_data(store, rules, member_id, datetime.now(UTC))
    except UserFacingError as error:
        raise InputProblem([f"{member_id}: {error}"]) from None
    finally:
        await store.close()


def _delete(args: argparse.Namespace) -> int:
    try:
        config = _config(args.config)
        lines = asyncio.run(_erase(config, args.discord_id, erase=args.yes))
    except InputProblem as problem:
        return report(problem.lines)
    print("\n".join(lines))
    return 0 if args.yes else 2


async def _erase(config: Config, member_id: int, *, erase: bool) -> list[str]:
    async with offline_program(config) as program:
        try:
            if not erase:
                data = await program.privacy.export(member_id)
                return [
                    f"The bot holds about {member_id}:",
                    *(f"  {line}" for line in data.summary),
                    "Nothing was erased: run again with --yes to erase it.",
                ]
            done = await program.privacy.erase(member_id, "command line", NO_ACTOR)
        except UserFacingError as error:
            raise InputProblem([f"{member_id}: {str(error).replace('**', '')}"]) from None
    rows = ", ".join(f"{table} {count}" for table, count in sorted(done.rows.items()))
    return [
        f"Erased {member_id} (audit reference {done.reference}): {rows}.",
        f"{plural(done.ended, 'live partnership')} ended; the notices go out when the bot runs.",
    ]


def _purge(args: argparse.Namespace) -> int:
    try:
        config = _config(args.config)
    except InputProblem as problem:
        return report(problem.lines)
    counts = asyncio.run(_purged(config, dry_run=args.dry_run))
    width = max(len(table) for table in counts)
    for table, count in counts.items():
        print(f"{table:<{width}}  {count}")
    total = sum(counts.values())
    if args.dry_run:
        print(f"{total} row(s) would go; nothing was deleted (--dry-run).")
    else:
        print(f"{total} row(s) deleted.")
    return 0


async def _purged(config: Config, *, dry_run: bool) -> dict[str, int]:
    store = await Store.open(config.database.path)
    try:
        planner = RetentionPlanner(store, config.privacy)
        return await planner.purge(datetime.now(UTC), dry_run=dry_run)
    finally:
        await store.close()
