"""The end of a partnership as partners press it: their wish for after the round (on the
end reminder) and their feedback (on the close)."""

from __future__ import annotations

from typing import Any

import discord

from bot.client import ILNBot
from bot.posts.closing import EndChoiceButton, FeedbackButton
from bot.services.closing import RATING_WORDS
from bot.store.models import EndChoice
from bot.ui import PersistentButton, persistent
from cogs._shared import PoliteModal, answer, field_value, polite, program_of, text_field

CHOICES: dict[str, tuple[str, discord.ButtonStyle, EndChoice]] = {
    "keep": ("We'll keep in touch", discord.ButtonStyle.success, "keep_in_touch"),
    "wrap": ("We'll wrap up", discord.ButtonStyle.secondary, "wrap_up"),
}


@persistent(EndChoiceButton)
class EndChoiceItem(
    PersistentButton[EndChoiceButton], template=r"iln:end:(?P<choice>keep|wrap):(?P<pid>\d+)"
):
    @classmethod
    def button(cls, spec: EndChoiceButton) -> discord.ui.Button[Any]:
        label, style, _ = CHOICES[spec.choice]
        return discord.ui.Button(
            label=label, style=style, custom_id=f"iln:end:{spec.choice}:{spec.partnership_id}"
        )

    @classmethod
    def parse(cls, match: Any) -> EndChoiceButton:
        return EndChoiceButton(int(match["pid"]), match["choice"])

    @polite
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        choice = CHOICES[self.spec.choice][2]
        partnership = await program_of(interaction).closing.choose(
            interaction.user.id, self.spec.partnership_id, choice
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


@persistent(FeedbackButton)
class FeedbackItem(PersistentButton[FeedbackButton], template=r"iln:feedback:(?P<pid>\d+)"):
    @classmethod
    def button(cls, spec: FeedbackButton) -> discord.ui.Button[Any]:
        return discord.ui.Button(
            label="Share feedback",
            style=discord.ButtonStyle.primary,
            custom_id=f"iln:feedback:{spec.partnership_id}",
        )

    @classmethod
    def parse(cls, match: Any) -> FeedbackButton:
        return FeedbackButton(int(match["pid"]))

    @polite
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await program_of(interaction).closing.check_partner(
            interaction.user.id, self.spec.partnership_id
        )
        await interaction.response.send_modal(FeedbackModal(self.spec.partnership_id))


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


DYNAMIC_ITEMS = (EndChoiceItem, FeedbackItem)


async def setup(bot: ILNBot) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)


async def teardown(bot: ILNBot) -> None:
    bot.remove_dynamic_items(*DYNAMIC_ITEMS)
