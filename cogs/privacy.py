"""``/privacy``: what the bot keeps about people, a person's copy of it, and its erasure.

``notice`` shows the privacy notice (``data/privacy.md``, with the configured retention
periods), which ``/apply form`` also shows before a first application. ``export`` sends
the person, privately, a JSON file of everything held about them. ``delete`` erases it
after they press *Erase my data*; ``delete-for`` does the same for someone who asked a
coordinator (by e-mail, say). Every answer is ephemeral.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.posts import limits
from bot.posts._text import plural
from bot.services.errors import UserFacingError
from bot.services.privacy import Erasure
from bot.ui import FixedButton, button_row
from cogs._apply_form import FORM_TIMEOUT, AboutYouModal, Draft
from cogs._shared import (
    PoliteView,
    answer,
    coordinator_autocomplete,
    ensure_coordinator,
    polite,
    program_of,
)

if TYPE_CHECKING:
    from bot.client import ILNBot
    from bot.services.program import Program

NOTICE_COLOUR = 0x2E6DA4
CONFIRM_SECONDS = 15 * 60  # a confirmation left this long must be asked for again
EXPORT_NAME = "iln-my-data.json"
YOURS = (
    "Your messages in Discord are yours: the bot never stored them and does not touch "
    "them, so they stay where you wrote them, for you to keep or delete."
)


def notice_embed(program: Program) -> discord.Embed:
    title, text = program.privacy.notice()
    return discord.Embed(title=title, description=text, colour=NOTICE_COLOUR)


class NoticeFirst(PoliteView):
    """Under the privacy notice that comes before a first application: the way on to the
    form, which keeps the answers given with ``/apply form`` (in memory, as the form's
    own steps do)."""

    def __init__(self, draft: Draft) -> None:
        super().__init__(timeout=FORM_TIMEOUT)
        self.draft = draft

    @discord.ui.button(label="Continue to the form", style=discord.ButtonStyle.primary)
    async def go_on(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await program_of(interaction).matching.open_round()
        await interaction.response.send_modal(AboutYouModal(self.draft))


class PrivacyCommands(commands.GroupCog, group_name="privacy"):
    """Your data: what the bot keeps about you, a copy of it, or its erasure."""

    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @app_commands.command(name="notice")
    async def notice(self, interaction: discord.Interaction[Any]) -> None:
        """Read what the bot keeps about you, why, for how long, and who sees it."""
        await answer(interaction, embed=notice_embed(program_of(interaction)))

    @app_commands.command(name="export")
    async def export(self, interaction: discord.Interaction[Any]) -> None:
        """Get, privately, a file of everything the bot holds about you."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await program_of(interaction).privacy.export(interaction.user.id)
        lines = "\n".join(f"- {line}" for line in data.summary)
        text = (
            "Here is everything the bot holds about you, in the attached file:\n"
            f"{lines}\n{YOURS} `/privacy delete` erases what the bot holds."
        )
        file = discord.File(io.BytesIO(data.document), filename=EXPORT_NAME)
        await answer(interaction, limits.shorten(text, limits.CONTENT), file=file)

    @app_commands.command(name="delete")
    async def delete(self, interaction: discord.Interaction[Any]) -> None:
        """Erase everything the bot holds about you (you confirm first)."""
        await interaction.response.defer(ephemeral=True, thinking=True)  # check_known reads it all
        program = program_of(interaction)
        member = interaction.user.id
        await program.privacy.check_known(member)
        issued = int(program.clock.now().timestamp())
        await answer(
            interaction,
            "This erases everything the bot holds about you: your applications, "
            "partnerships, check-in answers, time away and messages to the coordinators. "
            "If you are in a partnership, it ends, and your partner is told kindly, "
            "without the reason. It cannot be undone; `/privacy export` gives you a copy "
            f"first. {YOURS}",
            view=button_row((EraseItem(member, issued), KeepItem())),
        )

    @app_commands.command(name="delete-for")
    @app_commands.check(ensure_coordinator)
    @app_commands.describe(member="The person who asked (a name, an id or a mention)")
    async def delete_for(
        self, interaction: discord.Interaction[Any], member: app_commands.Range[str, 1, 100]
    ) -> None:
        """Coordinators: erase a member's data at their request (you confirm first)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        program = program_of(interaction)
        member_id = await program.pairs.find_member(member)
        await program.privacy.check_known(member_id)
        issued = int(program.clock.now().timestamp())
        await answer(
            interaction,
            f"This erases everything the bot holds about <@{member_id}>: do it only when "
            "they asked. A partnership they are in ends, and their partner is told kindly. "
            "The audit log records that a member was erased, not who. It cannot be undone.",
            view=button_row((EraseItem(member_id, issued, for_someone=True), KeepItem())),
        )

    @delete_for.autocomplete("member")
    async def member_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if not coordinator_autocomplete(interaction):
            return []
        choices = await program_of(interaction).privacy.people_choices(current)
        return [app_commands.Choice(name=name, value=value) for name, value in choices]


class EraseItem(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"iln:privacy:erase:(?P<for_someone>self|for):(?P<member>\d+):(?P<issued>\d+)",
):
    """*Erase my data* (or *Erase their data*), the confirmation: good for the person (or a
    coordinator) who asked, for a quarter of an hour."""

    def __init__(self, member_id: int, issued: int, *, for_someone: bool = False) -> None:
        self.member_id = member_id
        self.issued = issued
        self.for_someone = for_someone
        which = "for" if for_someone else "self"
        super().__init__(
            discord.ui.Button(
                label="Erase their data" if for_someone else "Erase my data",
                style=discord.ButtonStyle.danger,
                custom_id=f"iln:privacy:erase:{which}:{member_id}:{issued}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any
    ) -> EraseItem:
        return cls(
            int(match["member"]), int(match["issued"]), for_someone=match["for_someone"] == "for"
        )

    @polite
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        program = program_of(interaction)
        if self.for_someone:
            await ensure_coordinator(interaction)
        elif interaction.user.id != self.member_id:
            raise UserFacingError("Only the person whose data it is can confirm this.")
        if program.clock.now().timestamp() - self.issued > CONFIRM_SECONDS:
            again = "/privacy delete-for" if self.for_someone else "/privacy delete"
            raise UserFacingError(
                f"This confirmation has expired; nothing was erased. Run `{again}` again."
            )
        # An erasure reads every row that could name the person: answer Discord first, so
        # a large database never makes the press miss its three seconds after the erasure
        # was committed.
        await interaction.response.defer()
        if self.for_someone:
            done = await program.privacy.erase(self.member_id, "coordinator", interaction.user.id)
            text = erased_for_text(done)
        else:
            done = await program.privacy.erase(self.member_id, "member", 0)
            text = erased_text(done)
        await interaction.edit_original_response(content=text, view=None)
        await program.run_due()


class KeepItem(FixedButton, fixed_id="iln:privacy:keep"):
    """*Keep it*: nothing is erased, and the confirmation goes away."""

    label = "Keep it"

    @polite
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.edit_message(content="Nothing was erased.", view=None)


def erased_text(done: Erasure) -> str:
    ended = (
        " Your partnership has ended, and your partner was told kindly, without the reason."
        if done.ended
        else ""
    )
    return (
        f"Done: everything the bot held about you is erased.{ended} All it keeps is a coded "
        "note (without your name or id) that you and a past partner are not to be paired "
        "again, and the numbers in its figures. If you apply again, you start afresh. " + YOURS
    )


def erased_for_text(done: Erasure) -> str:
    ended = (
        f" {plural(done.ended, 'partnership')} ended; the partner was told." if done.ended else ""
    )
    return (
        f"Erased.{ended} The audit log has it as reference `{done.reference}`; the "
        "coordinators' channel says which case threads may still quote them."
    )


DYNAMIC_ITEMS = (EraseItem, KeepItem)


async def setup(bot: ILNBot) -> None:
    await bot.add_cog(PrivacyCommands(bot), guild=bot.guild_object)
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
