"""The program without a Discord connection, for command-line tools that only use the store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.clock import SystemClock
from bot.config import Config
from bot.services.ports import Disconnected
from bot.services.program import Program
from bot.store import Store


@asynccontextmanager
async def offline_program(config: Config) -> AsyncIterator[Program]:
    """The program on the configured database, without Discord; the store is closed after."""
    store = await Store.open(config.database.path)
    try:
        yield Program(config, store, SystemClock(), Disconnected(config.discord.guild_id))
    finally:
        await store.close()
