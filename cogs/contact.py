"""Contact: partners' messages are noted (who and when, never what) and ``/contact`` logs
contact made elsewhere."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.calendar import format_local_date
from cogs._shared import answer, program_of

if TYPE_CHECKING:
    from bot.client import ILNBot

ContactKind = Literal["video", "email", "phone", "in person", "other"]


class ContactCog(commands.Cog):
    """The writer's start and stop, the start-up backfill and members leaving are wired by
    the bot itself (``bot/client.py``, ``cogs/membership.py``)."""

    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        # Works without the message-content intent: only the author, channel, id and time
        # are read, and the content is never looked at.
        if message.guild is None or message.author.bot:
            return
        await self.bot.program.contact_log.record_message(
            message.channel.id, message.author.id, message.id, message.created_at
        )

    @app_commands.command(name="contact")
    @app_commands.describe(
        kind="How you were in touch",
        date="Your local date, e.g. 3 March or 2027-03-03 (default: today)",
    )
    @app_commands.guild_only()
    async def contact(
        self,
        interaction: discord.Interaction[Any],
        kind: ContactKind,
        date: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        """Tell us you and your partner were in touch outside your channel."""
        program = program_of(interaction)
        logged = await program.contact_log.log_contact(interaction.user.id, kind, date)
        await answer(
            interaction,
            f"Thanks! Noted: {logged.kind} on {format_local_date(logged.day)}. "
            "Reminders count it as contact for both of you.",
        )


async def setup(bot: ILNBot) -> None:
    await bot.add_cog(ContactCog(bot), guild=bot.guild_object)
