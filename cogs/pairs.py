"""``/pair``: coordinators see how every partnership is doing (``health``) and act on one
(``end``, ``rematch``, ``add``, ``note``)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.wording import days_ago, plural
from bot.services.contact import PairHealth, health_csv
from bot.services.pairs import NOTE_LIMIT, REASON_LIMIT, Rematch, answer_words
from bot.ui import button_row
from cogs._shared import (
    answer,
    coordinator_autocomplete,
    coordinator_only,
    ensure_coordinator,
    polite,
    program_of,
)

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
        last = f"last contact {days_ago(row.days_since_contact)}"
    lines = [
        " & ".join(row.members),
        f"{last} · {row.contacts_per_fortnight:.1f} per fortnight · {plural(row.nudges, 'nudge')}"
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


async def pair_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    if not coordinator_autocomplete(interaction):
        return []
    choices = await program_of(interaction).pairs.pair_choices(current)
    return [app_commands.Choice(name=name, value=value) for name, value in choices]


async def partnered_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    if not coordinator_autocomplete(interaction):
        return []
    choices = await program_of(interaction).pairs.member_choices(current, "partnered")
    return [app_commands.Choice(name=name, value=value) for name, value in choices]


async def available_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    if not coordinator_autocomplete(interaction):
        return []
    program = program_of(interaction)
    choices = await program.pairs.member_choices(current, "available")
    choices += await program.pairs.member_choices(current, "partnered")
    return [app_commands.Choice(name=name, value=value) for name, value in choices[:25]]


class RematchItem(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"iln:rematch:(?P<member>\d+):(?P<candidate>\d+)",
):
    """ "Pair with ..." on the ephemeral list of proposals; the ids are all it needs, so it
    works after a restart too."""

    def __init__(self, member_id: int, candidate_id: int, label: str = "Pair") -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.success,
                custom_id=f"iln:rematch:{member_id}:{candidate_id}",
            )
        )
        self.member_id = member_id
        self.candidate_id = candidate_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any
    ) -> RematchItem:
        return cls(int(match["member"]), int(match["candidate"]))

    @polite
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await ensure_coordinator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        program = program_of(interaction)
        created = await program.pairs.make(
            self.member_id,
            self.candidate_id,
            interaction.user.id,
            replacing_for=self.member_id,
        )
        await answer(
            interaction,
            f"<@{self.member_id}> and <@{self.candidate_id}> are partners now, in "
            f"**{created.name}**; their space opens with both introductions. Their earlier "
            "partnership ends.",
        )
        await program.run_due()


def rematch_embed(rematch: Rematch) -> discord.Embed:
    embed = discord.Embed(
        title=f"New partners for {rematch.name}"[:256],
        description=(
            f"Now in **{rematch.partnership.name}** "
            f"({rematch.partnership.state.replace('_', ' ')}). From this round's applicants "
            "without a partner and the waitlist, under the matcher's rules, best first. "
            "Pairing ends the current partnership."
        ),
        colour=0x2E6DA4,
    )
    for number, proposal in enumerate(rematch.proposals, start=1):
        reasons = "; ".join(proposal.reasons) or "no stated wishes"
        embed.add_field(
            name=f"{number}. {proposal.name} ({answer_words(proposal.answer)})"[:256],
            value=f"{plural(proposal.wishes_met, 'wish', 'wishes')} met · {reasons}"[:1024],
            inline=False,
        )
    return embed


@coordinator_only()
class PairCommands(commands.GroupCog, group_name="pair"):
    """Coordinators: partnerships at a glance, and acting on one."""

    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @app_commands.command(name="health")
    @app_commands.describe(sort="Order: most at risk first (default), longest quiet, or by name")
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

    @app_commands.command(name="end")
    @app_commands.describe(
        pair="The partnership (its space name)",
        reason="Why (coordinators only; partners are never shown it)",
    )
    @app_commands.autocomplete(pair=pair_choices)
    async def end(
        self,
        interaction: discord.Interaction[Any],
        pair: app_commands.Range[str, 1, 100],
        reason: app_commands.Range[str, 1, REASON_LIMIT],
    ) -> None:
        """End a partnership early: a kind notice in its space, which is then archived."""
        program = program_of(interaction)
        ended = await program.pairs.end(pair, reason, interaction.user.id)
        await answer(
            interaction, f"**{ended.name}** has ended; its space gets a kind notice and closes."
        )
        await program.run_due()

    @app_commands.command(name="rematch")
    @app_commands.describe(member="Whose partner left or went silent")
    @app_commands.autocomplete(member=partnered_choices)
    async def rematch(
        self, interaction: discord.Interaction[Any], member: app_commands.Range[str, 1, 100]
    ) -> None:
        """Propose new partners for someone, from those without a partner and the waitlist."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await program_of(interaction).pairs.rematch(member)
        if not found.proposals:
            await answer(
                interaction,
                f"Nobody without a partner can be paired with <@{found.member_id}> under the "
                "program's rules. `/pair add` can pair them by hand, with an override.",
            )
            return
        view = button_row(
            RematchItem(found.member_id, proposal.member_id, _pair_with(proposal.name))
            for proposal in found.proposals
        )
        await interaction.followup.send(embed=rematch_embed(found), view=view, ephemeral=True)

    @app_commands.command(name="add")
    @app_commands.describe(
        first="One partner",
        second="The other partner",
        override="Only to pair them against the program's rules: your reason",
    )
    @app_commands.autocomplete(first=available_choices, second=available_choices)
    async def add(
        self,
        interaction: discord.Interaction[Any],
        first: app_commands.Range[str, 1, 100],
        second: app_commands.Range[str, 1, 100],
        override: app_commands.Range[str, 1, REASON_LIMIT] | None = None,
    ) -> None:
        """Make a partnership by hand while the round runs; its space opens with intros."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        program = program_of(interaction)
        a = await program.pairs.find_member(first)
        b = await program.pairs.find_member(second)
        created = await program.pairs.make(a, b, interaction.user.id, override=override)
        await answer(
            interaction,
            f"<@{a}> and <@{b}> are partners now, in **{created.name}**; their space opens "
            "with both introductions.",
        )
        await program.run_due()

    @app_commands.command(name="note")
    @app_commands.describe(pair="The partnership (its space name)", text="The note")
    @app_commands.autocomplete(pair=pair_choices)
    async def note(
        self,
        interaction: discord.Interaction[Any],
        pair: app_commands.Range[str, 1, 100],
        text: app_commands.Range[str, 1, NOTE_LIMIT],
    ) -> None:
        """Add a note about a partnership, for coordinators only (shown in its case)."""
        program = program_of(interaction)
        noted = await program.pairs.note(pair, text, interaction.user.id)
        await answer(interaction, f"Noted for **{noted.name}**.")
        await program.run_due()


DYNAMIC_ITEMS = (RematchItem,)


def _pair_with(name: str) -> str:
    """The label of a rematch proposal's button: "Pair with Lan"."""
    words = name.split()
    return f"Pair with {words[0] if words else 'them'}"


async def setup(bot: ILNBot) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(PairCommands(bot), guild=bot.guild_object)


async def teardown(bot: ILNBot) -> None:
    bot.remove_dynamic_items(*DYNAMIC_ITEMS)
