"""`/topic`: the current discussion topic and past ones; `/topic-plan`: coordinators' changes."""

from __future__ import annotations

from datetime import date
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ILNBot
from bot.domain.away import parse_local_date
from bot.domain.calendar import format_local_date
from bot.posts.topics import topic_embed
from bot.services.topics import BODY_BUDGET
from bot.store.models import RoundTopic
from cogs._shared import (
    PoliteModal,
    answer,
    coordinator_only,
    field_value,
    program_of,
    text_field,
)


class TopicCommands(commands.GroupCog, group_name="topic"):
    """Discussion topics: in every private space and in the cohort forum."""

    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @app_commands.command(name="current")
    async def current(self, interaction: discord.Interaction[Any]) -> None:
        """Show the current discussion topic and its cohort-wide thread."""
        program = program_of(interaction)
        topic = await program.topics.current()
        config = program.config
        desk = await program.port.desk_forum() if config.desks.hashtag in topic.hashtags else None
        embed = discord.Embed.from_dict(
            topic_embed(topic, program_tag=config.hashtags.program, desk_forum=desk)
        )
        if topic.cohort_thread_id:
            link = program.port.channel_link(topic.cohort_thread_id)
            embed.add_field(name="Cohort discussion", value=f"Everyone is talking here: {link}")
        await answer(interaction, embed=embed)

    @app_commands.command(name="list")
    async def list_topics(self, interaction: discord.Interaction[Any]) -> None:
        """List this round's topics: posted ones with their threads, and what is coming."""
        program = program_of(interaction)
        lines = [_line(program.port.channel_link, topic) for topic in await program.topics.all()]
        await answer(interaction, "\n".join(lines)[:2000] or "This round has no topics yet.")


@coordinator_only()
class TopicPlanCommands(
    commands.GroupCog,
    group_name="topic-plan",
    group_description="(Coordinators) Add, change, move or post this round's topics",
):
    """Apart from `/topic` because Discord hides or shows a command with all its
    subcommands: partners see `/topic current` and `/topic list`, only coordinators this."""

    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @app_commands.command(name="add")
    @app_commands.describe(on="The day to post it, e.g. 2027-04-12")
    async def add(self, interaction: discord.Interaction[Any], on: str) -> None:
        """(Coordinators) Add a topic to the round on a given day."""
        program = program_of(interaction)
        due_on = parse_local_date(on, program.clock.now().date())
        await program.topics.check_new_date(due_on)
        await interaction.response.send_modal(TopicModal(due_on=due_on))

    @app_commands.command(name="edit")
    @app_commands.describe(number="The topic's number, as in /topic list")
    async def edit(self, interaction: discord.Interaction[Any], number: int) -> None:
        """(Coordinators) Change a topic's wording."""
        topics = {t.position: t for t in await program_of(interaction).topics.all()}
        if number not in topics:
            await answer(interaction, f"There is no topic {number}; `/topic list` shows them.")
            return
        await interaction.response.send_modal(TopicModal(existing=topics[number]))

    @app_commands.command(name="move")
    @app_commands.describe(number="The topic's number", to="The new day, e.g. 2027-04-19")
    async def move(self, interaction: discord.Interaction[Any], number: int, to: str) -> None:
        """(Coordinators) Post a topic on another day."""
        program = program_of(interaction)
        due_on = parse_local_date(to, program.clock.now().date())
        topic = await program.topics.move(number, due_on, interaction.user.id)
        await answer(
            interaction, f"Topic {number} now goes out on {format_local_date(topic.due_on)}."
        )

    @app_commands.command(name="post-now")
    @app_commands.describe(number="The topic's number")
    async def post_now(self, interaction: discord.Interaction[Any], number: int) -> None:
        """(Coordinators) Post a topic to every space and the forum right away."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        program = program_of(interaction)
        topic, spaces = await program.topics.post_now(number, interaction.user.id)
        await program.run_due()
        await answer(interaction, f"Posted **{topic.title}** to {spaces} spaces and the forum.")


class TopicModal(PoliteModal):
    """Title, summary and text of a topic: too long for slash-command options."""

    def __init__(self, *, due_on: date | None = None, existing: RoundTopic | None = None) -> None:
        super().__init__(title="Edit topic" if existing else "New topic", timeout=600)
        self.due_on = due_on
        self.existing = existing
        self.topic_title = text_field(
            "Title", "title", existing.title if existing else None, max_length=100
        )
        self.summary = text_field(
            "One-sentence summary",
            "summary",
            existing.summary if existing else None,
            max_length=200,
        )
        self.body = text_field(
            "Text",
            "body",
            existing.body if existing else None,
            style=discord.TextStyle.paragraph,
            max_length=BODY_BUDGET,
        )
        for item in (self.topic_title, self.summary, self.body):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        topics = program_of(interaction).topics
        title, summary, body = (field_value(f) for f in (self.topic_title, self.summary, self.body))
        if self.existing is not None:
            topic = await topics.edit(
                self.existing.position,
                interaction.user.id,
                title=title,
                summary=summary,
                body=body,
            )
            await answer(interaction, f"Topic {topic.position} updated.")
            return
        assert self.due_on is not None
        topic = await topics.add(title, summary, body, self.due_on, interaction.user.id)
        when = format_local_date(topic.due_on)
        await answer(interaction, f"Added topic {topic.position}, **{topic.title}**, for {when}.")


def _line(link: Any, topic: RoundTopic) -> str:
    when = format_local_date(topic.due_on)
    if topic.posted_at is None:
        return f"{topic.position}. {topic.title} (coming {when})"
    thread = f" – {link(topic.cohort_thread_id)}" if topic.cohort_thread_id else ""
    return f"{topic.position}. **{topic.title}** (posted {when}){thread}"


async def setup(bot: ILNBot) -> None:
    await bot.add_cog(TopicCommands(bot), guild=bot.guild_object)
    await bot.add_cog(TopicPlanCommands(bot), guild=bot.guild_object)
