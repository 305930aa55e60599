"""Live discussions: the Discord scheduled event itself, its announcements, the reminders to
the members who pressed *Interested*, and the notes when it starts and ends.

Where a note goes is decided when it is sent: the topic's cohort thread once it exists,
else the announcements channel (the ``target`` of these posts is that fallback).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import ClassVar, Literal

from bot.posts import limits
from bot.posts._text import hashtags, mentions, when
from bot.posts.base import (
    ActionContext,
    AnnouncementsTarget,
    Post,
    Receipt,
    RenderContext,
    ThreadTarget,
    Work,
)
from bot.services.ports import Draft, EventSpec
from bot.store.effects import Effect, Enqueue, Scheduled, SetDiscordEvent
from bot.store.models import LiveEvent, RoundTopic

log = logging.getLogger(__name__)

Change = Literal["scheduled", "moved", "cancelled"]
Note = Literal["scheduled", "moved", "cancelled", "started", "ended"]
Window = Literal["day", "hour"]
# Each reminder is due this long before the start and stands until the next one is due.
REMINDER_LEAD: dict[Window, timedelta] = {"day": timedelta(days=1), "hour": timedelta(hours=1)}
# A mention is at most 22 characters; 50 of them leave room for the text in 2,000.
MENTIONS_PER_MESSAGE = 50


def event_marker(event_id: int) -> str:
    """Ends the event's description, so the event is found again after a retried request."""
    return f"(ILN live discussion {event_id})"


def event_name(topic: RoundTopic) -> str:
    return limits.shorten(f"Live discussion: {topic.title}", 100)


def event_link(guild_id: int, discord_event_id: int) -> str:
    return f"https://discord.com/events/{guild_id}/{discord_event_id}"


def event_spec(event: LiveEvent, topic: RoundTopic) -> EventSpec:
    marker = event_marker(event.id)
    summary = limits.shorten(topic.summary, 1000 - len(marker) - 2)
    return EventSpec(
        marker=marker,
        name=event_name(topic),
        description=f"{summary}\n\n{marker}",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        kind=event.place_kind,
        channel_id=event.channel_id,
        location=event.location,
    )


def place_text(event: LiveEvent) -> str:
    if event.channel_id is not None:
        return f"<#{event.channel_id}>"
    return event.location or "online"


class SyncEvent(Work):
    """Make the Discord event match the store (create, move or cancel it); once done, the
    change is announced. Creating first looks for the event by its marker, so a request
    Discord carried out but answered with an error never makes a second event."""

    kind: Literal["sync_event"] = "sync_event"
    event: ClassVar[str] = "event_synced"
    event_id: int
    revision: int
    change: Change

    @property
    def key(self) -> str:
        return f"ev{self.event_id}:sync:{self.revision}"

    async def perform(self, context: ActionContext, nonce: str) -> Receipt | None:
        store, port = context.render.store, context.render.port
        event = await store.events.get(self.event_id)
        if event is None:
            return None
        if event.status == "cancelled":
            if event.discord_event_id is None:
                return None  # never reached Discord: nothing to cancel or announce
            await port.cancel_scheduled_event(event.discord_event_id)
            return Receipt(channel_id=event.discord_event_id)
        if event.status != "scheduled":
            return None  # it started meanwhile: Discord's times stand
        topic = await context.render.reads.topic(event.topic_id)
        if topic is None:
            return None
        spec = event_spec(event, topic)
        if event.discord_event_id is None:
            discord_id = await port.ensure_scheduled_event(spec)
        else:
            discord_id = event.discord_event_id
            await port.edit_scheduled_event(discord_id, spec)
        # The receipt's channel_id carries the Discord event's id, as OpenSpace's carries
        # the space it made.
        return Receipt(channel_id=discord_id)

    def effects(self, receipt: Receipt, now: datetime) -> Sequence[Effect]:
        if receipt.channel_id is None:
            return ()
        notes = [
            Scheduled(
                EventNote(
                    event_id=self.event_id, note=self.change, revision=self.revision, place=place
                ),
                now,
            )
            for place in ("announcements", "thread")
        ]
        return (SetDiscordEvent(self.event_id, receipt.channel_id), Enqueue(tuple(notes)))


class _EventPost(Post):
    """A post about a live discussion: in its topic's cohort thread when ``in_thread`` and
    the thread exists, otherwise in the announcements channel."""

    target: AnnouncementsTarget = AnnouncementsTarget()
    event_id: int

    def in_thread(self) -> bool:
        return True

    async def perform(self, context: ActionContext, nonce: str) -> Receipt | None:
        drafts = await self.drafts(context.render)
        if not drafts:
            return None
        event = await context.render.store.events.get(self.event_id)
        topic = await context.render.reads.topic(event.topic_id) if event else None
        thread = topic.cohort_thread_id if topic else None
        if not self.in_thread() or thread is None:
            if not self.falls_back():
                return None
            target: AnnouncementsTarget | ThreadTarget = AnnouncementsTarget()
        else:
            target = ThreadTarget(thread_id=thread)
        receipt = Receipt()
        for number, draft in enumerate(drafts):
            # One nonce per message, so a retry of a reminder in parts resends none twice.
            part_nonce = nonce if number == 0 else f"{nonce[:21]}p{number:03d}"
            receipt = await context.deliver(target, limits.fit(draft), part_nonce)
        return receipt

    def falls_back(self) -> bool:
        """Whether it goes to the announcements channel when the topic has no thread."""
        return True

    async def drafts(self, context: RenderContext) -> list[Draft]:
        draft = await self.render(context)
        return [] if draft is None else [draft]

    async def _event(self, context: RenderContext) -> tuple[LiveEvent, RoundTopic] | None:
        event = await context.store.events.get(self.event_id)
        if event is None:
            return None
        topic = await context.reads.topic(event.topic_id)
        return None if topic is None else (event, topic)


