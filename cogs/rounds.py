"""Coordinators run a round's states; anyone can ask to hear about the next one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ILNBot
from bot.domain.away import parse_local_date
from bot.domain.calendar import format_local_date
from bot.posts._text import when
from bot.services.rounds import RoundStatus, describe_state
from bot.store.models import RoundState
from cogs._shared import answer, coordinator_only, program_of


@coordinator_only()
class RoundCommands(commands.GroupCog, group_name="round"):
    """Create and run a partnership round."""

    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @app_commands.command(name="create")
    @app_commands.describe(
        name="Short name such as 2027A",
        start="First day of the partnerships, e.g. 2027-03-01",
        weeks="Length in weeks (default: four months)",
    )
    async def create(
        self,
        interaction: discord.Interaction[Any],
        name: str,
        start: str,
        weeks: app_commands.Range[int, 4, 52] | None = None,
    ) -> None:
        """Create a round (it starts in draft)."""
        program = program_of(interaction)
        starts_on = parse_local_date(start, program.clock.now().date())
        created = await program.rounds.create(name, starts_on, weeks, interaction.user.id)
        await answer(
            interaction,
            f"Round **{created.name}** created: {format_local_date(created.starts_on)} to "
            f"{format_local_date(created.ends_on)}. Open applications with `/round open`.",
        )

    @app_commands.command(name="open")
    async def open_applications(self, interaction: discord.Interaction[Any]) -> None:
        """Open applications and announce them, mentioning the waitlist role."""
        program = program_of(interaction)
        opened = await program.rounds.open_applications(interaction.user.id)
        await program.run_due()
        closes = program.rounds.applications_close_at(opened)
        if closes > program.clock.now():
            close = f"The announcement says they close on {when(closes)}: close them then"
        else:  # the announcement leaves out a closing date already past
            close = "Their usual closing date has passed: close them when you are ready"
        await answer(
            interaction,
            f"Applications for **{opened.name}** are open and announced. {close} with "
            "`/round close-applications`.",
        )

    @app_commands.command(name="close-applications")
    async def close_applications(self, interaction: discord.Interaction[Any]) -> None:
        """Close applications so the round can be matched."""
        closed = await program_of(interaction).rounds.close_applications(interaction.user.id)
        await answer(
            interaction,
            f"Applications for **{closed.name}** are closed. Next: `/match preview`.",
        )

    @app_commands.command(name="start")
    async def start(self, interaction: discord.Interaction[Any]) -> None:
        """Start the round: open a private space for every confirmed partnership."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        program = program_of(interaction)
        started = await program.rounds.start(interaction.user.id)
        await program.run_due()
        status = await program.rounds.status()
        await answer(
            interaction,
            f"Round **{started.name}** is running: {status.spaces_ready} private spaces ready.",
        )

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        """Show the round's state, partnerships, spaces and topics."""
        rounds = program_of(interaction).rounds
        status = await rounds.status()
        await answer(
            interaction, embed=status_embed(status, rounds.applications_close_at(status.round))
        )

    @app_commands.command(name="end")
    async def end(self, interaction: discord.Interaction[Any]) -> None:
        """End the running round now and close every space."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        program = program_of(interaction)
        ended = await program.rounds.end(interaction.user.id)
        await program.run_due()
        await answer(interaction, f"Round **{ended.name}** has ended; every space is closed.")


def status_embed(status: RoundStatus, applications_close: datetime) -> discord.Embed:
    round_ = status.round
    embed = discord.Embed(title=f"Round {round_.name}", description=describe_state(round_.state))
    embed.add_field(
        name="Dates",
        value=f"{format_local_date(round_.starts_on)} – {format_local_date(round_.ends_on)}",
    )
    applications = str(status.applications)
    if round_.state is RoundState.APPLICATIONS_OPEN:
        applications += f", closing {when(applications_close)}"
    embed.add_field(name="Applications", value=applications)
    partnerships = ", ".join(f"{n} {state}" for state, n in sorted(status.partnerships.items()))
    embed.add_field(name="Partnerships", value=partnerships or "none yet")
    embed.add_field(name="Private spaces", value=str(status.spaces_ready))
    embed.add_field(name="Topics posted", value=f"{status.topics_posted} of {status.topics_total}")
    embed.add_field(name="Posts waiting", value=str(status.posts_waiting))
    return embed


class NotifyMe(commands.GroupCog, group_name="notify-me"):
    """Hear when the next round opens: a role that announcements mention, never a DM."""

    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @app_commands.command(name="on")
    async def notify_on(self, interaction: discord.Interaction[Any]) -> None:
        """Be mentioned when applications for the next round open."""
        if await program_of(interaction).waitlist(interaction.user.id, True):
            await answer(interaction, "Done! You will be mentioned when applications open.")
        else:
            await answer(interaction, "You are already on the list for the next round.")

    @app_commands.command(name="off")
    async def notify_off(self, interaction: discord.Interaction[Any]) -> None:
        """Stop being mentioned in round announcements."""
        await program_of(interaction).waitlist(interaction.user.id, False)
        await answer(interaction, "Done: you will no longer be mentioned in announcements.")


async def setup(bot: ILNBot) -> None:
    await bot.add_cog(RoundCommands(bot), guild=bot.guild_object)
    await bot.add_cog(NotifyMe(bot), guild=bot.guild_object)
