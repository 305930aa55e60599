"""The real ILN bot, through the real discord.py client, against the offline emulator.

A test acts as people do (members send messages, run slash commands, click buttons) via
the emulator's driver, moves the bot's manual clock, and asks the bot to do what has
fallen due, exactly as the scheduler would wake it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord

from bot.client import ILNBot
from bot.clock import ManualClock
from bot.config import Config
from bot.store import Store
from tests.emulator import DiscordEmulator
from tests.emulator.client import running_client
from tests.helpers import START

COORDINATOR_ROLE = "ILN Coordinators"
# The bot's own background tasks, by the names it gives them.
BOT_TASKS = frozenset({"contact-flusher", "catch-up", "program-run"})
MANAGE_MESSAGES = 1 << 13


@dataclass
class Iln:
    emulator: DiscordEmulator
    db_path: Path
    clock: ManualClock = field(default_factory=lambda: ManualClock(START))
    config_overrides: dict[str, Any] = field(default_factory=dict)
    bot: ILNBot | None = None
    store: Store | None = None
    # Called with each new bot before it connects (e.g. to add an HTTP trace).
    on_new_bot: Callable[[ILNBot], None] | None = None
    _stack: contextlib.AsyncExitStack | None = None

    @property
    def driver(self) -> Any:
        return self.emulator.driver

    @property
    def program(self) -> Any:
        assert self.bot is not None, "the bot is not running"
        return self.bot.program

    def config(self) -> Config:
        sections: dict[str, Any] = {
            "discord": {
                "guild_id": self.emulator.guild.id,
                "coordinator_role": COORDINATOR_ROLE,
                "api_base_url": self.emulator.api_base_url,
                "gateway_url": self.emulator.gateway_url,
            },
            "database": {"path": str(self.db_path)},
        }
        for section, values in self.config_overrides.items():
            sections.setdefault(section, {}).update(values)
        return Config(**sections)

    async def start(self) -> ILNBot:
        self._stack = contextlib.AsyncExitStack()
        self.store = await Store.open(self.db_path)
        self._stack.push_async_callback(self.store.close)
        bot = ILNBot(self.config(), self.store, self.clock, start_waker=False)
        if self.on_new_bot is not None:
            self.on_new_bot(bot)
        self.bot = await self._stack.enter_async_context(running_client(self.emulator, bot))
        await asyncio.wait_for(bot.caught_up.wait(), timeout=5)
        return bot

    async def stop(self) -> None:
        assert self._stack is not None
        await self._stack.aclose()
        self.bot = None
        self.store = None

    async def crash(self) -> None:
        """The process dies: no shutdown, nothing flushed; its tasks, its connection to
        Discord and its database connection simply end (SQLite rolls back what was not
        committed)."""
        bot = self.bot
        assert bot is not None and self._stack is not None
        for task in asyncio.all_tasks():
            if task.get_name() in BOT_TASKS and not task.done():
                task.cancel()
        bot.close = functools.partial(discord.Client.close, bot)  # type: ignore[method-assign]
        with contextlib.suppress(BaseException):
            await self._stack.aclose()
        self.bot = None
        self.store = None

    async def restart(self) -> ILNBot:
        await self.stop()
        return await self.start()

    async def run_due(self) -> None:
        """What the scheduler does when it wakes: plan and deliver everything due now."""
        await self.program.run_due()

    async def advance(self, delta: timedelta, *, step: timedelta = timedelta(hours=1)) -> None:
        """Move the clock forward, waking the bot every ``step`` as the scheduler would."""
        end = self.clock.now() + delta
        while self.clock.now() < end:
            self.clock.set(min(end, self.clock.now() + step))
            await self.run_due()

    async def coordinator(self, name: str = "Cora") -> Any:
        role = await self._coordinator_role()
        return await self.driver.add_member(name, [role])

    async def _coordinator_role(self) -> Any:
        roles = self.driver.guild.roles.values()
        existing = next((r for r in roles if r.name == COORDINATOR_ROLE), None)
        if existing is not None:
            return existing
        return await self.driver.create_role(COORDINATOR_ROLE, permissions=MANAGE_MESSAGES)
