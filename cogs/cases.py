"""Cases as coordinators work them (the card's buttons, ``/case list``, ``/case reply``)
and as people open them (``/ask-coordinators``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.posts._text import discord_time
from bot.posts.cases import CaseButton
from bot.services.cases import MESSAGE_LIMIT, NOTE_LIMIT
from bot.services.errors import UserFacingError
from bot.store.models import Case
from bot.ui import PersistentButton, persistent
from cogs._shared import (
    PoliteModal,
    answer,
    coordinator_autocomplete,
    coordinator_only,
    ensure_coordinator,
    field_value,
    polite,
    program_of,
    text_field,
)

if TYPE_CHECKING:
    from bot.client import ILNBot

LISTED = 25
ACTIONS: dict[str, tuple[str, discord.ButtonStyle]] = {
    "take": ("Take it", discord.ButtonStyle.primary),
    "handle": ("Mark handled", discord.ButtonStyle.success),
    "pair": ("Open the pair", discord.ButtonStyle.secondary),
}


@persistent(CaseButton)
class CaseItem(
    PersistentButton[CaseButton], template=r"iln:case:(?P<action>take|handle|pair):(?P<id>\d+)"
):
    @classmethod
    def button(cls, spec: CaseButton) -> discord.ui.Button[Any]:
        label, style = ACTIONS[spec.action]
        return discord.ui.Button(
            label=label, style=style, custom_id=f"iln:case:{spec.action}:{spec.case_id}"
        )

    @classmethod
    def parse(cls, match: Any) -> CaseButton:
        return CaseButton(int(match["id"]), match["action"])

    @polite
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await ensure_coordinator(interaction)
        program = program_of(interaction)
        case_id = self.spec.case_id
        if self.spec.action == "take":
            case = await program.cases.take(case_id, interaction.user.id)
            await answer(interaction, f"You took case {case.id}. Its card shows it now.")
            await program.run_due()
        elif self.spec.action == "handle":
            case = await program.cases.get(case_id)
            if case.state == "handled":
                raise UserFacingError(f"Case {case.id} is handled already.")
            await interaction.response.send_modal(HandleForm(case.id))
        else:
            await answer(interaction, embed=await pair_embed(interaction, case_id))


async def pair_embed(interaction: discord.Interaction[Any], case_id: int) -> discord.Embed:
    """The pair of a case at a glance, with what a coordinator can do about it."""
    program = program_of(interaction)
    case = await program.cases.get(case_id)
    if case.partnership_id is None:
        raise UserFacingError(f"Case {case.id} is about a person, not a partnership.")
    partnership = await program.store.partnerships.get(case.partnership_id)
    if partnership is None:
        raise UserFacingError("That partnership no longer exists.")
    people = await program.store.people.participants(list(partnership.member_ids))
    lines = []
    for member in partnership.members:
        person = people.get(member.participant_id)
        name = person.name if person else f"member {member.participant_id}"
        left = f", left {discord_time(member.left_at, 'R')}" if member.left_at else ""
        lines.append(f"<@{member.participant_id}> {name}{left}")
    space = (
        program.port.channel_link(partnership.channel_id)
        if partnership.channel_id
        else "no space yet"
    )
    embed = discord.Embed(
        title=partnership.name,
        description=(
            "\n".join(lines)
            + f"\nState: {partnership.state.replace('_', ' ')}"
            + f"\nSince: {discord_time(partnership.created_at, 'D')}"
            + f"\nSpace: {space}"
        ),
        colour=0x2E6DA4,
    )
    embed.add_field(
        name="What you can do",
        value=(
            f"`/pair rematch member:` a new partner for one of them\n"
            f"`/pair end pair:{partnership.id}` end it early (with a reason)\n"
            f"`/pair note pair:{partnership.id}` a note for the case\n"
            "`/case reply` (in the case thread) answer a partner privately"
        ),
        inline=False,
    )
    return embed


class HandleForm(PoliteModal, title="Mark the case handled"):
    note = text_field(
        "What was done? (optional, coordinators only)",
        "note",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=NOTE_LIMIT,
    )

    def __init__(self, case_id: int) -> None:
        super().__init__(custom_id=f"iln:case:handled:{case_id}")
        self.case_id = case_id

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await ensure_coordinator(interaction)
        program = program_of(interaction)
        case = await program.cases.handle(self.case_id, interaction.user.id, field_value(self.note))
        await answer(interaction, f"Case {case.id} is marked handled.")
        await program.run_due()


class ReplyForm(PoliteModal, title="Answer privately"):
    text = text_field(
        "Your answer (sent privately)",
        "text",
        style=discord.TextStyle.paragraph,
        max_length=MESSAGE_LIMIT,
    )

    def __init__(self, to: int | None) -> None:
        super().__init__(timeout=900)
        self.to = to

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await ensure_coordinator(interaction)
        program = program_of(interaction)
        _, member = await program.cases.reply(
            interaction.channel_id, interaction.user.id, self.to, field_value(self.text)
        )
        await answer(interaction, f"Your answer to <@{member}> is on its way, privately.")
        await program.run_due()


def case_line(case: Case) -> str:
    where = f"<#{case.thread_id}>" if case.thread_id else "(thread opening)"
    if case.state == "handled":
        status = f"handled {discord_time(case.handled_at, 'R')}" if case.handled_at else "handled"
    elif case.assignee_id:
        status = f"taken by <@{case.assignee_id}>"
    else:
        status = "**not taken**"
    return (
        f"**Case {case.id}** {case.title} · {status} · open since "
        f"{discord_time(case.opened_at, 'R')} · {where}"
    )


@coordinator_only()
class CaseCommands(commands.GroupCog, group_name="case"):
    """Coordinators: cases opened by alerts and by partners' messages."""

    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @app_commands.command(name="list")
    @app_commands.describe(which="open (default), mine (open and taken by you) or all")
    async def list_cases(
        self,
        interaction: discord.Interaction[Any],
        which: Literal["open", "mine", "all"] = "open",
    ) -> None:
        """List cases, oldest first."""
        cases = await program_of(interaction).cases.listed(which, interaction.user.id)
        if not cases:
            empty = {
                "open": "No case is open.",
                "mine": "You have no open case.",
                "all": "There are no cases yet.",
            }
            await answer(interaction, empty[which])
            return
        lines = [case_line(case) for case in cases[:LISTED]]
        if len(cases) > LISTED:
            lines.append(f"…and {len(cases) - LISTED} more.")
        title = {"open": "Open cases", "mine": "Your open cases", "all": "All cases"}[which]
        embed = discord.Embed(
            title=f"{title} ({len(cases)})", description="\n".join(lines)[:4096], colour=0x2E6DA4
        )
        await answer(interaction, embed=embed)

    @app_commands.command(name="reply")
    @app_commands.describe(to="Whom to answer (default: whoever last wrote in this case)")
    async def reply(self, interaction: discord.Interaction[Any], to: str | None = None) -> None:
        """In a case's thread: answer its partner or person privately."""
        program = program_of(interaction)
        case = await program.cases.in_thread(interaction.channel_id)
        member = None if to is None else await program.pairs.find_member(to)
        await program.cases.recipient(case, member)  # refuse before the form, not after
        await interaction.response.send_modal(ReplyForm(member))

    @reply.autocomplete("to")
    async def reply_to_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if not coordinator_autocomplete(interaction):
            return []
        program = program_of(interaction)
        case = await program.store.cases.by_thread(interaction.channel_id or 0)
        if case is None:
            return []
        members = await program.cases.people_of(case)
        people = await program.store.people.participants(members)
        return [
            app_commands.Choice(name=people[m].name if m in people else str(m), value=str(m))
            for m in members
            if current.lower() in (people[m].name.lower() if m in people else str(m))
        ]


class AskForm(PoliteModal, title="Write to the ILN coordinators"):
    text = text_field(
        "Your message (only the coordinators see it)",
        "text",
        style=discord.TextStyle.paragraph,
        min_length=1,
        max_length=MESSAGE_LIMIT,
    )

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        program = program_of(interaction)
        await program.cases.write(
            interaction.user.id,
            interaction.user.display_name,
            field_value(self.text),
            "message",
            required=True,
        )
        await answer(interaction, program.content.messages.cases.ask_thanks)
        await program.run_due()


class AskCoordinators(commands.Cog):
    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @app_commands.command(name="ask-coordinators")
    @app_commands.guild_only()
    async def ask(self, interaction: discord.Interaction[Any]) -> None:
        """Write privately to the coordinators; they answer you by direct message."""
        await interaction.response.send_modal(AskForm(timeout=900))


DYNAMIC_ITEMS = (CaseItem,)


async def setup(bot: ILNBot) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(CaseCommands(bot), guild=bot.guild_object)
    await bot.add_cog(AskCoordinators(bot), guild=bot.guild_object)


async def teardown(bot: ILNBot) -> None:
    bot.remove_dynamic_items(*DYNAMIC_ITEMS)
