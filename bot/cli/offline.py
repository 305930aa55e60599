"""The program without a Discord connection, for command-line tools that only use the store.

Every Discord action is refused as a transient fault, so work such a tool queues waits in
the outbox for the bot, never counted as sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, NoReturn

from bot.clock import SystemClock
from bot.config import Config
from bot.services.ports import DiscordError
from bot.services.program import Program
from bot.store import Store


class Disconnected:
    """A DiscordPort for tools that run without the bot: nothing reaches Discord."""

    def __init__(self, guild_id: int) -> None:
        self._guild_id = guild_id

    def channel_link(self, channel_id: int) -> str:
        return f"https://discord.com/channels/{self._guild_id}/{channel_id}"

    def __getattr__(self, name: str) -> Any:
        async def refuse(*args: object, **kwargs: object) -> NoReturn:
            raise DiscordError(f"{name}: this tool does not connect to Discord", transient=True)

        return refuse


@asynccontextmanager
async def offline_program(config: Config) -> AsyncIterator[Program]:
    """The program on the configured database, without Discord; the store is closed after."""
    store = await Store.open(config.database.path)
    try:
        yield Program(config, store, SystemClock(), Disconnected(config.discord.guild_id))
    finally:
        await store.close()
