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
from bot.posts._text import discord_time
from bot.posts.cases import UNMATCHED_WORDS
from bot.services.errors import UserFacingError
from bot.store.models import Round
from cogs._shared import answer, coordinator_autocomplete, coordinator_only, program_of

PAIRS_SHOWN = 10


async def _constraints(
    interaction: discord.Interaction[Any], current: str, which: str
) -> list[app_commands.Choice[str]]:
    if not coordinator_autocomplete(interaction):
        return []
    choices = await program_of(interaction).matching.constraint_choices(which, current)
    return [app_commands.Choice(name=name, value=value) for name, value in choices]


async def _pins(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    return await _constraints(interaction, current, "pins")


async def _forbids(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    return await _constraints(interaction, current, "forbids")


def _pair_value(value: str) -> tuple[int, int]:
    """``"12:34"`` as the autocomplete gives it."""
    first, _, second = value.strip().partition(":")
    if not (first.isdigit() and second.isdigit()):
        raise UserFacingError(
            f"I could not read {value[:100]!r} as a pair; pick one from the list as you type."
        )
    return int(first), int(second)


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
        program = program_of(interaction)
        round_, count = await program.matching.confirm(interaction.user.id)
        await answer(
            interaction,
            f"{count} partnerships confirmed for **{round_.name}**. "
            "`/round start` opens their private spaces. Anyone left without a partner is "
            "told privately now (see `/match unmatched`).",
        )
        await program.run_due()

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

    @app_commands.command(name="unpin")
    @app_commands.describe(pair="A pinned pair of this round")
    @app_commands.autocomplete(pair=_pins)
    async def unpin(
        self, interaction: discord.Interaction[Any], pair: app_commands.Range[str, 1, 100]
    ) -> None:
        """Let the matcher choose these two people's partners again."""
        first, second = _pair_value(pair)
        await program_of(interaction).matching.unpin(first, second, interaction.user.id)
        await answer(interaction, f"<@{first}> and <@{second}> are no longer pinned.")

    @app_commands.command(name="unforbid")
    @app_commands.describe(pair="A pair on the forbid list")
    @app_commands.autocomplete(pair=_forbids)
    async def unforbid(
        self, interaction: discord.Interaction[Any], pair: app_commands.Range[str, 1, 100]
    ) -> None:
        """Take two people off the forbid list, so they may be matched again."""
        first, second = _pair_value(pair)
        await program_of(interaction).matching.unforbid(first, second, interaction.user.id)
        await answer(interaction, f"<@{first}> and <@{second}> may be matched again.")

    @app_commands.command(name="unmatched")
    async def unmatched(self, interaction: discord.Interaction[Any]) -> None:
        """List who the saved proposal leaves without a partner, why, and what they said."""
        program = program_of(interaction)
        round_, result = await program.matching.saved_proposal()
        if not result.unmatched:
            await answer(interaction, f"Everyone in **{round_.name}** has a partner.")
            return
        lines = []
        for person in await program.outreach.unmatched(round_, result):
            told = (
                f"told {discord_time(person.told_at, 'R')}"
                if person.told_at
                else "not told yet (after /match confirm)"
            )
            said = (
                f"answered: {UNMATCHED_WORDS[person.answer.answer]} "
                f"{discord_time(person.answer.answered_at, 'R')}"
                if person.answer
                else "no answer yet"
            )
            now = f"; now partnered in **{person.partnered_in}**" if person.partnered_in else ""
            lines.append(
                f"- <@{person.member_id}>: {'; '.join(person.reasons)} · {told} · {said}{now}"
            )
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
