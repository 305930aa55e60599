"""``iln-bot``: run the bot, check its configuration, manage the database, plan rounds."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli import applicants as applicants_command
from bot.cli import match as match_command
from bot.cli import privacy as privacy_command
from bot.cli import report as report_command
from bot.cli import simulate as simulate_command
from bot.config import TOKEN_ENV, Config, ConfigError, load_config, read_token

DEFAULT_CONFIG = Path(os.environ.get("ILN_CONFIG", "config.toml"))

TOKEN_HELP = f"""\
No Discord bot token found.

To get one: open https://discord.com/developers/applications, create an application
(or pick yours), open "Bot" and press "Reset Token", then copy the token.
To give it to the bot, either
  export {TOKEN_ENV}='the token'          (recommended; never commit it)
or write it alone in a file and name that file in the config:
  [discord]
  token_file = "secrets/discord-token"

No token at hand? `iln-bot simulate` runs a whole round offline."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    logging.basicConfig(
        level=getattr(args, "log_level", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.handler(args))
    except BrokenPipeError:
        # ``iln-bot simulate | head``: the reader has what it wanted. Python would report
        # the pipe again when it flushes stdout at exit, so stdout points nowhere first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


class _NoVoiceWarnings(logging.Filter):
    """discord.py warns at start-up that voice needs PyNaCl and davey; the bot never joins
    a voice channel, so the warning only worries whoever reads the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iln-bot", description="The International Librarians Network partnership bot."
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = commands.add_parser("run", help="connect to Discord and run the program")
    _add_config_option(run)
    run.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING"])
    run.set_defaults(handler=_run)

    check = commands.add_parser("check-config", help="validate a configuration file")
    check.add_argument("path", nargs="?", type=Path, default=DEFAULT_CONFIG)
    check.set_defaults(handler=_check_config)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(title="db commands", metavar="DB_COMMAND", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply pending schema migrations")
    _add_config_option(upgrade)
    upgrade.set_defaults(handler=_db_upgrade)
    backup = db_commands.add_parser("backup", help="copy the database safely, even while running")
    backup.add_argument("destination", type=Path)
    _add_config_option(backup)
    backup.set_defaults(handler=_db_backup)
    privacy_command.register_purge(db_commands, _config_parent())

    match_command.register(commands)
    simulate_command.register(commands)
    report_command.register(commands)
    applicants_command.register(commands, _config_parent())
    privacy_command.register(commands, _config_parent())
    return parser


def _config_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    _add_config_option(parent)
    return parent


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help="configuration file (default: $ILN_CONFIG or ./config.toml)",
    )


def load_or_report(path: Path) -> Config | None:
    """The config, or None after printing every problem to stderr."""
    try:
        return load_config(path)
    except ConfigError as error:
        print(f"{path} has problems:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return None


def _check_config(args: argparse.Namespace) -> int:
    config = load_or_report(args.path)
    if config is None:
        return 2
    print(f"{args.path}: OK (guild {config.discord.guild_id}, database {config.database.path})")
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    if config is None:
        return 2
    applied = asyncio.run(_upgrade(config.database.path))
    print(f"applied migrations: {applied}" if applied else "database already up to date")
    return 0


async def _upgrade(path: Path) -> list[int]:
    from bot.store.db import Database

    db = await Database.open(path)
    try:
        return await db.migrate()
    finally:
        await db.close()


def _db_backup(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    if config is None:
        return 2
    if not config.database.path.exists():
        print(f"no database at {config.database.path}", file=sys.stderr)
        return 2
    from bot.store.privacy import key_path

    for taken in (args.destination, key_path(args.destination)):
        if taken.exists():
            print(f"{taken} already exists; choose a new file", file=sys.stderr)
            return 2
    with_key = asyncio.run(_backup(config.database.path, args.destination))
    also = f", and its privacy key to {key_path(args.destination)}" if with_key else ""
    print(f"backed up {config.database.path} to {args.destination}{also} (owner-only)")
    return 0


async def _backup(source: Path, destination: Path) -> bool:
    """The database, then the key beside it; whether there was a key to copy."""
    from bot.store.db import Database
    from bot.store.privacy import copy_key

    db = await Database.open(source)
    try:
        await db.backup(destination)
    finally:
        await db.close()
    return await asyncio.to_thread(copy_key, source, destination)


def _run(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    if config is None:
        return 2
    token = read_token(config)
    if token is None:
        print(TOKEN_HELP, file=sys.stderr)
        return 2
    import aiohttp
    import discord

    logging.getLogger("discord.client").addFilter(_NoVoiceWarnings())
    try:
        asyncio.run(_serve(config, token.get_secret_value()))
    except discord.LoginFailure:
        print("iln-bot: Discord refused the token; reset it and set it again.", file=sys.stderr)
        return 1
    except (aiohttp.ClientError, discord.GatewayNotFound, OSError) as error:
        print(
            f"iln-bot: cannot reach Discord ({_reason(error)}); check the network and try again.",
            file=sys.stderr,
        )
        return 1
    return 0


def _reason(error: BaseException) -> str:
    """The first line of what went wrong, without a traceback."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


async def _serve(config: Config, token: str) -> None:
    from bot.client import ILNBot
    from bot.clock import SystemClock
    from bot.store import Store

    store = await Store.open(config.database.path)
    try:
        bot = ILNBot(config, store, SystemClock())
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with bot:
            running = asyncio.create_task(bot.start(token), name="discord")
            stopping = asyncio.create_task(stop.wait(), name="stop-signal")
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if running.done():
                running.result()  # a login failure or a fatal gateway error surfaces here
            else:
                logging.getLogger(__name__).info("stopping: closing Discord, then the store")
                await bot.close()
                await running
    finally:
        await store.close()
