"""`/event`: live discussions of a topic, held as Discord scheduled events; and Discord's
own status changes (start, end), heard over the gateway."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ILNBot
from bot.discord_adapter import EVENT_STATES
from bot.domain.zones import zone as zone_named
from bot.posts._text import discord_time
from bot.posts._text import when as shown
from bot.posts.events import event_link, place_text
from bot.services.events import Planned
from bot.services.ports import DiscordError
from bot.store.models import LiveEvent, RoundTopic
from cogs._shared import answer, coordinator_only, program_of

log = logging.getLogger(__name__)
CHOICES = 25  # Discord's limit on autocomplete choices


class EventCommands(commands.GroupCog, group_name="event"):
    """Live discussions of a topic, as server events members can mark Interested."""

    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @app_commands.command(name="schedule")
    @coordinator_only()
    @app_commands.describe(
        topic="The topic to discuss (its number or title)",
        when="Day and your local time, e.g. 2027-03-03 19:00 (suggestions suit most partners)",
        length="How long, e.g. 60, 90m or 1h30 (default: one hour)",
        where="A voice or stage channel, or a link for a discussion held elsewhere",
    )
    async def schedule(
        self,
        interaction: discord.Interaction[Any],
        topic: str,
        when: str,
        length: str | None = None,
        where: str | None = None,
    ) -> None:
        """(Coordinators) Schedule a live discussion of a topic as a server event."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        program = program_of(interaction)
        planned = await program.events.schedule(topic, when, length, where, interaction.user.id)
        await program.run_due()
        await answer(interaction, await self._planned(planned, when, "Scheduled"))

    @app_commands.command(name="move")
    @coordinator_only()
    @app_commands.describe(
        event="The live discussion to move",
        when="The new day and your local time, e.g. 2027-03-04 19:00",
        length="A new length, e.g. 90m (default: as it was)",
    )
    async def move(
        self,
        interaction: discord.Interaction[Any],
        event: int,
        when: str,
        length: str | None = None,
    ) -> None:
        """(Coordinators) Move a live discussion to another time."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        program = program_of(interaction)
        planned = await program.events.move(event, when, length, interaction.user.id)
        await program.run_due()
        await answer(interaction, await self._planned(planned, when, "Moved"))

    @app_commands.command(name="cancel")
    @coordinator_only()
    @app_commands.describe(event="The live discussion to cancel")
    async def cancel(self, interaction: discord.Interaction[Any], event: int) -> None:
        """(Coordinators) Cancel a live discussion; members are told."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        program = program_of(interaction)
        cancelled, topic = await program.events.cancel(event, interaction.user.id)
        await program.run_due()
        await answer(
            interaction,
            f"Cancelled the live discussion on **{topic.title}** planned for "
            f"{shown(cancelled.starts_at)}; the announcements channel and the topic's "
            "thread say so.",
        )

    @app_commands.command(name="list")
    async def list_events(self, interaction: discord.Interaction[Any]) -> None:
        """List the live discussions coming up, in your own time."""
        program = program_of(interaction)
        guild_id = program.config.discord.guild_id
        lines = []
        for event, topic in await program.events.upcoming():
            link = (
                f" {event_link(guild_id, event.discord_event_id)}" if event.discord_event_id else ""
            )
            status = " (happening now)" if event.status == "active" else ""
            lines.append(
                f"- **{topic.title}**{status}: {shown(event.starts_at)} in "
                f"{place_text(event)} (event {event.id}){link}"
            )
        text = "\n".join(lines) or "No live discussions are planned yet."
        await answer(interaction, text[:2000])

    # Suggestions -------------------------------------------------------------------------

    @schedule.autocomplete("topic")
    async def _topics(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        topics = await _quietly(program_of(interaction).events.topics(), [])
        wanted = current.strip().lower()
        return [
            app_commands.Choice(name=f"{t.position}. {t.title}"[:100], value=str(t.position))
            for t in topics
            if wanted in f"{t.position}. {t.title}".lower()
        ][:CHOICES]

    @schedule.autocomplete("when")
    async def _suggested_times(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """The two hours of the topic's week that suit most partners, in the coordinator's
        own time; what they typed so far stays the first choice."""
        program = program_of(interaction)
        typed = [app_commands.Choice(name=current[:100], value=current[:100])] if current else []
        topic_text = str(getattr(interaction.namespace, "topic", "") or "")
        if not topic_text:
            return typed
        try:
            topic = await program.events.topic(topic_text)
            suggestions = await program.events.suggestions(topic)
            zone, _ = await program.events.zone_of(interaction.user.id)
        except Exception:  # a suggestion that cannot be made is simply not offered
            log.debug("no time suggestions for %r", topic_text, exc_info=True)
            return typed
        choices = []
        for hour in suggestions:
            local = hour.starts_at.astimezone(zone_named(zone))
            name = f"{local:%a %d %b %Y %H:%M} your time ({zone}): suits {hour.suits} of {hour.of}"
            choices.append(app_commands.Choice(name=name[:100], value=f"{local:%Y-%m-%d %H:%M}"))
        return (typed + choices)[:CHOICES]

    @schedule.autocomplete("where")
    async def _places(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        channels = await _quietly(program_of(interaction).events.channels(), [])
        wanted = current.strip().lower().lstrip("#")
        choices = []
        for channel in channels:
            if wanted and wanted not in channel.name.lower():
                continue
            note = f" (the bot needs {', '.join(channel.missing)})" if channel.missing else ""
            name = f"{channel.kind} channel: {channel.name}{note}"
            choices.append(app_commands.Choice(name=name[:100], value=str(channel.id)))
        if current.lower().startswith(("http://", "https://")):
            choices.insert(0, app_commands.Choice(name=current[:100], value=current[:100]))
        return choices[:CHOICES]

    @move.autocomplete("event")
    @cancel.autocomplete("event")
    async def _events(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[int]]:
        program = program_of(interaction)
        upcoming = await _quietly(program.events.upcoming(), [])
        fallback = (program.config.program.timezone, False)
        zone, _ = await _quietly(program.events.zone_of(interaction.user.id), fallback)
        choices = []
        for event, topic in upcoming:
            if event.status != "scheduled":
                continue
            local = event.starts_at.astimezone(zone_named(zone))
            name = f"{topic.title}, {local:%a %d %b %H:%M} ({zone})"
            if current.strip().lower() in name.lower() or current.strip() == str(event.id):
                choices.append(app_commands.Choice(name=name[:100], value=event.id))
        return choices[:CHOICES]

    # Discord's own changes ---------------------------------------------------------------

    @commands.Cog.listener()
    async def on_scheduled_event_update(
        self, before: discord.ScheduledEvent, after: discord.ScheduledEvent
    ) -> None:
        if before.status is not after.status:
            await self._status(after.id, after.status)

    @commands.Cog.listener()
    async def on_scheduled_event_delete(self, event: discord.ScheduledEvent) -> None:
        if await self.bot.program.events.discord_status(event.id, None):
            await self.bot.program.run_due()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """After a restart or a new session, catch up on changes the gateway missed."""
        await self.bot.caught_up.wait()  # the server is set up first (see ILNBot.on_ready)
        try:
            if await self.bot.program.events.reconcile():
                await self.bot.program.run_due()
        except DiscordError as error:
            log.warning("could not catch up on scheduled events: %s", error)

    async def _status(self, event_id: int, status: discord.EventStatus) -> None:
        state = EVENT_STATES.get(status)
        if state is not None and await self.bot.program.events.discord_status(event_id, state):
            await self.bot.program.run_due()

    async def _planned(self, planned: Planned, typed: str, verb: str) -> str:
        program = self.bot.program
        fresh = await program.events.get(planned.event.id) or planned.event
        whose = (
            "your time zone"
            if planned.zone_known
            else "the program's time zone (I do not know yours)"
        )
        text = (
            f"{verb} **Live discussion: {planned.topic.title}** for {shown(fresh.starts_at)}, "
            f"until {discord_time(fresh.ends_at, 't')}, in {place_text(fresh)}. I read "
            f"“{typed.strip()}” in {planned.zone}, {whose}; everyone sees the time in their own."
        )
        return text + _confirmation(program.config.discord.guild_id, fresh, planned.topic)


def _confirmation(guild_id: int, event: LiveEvent, topic: RoundTopic) -> str:
    if event.discord_event_id is None:
        return " Discord has not confirmed the event yet; I will keep trying and announce it then."
    return (
        f" It is announced in the announcements channel and the topic's thread: "
        f"{event_link(guild_id, event.discord_event_id)}"
    )


async def _quietly(awaitable: Any, default: Any) -> Any:
    """An autocomplete's data, or ``default`` when it cannot be read (no current round...)."""
    try:
        return await awaitable
    except Exception:
        log.debug("autocomplete data unavailable", exc_info=True)
        return default


async def setup(bot: ILNBot) -> None:
    await bot.add_cog(EventCommands(bot), guild=bot.guild_object)
