"""``/away``: tell your partner (and the reminders) when you will be away; and the buttons
on the regular availability ask ("No changes", "Add dates" with its short form).

Decision: Discord does not let a command with subcommands take options itself, so the
period is recorded with ``/away add start end [note]``, next to ``/away list`` and
``/away cancel``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.away import ACCEPTED_FORMATS_HELP, MAX_NOTE_LENGTH
from bot.posts.away import AddDatesButton, NoChangesButton
from bot.ui import PersistentButton, persistent
from cogs._shared import PoliteModal, answer, field_value, polite, program_of, text_field

if TYPE_CHECKING:
    from bot.client import ILNBot


class AwayCog(commands.Cog):
    away = app_commands.Group(
        name="away",
        description="Time away: reminders pause and your partner is told",
        guild_only=True,
    )

    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @away.command(name="add")
    @app_commands.describe(
        start="First day away, your local date (e.g. 24 Dec, 2026-12-24, today)",
        end="Last day away, your local date",
        note="Optional note for your partner",
    )
    async def add(
        self,
        interaction: discord.Interaction[Any],
        start: app_commands.Range[str, 1, 40],
        end: app_commands.Range[str, 1, 40],
        note: app_commands.Range[str, 1, MAX_NOTE_LENGTH] | None = None,
    ) -> None:
        """Record time away (the first and last day); your partner is told in your space."""
        program = program_of(interaction)
        period = await program.away.add(interaction.user.id, start, end, note)
        described = dict(
            (p.id, text) for p, text in await program.away.described(interaction.user.id)
        )
        text = described.get(period.id, "your dates")
        await answer(
            interaction,
            f"{program.content.messages.availability.added_ack}\nAway: {text} (id {period.id})",
        )

    @away.command(name="list")
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        """Show your current and upcoming time away."""
        described = await program_of(interaction).away.described(interaction.user.id)
        if not described:
            await answer(interaction, "You have no time away recorded. " + ACCEPTED_FORMATS_HELP)
            return
        lines = [f"- {text} (id {period.id})" for period, text in described]
        await answer(interaction, "Your time away:\n" + "\n".join(lines))

    @away.command(name="cancel")
    @app_commands.describe(id="The away period to cancel")
    async def cancel(self, interaction: discord.Interaction[Any], id: int) -> None:
        """Cancel one of your away periods."""
        await program_of(interaction).away.cancel(interaction.user.id, id)
        await answer(interaction, "Cancelled. Reminders count that time as usual again.")

    @cancel.autocomplete("id")
    async def _own_periods(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[int]]:
        described = await program_of(interaction).away.described(interaction.user.id)
        return [
            app_commands.Choice(name=text[:100], value=period.id)
            for period, text in described
            if current.lower() in text.lower() or current == str(period.id)
        ][:25]


@persistent(NoChangesButton)
class NoChangesItem(PersistentButton[NoChangesButton], template=r"iln:avail:none:(?P<pid>\d+)"):
    @classmethod
    def button(cls, spec: NoChangesButton) -> discord.ui.Button[Any]:
        return discord.ui.Button(
            label="No changes",
            style=discord.ButtonStyle.secondary,
            custom_id=f"iln:avail:none:{spec.partnership_id}",
        )

    @classmethod
    def parse(cls, match: Any) -> NoChangesButton:
        return NoChangesButton(int(match["pid"]))

    @polite
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        program = program_of(interaction)
        await program.away.no_changes(interaction.user.id, self.spec.partnership_id)
        await answer(interaction, program.content.messages.availability.no_changes_ack)


@persistent(AddDatesButton)
class AddDatesItem(PersistentButton[AddDatesButton], template=r"iln:avail:add:(?P<pid>\d+)"):
    @classmethod
    def button(cls, spec: AddDatesButton) -> discord.ui.Button[Any]:
        return discord.ui.Button(
            label="Add dates",
            style=discord.ButtonStyle.primary,
            custom_id=f"iln:avail:add:{spec.partnership_id}",
        )

    @classmethod
    def parse(cls, match: Any) -> AddDatesButton:
        return AddDatesButton(int(match["pid"]))

    @polite
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await program_of(interaction).away.check_member(
            interaction.user.id, self.spec.partnership_id
        )
        await interaction.response.send_modal(AwayForm(self.spec.partnership_id))


class AwayForm(PoliteModal, title="Time away"):
    start = text_field(
        "First day away (your local date)", "start", placeholder="24 Dec 2026", max_length=40
    )
    end = text_field("Last day away", "end", placeholder="5 Jan 2027", max_length=40)
    note = text_field(
        "Note for your partner (optional)", "note", required=False, max_length=MAX_NOTE_LENGTH
    )

    def __init__(self, partnership_id: int) -> None:
        super().__init__(custom_id=f"iln:avail:form:{partnership_id}")

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        program = program_of(interaction)
        await program.away.add(
            interaction.user.id,
            field_value(self.start),
            field_value(self.end),
            field_value(self.note) or None,
        )
        await answer(interaction, program.content.messages.availability.added_ack)


DYNAMIC_ITEMS = (NoChangesItem, AddDatesItem)


async def setup(bot: ILNBot) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(AwayCog(bot), guild=bot.guild_object)


async def teardown(bot: ILNBot) -> None:
    bot.remove_dynamic_items(*DYNAMIC_ITEMS)
