"""The form behind ``/apply withdraw``.

The command itself is the last one of ``ApplyCommands`` in ``cogs/applications.py``
(Discord puts a subcommand in its group, and that file owns ``/apply``); this module holds
what it opens, so the application form's own file changes by that one command only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.services.cases import MESSAGE_LIMIT
from cogs._shared import PoliteModal, answer, field_value, program_of, text_field

if TYPE_CHECKING:
    from bot.client import ILNBot


class WithdrawForm(PoliteModal, title="Withdraw from the round"):
    """Submitting is the confirmation (Cancel closes it with nothing done)."""

    message = text_field(
        "Anything to tell the coordinators? (optional)",
        "message",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=MESSAGE_LIMIT,
    )

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        program = program_of(interaction)
        outcome = await program.withdrawals.withdraw(
            interaction.user.id, interaction.user.display_name, field_value(self.message)
        )
        if outcome == "withdrawn":
            text = (
                "Your application is withdrawn. While applications are open you can apply "
                "again with `/apply form`."
            )
        else:
            text = (
                "Matching has already happened, so the coordinators have your request and "
                "will contact you privately to arrange it."
            )
        await answer(interaction, text)
        await program.run_due()


async def open_withdraw_form(interaction: discord.Interaction[Any]) -> None:
    """Refuse at once when there is nothing to withdraw; otherwise show the form."""
    await program_of(interaction).withdrawals.check(interaction.user.id)
    await interaction.response.send_modal(WithdrawForm(timeout=900))


async def setup(bot: ILNBot) -> None:
    """Nothing to register: the command lives in the ``/apply`` group."""
