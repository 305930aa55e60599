"""`/match`: coordinators preview, adjust, save and confirm the round's partnerships."""

from __future__ import annotations

import io
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ILNBot
from bot.domain.match_report import result_to_csv, summary_lines
from bot.domain.matching import MatchResult
from bot.store.models import Round
from cogs._shared import answer, coordinator_only, program_of

PAIRS_SHOWN = 10


@coordinator_only()
class MatchCommands(commands.GroupCog, group_name="match"):
    """Match the round's applicants into partnerships."""

    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @app_commands.command(name="preview")
    async def preview(self, interaction: discord.Interaction[Any]) -> None:
        """Show the best partnerships as things stand, with reasons (nothing is saved)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        round_, result = await program_of(interaction).matching.preview()
        await self._send_result(interaction, round_, result, "Preview")

    @app_commands.command(name="run")
    async def run(self, interaction: discord.Interaction[Any]) -> None:
        """Compute and save the proposal that /match confirm will store."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        round_, result = await program_of(interaction).matching.run(interaction.user.id)
        await self._send_result(interaction, round_, result, "Saved proposal")

    @app_commands.command(name="confirm")
    async def confirm(self, interaction: discord.Interaction[Any]) -> None:
        """Store the saved proposal's partnerships (their spaces open at /round start)."""
        round_, count = await program_of(interaction).matching.confirm(interaction.user.id)
        await answer(
            interaction,
            f"{count} partnerships confirmed for **{round_.name}**. "
            "`/round start` opens their private spaces.",
        )

    @app_commands.command(name="pin")
    @app_commands.describe(first="One partner", second="The other partner")
    async def pin(
        self, interaction: discord.Interaction[Any], first: discord.User, second: discord.User
    ) -> None:
        """Make two applicants partners whatever the matcher would choose."""
        await program_of(interaction).matching.pin(first.id, second.id, interaction.user.id)
        await answer(interaction, f"{first.mention} and {second.mention} will be partners.")

    @app_commands.command(name="forbid")
    @app_commands.describe(first="One person", second="The other", reason="Kept for coordinators")
    async def forbid(
        self,
        interaction: discord.Interaction[Any],
        first: discord.User,
        second: discord.User,
        reason: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        """Never match these two people, in this round or any later one."""
        await program_of(interaction).matching.forbid(
            first.id, second.id, reason, interaction.user.id
        )
        await answer(interaction, f"{first.mention} and {second.mention} will never be matched.")

    @app_commands.command(name="unmatched")
    async def unmatched(self, interaction: discord.Interaction[Any]) -> None:
        """List who the saved proposal leaves without a partner, and why."""
        round_, result = await program_of(interaction).matching.saved_proposal()
        if not result.unmatched:
            await answer(interaction, f"Everyone in **{round_.name}** has a partner.")
            return
        lines = [f"- <@{p.discord_id}>: {'; '.join(p.reasons)}" for p in result.unmatched]
        await answer(interaction, ("Left without a partner:\n" + "\n".join(lines))[:2000])

    async def _send_result(
        self,
        interaction: discord.Interaction[Any],
        round_: Round,
        result: MatchResult,
        heading: str,
    ) -> None:
        names = {
            p.discord_id: p.name
            for p in (
                await program_of(interaction).store.people.participants(
                    [m for pair in result.pairs for m in pair.members]
                    + [u.discord_id for u in result.unmatched]
                )
            ).values()
        }
        embed = discord.Embed(
            title=f"{heading}: {round_.name}", description="\n".join(summary_lines(result))
        )
        for pair in result.pairs[:PAIRS_SHOWN]:
            title = " & ".join(names.get(m, str(m)) for m in pair.members)
            embed.add_field(
                name=f"{title} ({pair.score:g})"[:256],
                value="; ".join(pair.reasons)[:1024] or "no stated wishes",
                inline=False,
            )
        if len(result.pairs) > PAIRS_SHOWN:
            embed.set_footer(text=f"…and {len(result.pairs) - PAIRS_SHOWN} more pairs in the CSV.")
        csv_file = discord.File(
            io.BytesIO(result_to_csv(result, names).encode()), filename=f"match-{round_.name}.csv"
        )
        await answer(interaction, embed=embed, file=csv_file)


async def setup(bot: ILNBot) -> None:
    await bot.add_cog(MatchCommands(bot), guild=bot.guild_object)
