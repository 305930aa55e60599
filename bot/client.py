"""The Discord client: one startup path, resources passed in, closed in reverse order."""

from __future__ import annotations

import asyncio
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
from bot.discord_adapter import DiscordAdapter
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
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=True),
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
        self.caught_up = asyncio.Event()  # set once the first on_ready's catch-up is done
        self.tree.error(self._on_app_command_error)

    async def setup_hook(self) -> None:
        for module in cog_modules():
            await self.load_extension(module)
        synced = await self.tree.sync(guild=self.guild_object)
        log.info("synced %d slash commands to guild %s", len(synced), self.guild_object.id)
        await self.program.contact_log.start()

    async def on_ready(self) -> None:
        """Set the server up once, then catch up on anything missed while disconnected."""
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

    async def on_message(self, message: discord.Message) -> None:
        """Messages are only counted (by the contact cog's listener), never parsed."""

    async def close(self) -> None:
        self.waker.shutdown()
        await self.program.contact_log.close()
        await super().close()

    async def _on_app_command_error(
        self, interaction: discord.Interaction[Any], error: discord.app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)
