"""``/pair health``: the coordinators' view of how every partnership is doing."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.services.contact import PairHealth, health_csv
from cogs._shared import answer, coordinator_only, program_of

if TYPE_CHECKING:
    from bot.client import ILNBot

EMBED_FIELDS = 25
EMBED_BUDGET = 5800  # Discord allows 6,000 characters per embed; leave room for the footer
LABEL_MARKS = {"at risk": "🔴", "watch": "🟠", "ok": "🟢"}


def health_field(row: PairHealth) -> tuple[str, str]:
    """One embed field for a pair: its name and a few short lines."""
    if row.days_since_contact is None:
        last = "no contact yet"
    else:
        last = f"last contact {row.days_since_contact} days ago"
    lines = [
        " & ".join(row.members),
        f"{last} · {row.contacts_per_fortnight:.1f} per fortnight · {row.nudges} nudge(s)"
        + (" · escalated" if row.escalated else ""),
    ]
    if row.away and row.away != "no one away":
        lines.append(f"Away: {row.away}")
    if row.checkins:
        lines.append("Check-in: " + ", ".join(row.checkins))
    if row.state != "active":
        lines.append(f"State: {row.state.replace('_', ' ')}")
    name = f"{LABEL_MARKS.get(row.label, '')} {row.name} ({row.label}, {row.risk:.2f})"
    return name.strip()[:256], "\n".join(lines)[:1024]


class PairsCog(commands.Cog):
    pair = app_commands.Group(
        name="pair",
        description="Coordinators: partnerships at a glance",
        guild_only=True,
        default_permissions=discord.Permissions(manage_messages=True),
    )

    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @pair.command(name="health")
    @app_commands.describe(sort="Order: most at risk first (default), longest quiet, or by name")
    @coordinator_only()
    async def health(
        self,
        interaction: discord.Interaction[Any],
        sort: Literal["risk", "quiet", "name"] = "risk",
    ) -> None:
        """Show every partnership's contact health, most at risk first."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        rows = await program_of(interaction).pair_health.rows(sort=sort)
        if not rows:
            await answer(interaction, "There are no partnerships to show yet.")
            return
        embed = discord.Embed(title="Pair health", colour=0x2E6DA4)
        used = len(embed.title or "")
        shown = 0
        for row in rows:
            name, value = health_field(row)
            if shown == EMBED_FIELDS or used + len(name) + len(value) > EMBED_BUDGET:
                break
            embed.add_field(name=name, value=value, inline=False)
            used += len(name) + len(value)
            shown += 1
        file = None
        if shown < len(rows):
            embed.set_footer(text=f"Showing {shown} of {len(rows)} pairs; all are in the CSV.")
            data = io.BytesIO(health_csv(rows).encode("utf-8"))
            file = discord.File(data, filename="pair-health.csv")
        await answer(interaction, embed=embed, file=file)


async def setup(bot: ILNBot) -> None:
    await bot.add_cog(PairsCog(bot), guild=bot.guild_object)
