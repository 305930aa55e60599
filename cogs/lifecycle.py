"""Buttons on the end reminder and the closing message, and partners leaving the server.

The buttons are dynamic items: their custom ids carry the partnership, so they keep
working after a restart without keeping anything in memory.
"""

from __future__ import annotations

from typing import Any

import discord
from discord.ext import commands

from bot.client import ILNBot
from bot.services.closing import RATING_WORDS
from bot.store.models import EndChoice
from cogs._shared import PoliteModal, answer, field_value, polite, program_of, text_field


class EndChoiceButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"iln:end:(?P<choice>keep|wrap):(?P<pid>\d+)",
):
    def __init__(self, choice: str, partnership_id: int) -> None:
        label = "We'll keep in touch" if choice == "keep" else "We'll wrap up"
        super().__init__(
            discord.ui.Button(label=label, custom_id=f"iln:end:{choice}:{partnership_id}")
        )
        self.choice = choice
        self.partnership_id = partnership_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any
    ) -> EndChoiceButton:
        return cls(match["choice"], int(match["pid"]))

    @polite
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        choice: EndChoice = "keep_in_touch" if self.choice == "keep" else "wrap_up"
        partnership = await program_of(interaction).closing.choose(
            interaction.user.id, self.partnership_id, choice
        )
        waiting = [m for m in partnership.members if m.end_choice is None]
        text = (
            "Noted: you would like to keep in touch."
            if choice == "keep_in_touch"
            else "Noted: you will wrap up at the end of the round."
        )
        if choice == "keep_in_touch" and waiting:
            text += " If your partner chooses the same, this space stays open after the round."
        await answer(interaction, text)


class FeedbackButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"iln:feedback:(?P<pid>\d+)"
):
    def __init__(self, partnership_id: int) -> None:
        super().__init__(
            discord.ui.Button(label="Share feedback", custom_id=f"iln:feedback:{partnership_id}")
        )
        self.partnership_id = partnership_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any
    ) -> FeedbackButton:
        return cls(int(match["pid"]))

    @polite
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        partnership = await program_of(interaction).store.partnerships.get(self.partnership_id)
        if partnership is None or interaction.user.id not in partnership.member_ids:
            await answer(interaction, "Only the partners of this space can give this feedback.")
            return
        await interaction.response.send_modal(FeedbackModal(self.partnership_id))


class FeedbackModal(PoliteModal, title="How was your partnership?"):
    rating = text_field(
        "Rating from 1 (poor) to 5 (excellent)", "rating", min_length=1, max_length=1
    )
    comment = text_field(
        "Anything you would like to tell us?",
        "comment",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=1000,
    )

    def __init__(self, partnership_id: int) -> None:
        super().__init__(timeout=900)
        self.partnership_id = partnership_id

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        rating = await program_of(interaction).closing.feedback(
            interaction.user.id,
            self.partnership_id,
            field_value(self.rating),
            field_value(self.comment),
        )
        await answer(interaction, f"Thank you! We noted {rating} ({RATING_WORDS[rating]}).")


class Membership(commands.Cog):
    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        """A partner left the server: mark their partnership and tell the coordinators."""
        if payload.guild_id == self.bot.guild_object.id:
            await self.bot.program.departures.member_left(payload.user.id)
            await self.bot.waker.run_now()


async def setup(bot: ILNBot) -> None:
    bot.add_dynamic_items(EndChoiceButton, FeedbackButton)
    await bot.add_cog(Membership(bot))