class EventNote(_EventPost):
    """A change to a live discussion, told in the announcements channel and (``place``
    "thread") in the topic's cohort thread: scheduled, moved, cancelled, started, ended."""

    kind: Literal["event_note"] = "event_note"
    event: ClassVar[str] = "event_note_posted"
    note: Note
    revision: int = 0
    place: Literal["announcements", "thread"] = "thread"

    @property
    def key(self) -> str:
        return f"ev{self.event_id}:{self.place}:{self.note}:{self.revision}"

    def in_thread(self) -> bool:
        return self.place == "thread"

    def falls_back(self) -> bool:
        # The announcement already tells the channel of a change; only start and end
        # notes need a home when the topic has no thread yet.
        return self.place == "announcements" or self.note in ("started", "ended")

    async def render(self, context: RenderContext) -> Draft | None:
        found = await self._event(context)
        if found is None:
            return None
        event, topic = found
        superseded = self.note == "moved" and event.revision != self.revision
        if self.note in ("scheduled", "moved") and (event.status == "cancelled" or superseded):
            return None  # a later change says it better
        tags = hashtags(topic.hashtags, [context.config.hashtags.program])
        link = (
            event_link(context.config.discord.guild_id, event.discord_event_id)
            if event.discord_event_id
            else ""
        )
        length = _length(event)
        place = place_text(event)
        texts = {
            "scheduled": (
                f"**Live discussion: {topic.title}**\n{when(event.starts_at)}, {length}, in "
                f"{place}. Everyone is welcome, whether or not you are in a partnership. "
                "Press **Interested** on the event and I will remind you a day and an hour "
                f"before.\n{link}\nShare what you learn with {tags}"
            ),
            "moved": (
                f"**The live discussion on {topic.title} has moved** to {when(event.starts_at)}"
                f", {length}, in {place}. If you pressed Interested, you will be reminded of "
                f"the new time.\n{link}"
            ),
            "cancelled": (
                f"**The live discussion on {topic.title}** planned for "
                f"{when(event.starts_at)} **is cancelled**. Sorry! The conversation goes on "
                "in the topic's cohort thread."
            ),
            "started": (
                f"**The live discussion on {topic.title} has started**: join us in {place}. {link}"
            ),
            "ended": (
                f"**The live discussion on {topic.title} has ended.** Thank you to everyone "
                f"who joined! Carry on the conversation here, and share it with {tags}."
            ),
        }
        return Draft(content=texts[self.note].strip())


class EventReminder(_EventPost):
    """A day or an hour before: the members who pressed *Interested* (read from Discord when
    it is sent), mentioned in the topic's cohort thread. One reminder per window and start
    time (the key), so a restart never sends it twice, and a moved event is reminded of
    its new time. A reminder that is late past the next one's time is no longer sent."""

    kind: Literal["event_reminder"] = "event_reminder"
    event: ClassVar[str] = "event_reminder_sent"
    window: Window
    starts_at: datetime

    @property
    def key(self) -> str:
        return f"ev{self.event_id}:remind:{self.window}:{int(self.starts_at.timestamp())}"

    def stands_until(self) -> datetime:
        return self.starts_at - (REMINDER_LEAD["hour"] if self.window == "day" else timedelta())

    async def drafts(self, context: RenderContext) -> list[Draft]:
        found = await self._event(context)
        if found is None:
            return []
        event, topic = found
        if (
            event.status != "scheduled"
            or event.starts_at != self.starts_at
            or event.discord_event_id is None
            or context.clock.now() >= self.stands_until()
        ):
            return []
        members = await context.port.interested(event.discord_event_id)
        if not members:
            return []
        soon = "tomorrow" if self.window == "day" else "in an hour"
        text = (
            f"Reminder: the live discussion on **{topic.title}** starts {soon}, "
            f"{when(event.starts_at)}, in {place_text(event)}."
        )
        return [
            Draft(content=f"{mentions(group)} {text}", mention_ids=tuple(group))
            for group in _groups(members, MENTIONS_PER_MESSAGE)
        ]

    async def render(self, context: RenderContext) -> Draft | None:
        drafts = await self.drafts(context)
        return drafts[0] if drafts else None


def _groups(members: Sequence[int], size: int) -> list[list[int]]:
    return [list(members[start : start + size]) for start in range(0, len(members), size)]


def _length(event: LiveEvent) -> str:
    minutes = int((event.ends_at - event.starts_at).total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} minutes"
    text = f"{hours} hour{'s' if hours > 1 else ''}"
    return f"{text} {rest} minutes" if rest else text
