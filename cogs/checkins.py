"""The private check-in as partners press it, and ``/checkin-dms``.

The check-in post carries one button; pressing it opens, privately, the three answers; an
answer opens a short form for an optional comment. All of them are dynamic items whose
custom id carries the partnership and the check-in number, so they keep working after a
restart without any stored view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.checkins import MAX_COMMENT, RATING_LABELS, CheckinRating
from bot.posts.checkins import CheckinButton
from bot.ui import PersistentButton, persistent
from cogs._shared import PoliteModal, answer, field_value, polite, program_of, text_field

if TYPE_CHECKING:
    from bot.client import ILNBot

RATING_STYLES: dict[CheckinRating, discord.ButtonStyle] = {
    "great": discord.ButtonStyle.success,
    "ok": discord.ButtonStyle.secondary,
    "not_working": discord.ButtonStyle.danger,
}


@persistent(CheckinButton)
class CheckinItem(
    PersistentButton[CheckinButton], template=r"iln:checkin:(?P<pid>\d+):(?P<seq>\d+)"
):
    @classmethod
    def button(cls, spec: CheckinButton) -> discord.ui.Button[Any]:
        return discord.ui.Button(
            label="Tell us privately",
            style=discord.ButtonStyle.primary,
            custom_id=f"iln:checkin:{spec.partnership_id}:{spec.sequence}",
        )

    @classmethod
    def parse(cls, match: Any) -> CheckinButton:
        return CheckinButton(int(match["pid"]), int(match["seq"]))

    @polite
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        spec = self.spec
        await program_of(interaction).checkins.check_member(
            interaction.user.id, spec.partnership_id
        )
        view = discord.ui.View(timeout=None)
        for rating in RATING_LABELS:
            view.add_item(RatingItem(spec.partnership_id, spec.sequence, rating))
        await interaction.response.send_message(
            "How is the partnership working for you? Only the coordinators will see your answer.",
            view=view,
            ephemeral=True,
        )


class RatingItem(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"iln:checkin:rate:(?P<pid>\d+):(?P<seq>\d+):(?P<rating>great|ok|not_working)",
):
    """One answer on the private message the check-in button opens."""

    def __init__(self, partnership_id: int, sequence: int, rating: CheckinRating) -> None:
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
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any
    ) -> RatingItem:
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
    comment = text_field(
        "Anything you'd like to add? (optional)",
        "comment",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=MAX_COMMENT,
    )

    def __init__(self, partnership_id: int, sequence: int, rating: CheckinRating) -> None:
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
            field_value(self.comment),
        )
        await answer(interaction, program.content.messages.checkin.thanks)


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


DYNAMIC_ITEMS = (CheckinItem, RatingItem)


async def setup(bot: ILNBot) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(CheckinsCog(bot), guild=bot.guild_object)


async def teardown(bot: ILNBot) -> None:
    bot.remove_dynamic_items(*DYNAMIC_ITEMS)
