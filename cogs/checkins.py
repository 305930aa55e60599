"""Buttons on the check-in and availability posts, and ``/checkin-dms``.

The buttons are :class:`discord.ui.DynamicItem` s: their custom id carries the partnership
(and check-in number), so they keep working after a restart without any stored view.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.availability import MAX_NOTE_LENGTH
from bot.services.checkins import RATING_LABELS
from cogs._shared import PoliteModal, answer, polite, program_of

if TYPE_CHECKING:
    from bot.client import ILNBot

Button = discord.ui.Button[Any]
RATING_STYLES = {
    "great": discord.ButtonStyle.success,
    "ok": discord.ButtonStyle.secondary,
    "not_working": discord.ButtonStyle.danger,
}


class CheckinButton(
    discord.ui.DynamicItem[Button],
    template=r"iln:checkin:(?P<pid>\d+):(?P<seq>\d+)",
):
    def __init__(self, partnership_id: int, sequence: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Tell us privately",
                style=discord.ButtonStyle.primary,
                custom_id=f"iln:checkin:{partnership_id}:{sequence}",
            )
        )
        self.partnership_id = partnership_id
        self.sequence = sequence

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> CheckinButton:
        return cls(int(match["pid"]), int(match["seq"]))

    @polite
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await program_of(interaction).checkins.check_member(
            interaction.user.id, self.partnership_id
        )
        view = discord.ui.View(timeout=None)
        for rating in RATING_LABELS:
            view.add_item(RatingButton(self.partnership_id, self.sequence, rating))
        await interaction.response.send_message(
            "How is the partnership working for you? Only the coordinators will see your answer.",
            view=view,
            ephemeral=True,
        )


class RatingButton(
    discord.ui.DynamicItem[Button],
    template=r"iln:checkin:rate:(?P<pid>\d+):(?P<seq>\d+):(?P<rating>great|ok|not_working)",
):
    def __init__(self, partnership_id: int, sequence: int, rating: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=RATING_LABELS[rating],
                style=RATING_STYLES[rating],
                custom_id=f"iln:checkin:rate:{partnership_id}:{sequence}:{rating}",
            )
        )
        self.partnership_id = partnership_id
        self.sequence = sequence
        self.rating = rating

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> RatingButton:
        return cls(int(match["pid"]), int(match["seq"]), match["rating"])

    @polite
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await program_of(interaction).checkins.check_member(
            interaction.user.id, self.partnership_id
        )
        await interaction.response.send_modal(
            CommentForm(self.partnership_id, self.sequence, self.rating)
        )


class CommentForm(PoliteModal, title="Your check-in"):
    comment: discord.ui.Label[CommentForm] = discord.ui.Label(
        text="Anything you'd like to add? (optional)",
        component=discord.ui.TextInput(
            custom_id="comment",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=1000,
        ),
    )

    def __init__(self, partnership_id: int, sequence: int, rating: str) -> None:
        super().__init__(custom_id=f"iln:checkin:form:{partnership_id}:{sequence}:{rating}")
        self.partnership_id = partnership_id
        self.sequence = sequence
        self.rating = rating

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        program = program_of(interaction)
        await program.checkins.answer(
            interaction.user.id,
            self.partnership_id,
            self.sequence,
            self.rating,
            _value(self.comment),
        )
        await answer(interaction, program.content.messages.checkin.thanks)


class NoChangesButton(discord.ui.DynamicItem[Button], template=r"iln:avail:none:(?P<pid>\d+)"):
    def __init__(self, partnership_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="No changes",
                style=discord.ButtonStyle.secondary,
                custom_id=f"iln:avail:none:{partnership_id}",
            )
        )
        self.partnership_id = partnership_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> NoChangesButton:
        return cls(int(match["pid"]))

    @polite
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        program = program_of(interaction)
        await program.away.no_changes(interaction.user.id, self.partnership_id)
        await answer(interaction, program.content.messages.availability.no_changes_ack)


class AddDatesButton(discord.ui.DynamicItem[Button], template=r"iln:avail:add:(?P<pid>\d+)"):
    def __init__(self, partnership_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Add dates",
                style=discord.ButtonStyle.primary,
                custom_id=f"iln:avail:add:{partnership_id}",
            )
        )
        self.partnership_id = partnership_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AddDatesButton:
        return cls(int(match["pid"]))

    @polite
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await program_of(interaction).away.check_member(interaction.user.id, self.partnership_id)
        await interaction.response.send_modal(AwayForm(self.partnership_id))


class AwayForm(PoliteModal, title="Time away"):
    start: discord.ui.Label[AwayForm] = discord.ui.Label(
        text="First day away (your local date)",
        component=discord.ui.TextInput(custom_id="start", placeholder="24 Dec 2026", max_length=40),
    )
    end: discord.ui.Label[AwayForm] = discord.ui.Label(
        text="Last day away",
        component=discord.ui.TextInput(custom_id="end", placeholder="5 Jan 2027", max_length=40),
    )
    note: discord.ui.Label[AwayForm] = discord.ui.Label(
        text="Note for your partner (optional)",
        component=discord.ui.TextInput(
            custom_id="note", required=False, max_length=MAX_NOTE_LENGTH
        ),
    )

    def __init__(self, partnership_id: int) -> None:
        super().__init__(custom_id=f"iln:avail:form:{partnership_id}")

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        program = program_of(interaction)
        await program.away.add(
            interaction.user.id, _value(self.start), _value(self.end), _value(self.note) or None
        )
        await answer(interaction, program.content.messages.availability.added_ack)


def _value(label: discord.ui.Label[Any]) -> str:
    component = label.component
    return component.value if isinstance(component, discord.ui.TextInput) else ""


class CheckinsCog(commands.Cog):
    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @app_commands.command(name="checkin-dms")
    @app_commands.describe(setting="on: also send me each check-in by direct message")
    async def checkin_dms(
        self, interaction: discord.Interaction[Any], setting: Literal["on", "off"]
    ) -> None:
        """Choose whether check-ins also reach you as a direct message."""
        await program_of(interaction).checkins.set_dm_opt_in(interaction.user.id, setting == "on")
        if setting == "on":
            text = "Done: you'll also get each check-in by direct message."
        else:
            text = "Done: check-ins will only be posted in your partnership space."
        await answer(interaction, text)


DYNAMIC_ITEMS = (CheckinButton, RatingButton, NoChangesButton, AddDatesButton)


async def setup(bot: ILNBot) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(CheckinsCog(bot), guild=bot.guild_object)


async def teardown(bot: ILNBot) -> None:
    bot.remove_dynamic_items(*DYNAMIC_ITEMS)
