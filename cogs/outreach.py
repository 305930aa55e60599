"""The answers of applicants left without a partner, pressed on the bot's private message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.posts.outreach import UnmatchedButton
from bot.services.cases import MESSAGE_LIMIT
from bot.ui import PersistentButton, persistent
from cogs._shared import PoliteModal, answer, field_value, polite, program_of, text_field

if TYPE_CHECKING:
    from bot.client import ILNBot

CHOICES: dict[str, tuple[str, discord.ButtonStyle]] = {
    "keep": ("Keep me on the list for the next round", discord.ButtonStyle.primary),
    "trio": ("I would join a trio", discord.ButtonStyle.secondary),
    "talk": ("Talk to a coordinator", discord.ButtonStyle.secondary),
}


@persistent(UnmatchedButton)
class UnmatchedItem(
    PersistentButton[UnmatchedButton],
    template=r"iln:unmatched:(?P<choice>keep|trio|talk):(?P<round>\d+)",
):
    @classmethod
    def button(cls, spec: UnmatchedButton) -> discord.ui.Button[Any]:
        label, style = CHOICES[spec.choice]
        return discord.ui.Button(
            label=label, style=style, custom_id=f"iln:unmatched:{spec.choice}:{spec.round_id}"
        )

    @classmethod
    def parse(cls, match: Any) -> UnmatchedButton:
        return UnmatchedButton(int(match["round"]), match["choice"])

    @polite
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        program = program_of(interaction)
        spec = self.spec
        if spec.choice == "talk":
            await program.outreach.check(spec.round_id, interaction.user.id)
            await interaction.response.send_modal(TalkForm(spec.round_id))
            return
        await program.outreach.answer(spec.round_id, interaction.user.id, spec.choice)
        outreach = program.content.messages.outreach
        await answer(interaction, outreach.keep_ack if spec.choice == "keep" else outreach.trio_ack)


class TalkForm(PoliteModal, title="Talk to a coordinator"):
    text = text_field(
        "Anything to tell them? (optional)",
        "text",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=MESSAGE_LIMIT,
    )

    def __init__(self, round_id: int) -> None:
        super().__init__(custom_id=f"iln:unmatched:form:{round_id}")
        self.round_id = round_id

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        program = program_of(interaction)
        await program.outreach.talk(
            self.round_id,
            interaction.user.id,
            interaction.user.display_name,
            field_value(self.text),
        )
        await answer(interaction, program.content.messages.outreach.talk_ack)
        await program.run_due()


DYNAMIC_ITEMS = (UnmatchedItem,)


async def setup(bot: ILNBot) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)


async def teardown(bot: ILNBot) -> None:
    bot.remove_dynamic_items(*DYNAMIC_ITEMS)
