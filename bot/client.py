"""The Discord client: one startup path, resources passed in, closed in reverse order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pkgutil
from pathlib import Path
from typing import Any

import discord
import yarl
from discord.ext import commands

import cogs
from bot.clock import Clock
from bot.config import Config
from bot.discord_adapter import DiscordAdapter, creation_guard
from bot.pacing import GLOBAL_REQUESTS_PER_SECOND, Pacer
from bot.scheduler import Waker
from bot.services.program import Program, ProgramContent
from bot.store import Store
from cogs._shared import report_error

log = logging.getLogger(__name__)


def bot_intents() -> discord.Intents:
    """Only what the bot needs; deliberately without the message-content intent."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.members = True
    # Live discussions: Discord's status updates (start, end) and who pressed Interested.
    intents.guild_scheduled_events = True
    return intents


def apply_endpoint_overrides(config: Config) -> None:
    """Point discord.py at the configured API and gateway (a proxy, or the test emulator).

    discord.py keeps both as class attributes, so this is process-wide by nature.
    """
    discord.http.Route.BASE = config.discord.api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.discord.gateway_url)


def cog_modules() -> list[str]:
    """Every extension module in ``cogs/``."""
    folder = Path(cogs.__file__).parent
    return sorted(
        f"cogs.{module.name}"
        for module in pkgutil.iter_modules([str(folder)])
        if not module.name.startswith("_")
    )


class ILNBot(commands.Bot):
    def __init__(
        self,
        config: Config,
        store: Store,
        clock: Clock,
        content: ProgramContent | None = None,
        *,
        start_waker: bool = True,
    ) -> None:
        super().__init__(
            # Slash commands only: no prefix, so no word of any message is ever parsed.
            command_prefix=(),
            intents=bot_intents(),
            help_command=None,
            # Nothing the bot sends pings anyone unless that one post names whom it may ping
            # (the adapter passes a post's members or roles); never @everyone or @here.
            allowed_mentions=discord.AllowedMentions.none(),
            http_trace=creation_guard(),
        )
        apply_endpoint_overrides(config)
        self.config = config
        self.store = store
        self.clock = clock
        self.guild_object = discord.Object(id=config.discord.guild_id)
        self.adapter = DiscordAdapter(self, config.discord, Pacer(GLOBAL_REQUESTS_PER_SECOND))
        self.program = Program(config, store, clock, self.adapter, content or ProgramContent.load())
        self.waker = Waker(self.program.run_due, self.program.next_due, config.program.tick_seconds)
        self._start_waker = start_waker
        self._prepared = False
        self._catching_up: asyncio.Task[None] | None = None
        self.caught_up = asyncio.Event()  # set once the first on_ready's catch-up is done
        self.tree.error(self._on_app_command_error)

    async def setup_hook(self) -> None:
        for module in cog_modules():
            await self.load_extension(module)
        synced = await self.tree.sync(guild=self.guild_object)
        log.info("synced %d slash commands to guild %s", len(synced), self.guild_object.id)
        await self.program.contact_log.start()

    async def on_ready(self) -> None:
        """Set the server up once, then catch up on anything missed while disconnected.

        The work runs as a task of the bot's own, so a shutdown that arrives meanwhile
        cancels it cleanly instead of leaving it to fail on a closed connection."""
        if self._catching_up is None or self._catching_up.done():
            self._catching_up = asyncio.create_task(self._catch_up(), name="catch-up")
            self._catching_up.add_done_callback(_log_failure)

    async def _catch_up(self) -> None:
        if not self._prepared:
            missing = await self.adapter.prepare_guild()
            await self.adapter.prepare_community(self.config.desks, self.config.hashtags.program)
            await self.program.report_missing_permissions(missing)
            self._prepared = True
            if self._start_waker:
                self.waker.start()
        await self.program.contact_log.backfill()
        await self.waker.run_now()
        self.caught_up.set()
        log.info("ready: set up and caught up")

    async def on_message(self, message: discord.Message) -> None:
        """Messages are only counted (by the contact cog's listener), never parsed."""

    async def close(self) -> None:
        self.waker.shutdown()
        if self._catching_up is not None and not self._catching_up.done():
            self._catching_up.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._catching_up
        await self.program.run_due.stop()
        await self.program.contact_log.close()
        await super().close()

    async def _on_app_command_error(
        self, interaction: discord.Interaction[Any], error: discord.app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("setting up and catching up failed", exc_info=task.exception())
