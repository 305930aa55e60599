"""An in-memory Discord for the offline simulation.

:class:`RecordingDiscord` implements :class:`bot.services.ports.DiscordPort` with dicts and
a counter: it keeps channels, threads, categories and messages, drops a resend with a nonce
it has seen (as Discord does with ``enforce_nonce``), refuses direct messages for chosen
members, and returns the scripted partners' messages from :meth:`history_after`. What it
does to the "server" (spaces opened and closed, refused DMs) is reported as
:class:`TimelineEvent` at the clock's time; posts are reported by the runner, which knows
their outbox kind.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from typing import Literal

from bot.clock import Clock
from bot.services.ports import (
    DirectMessagesClosed,
    DiscordError,
    Draft,
    EventChannel,
    EventSpec,
    EventState,
    ForumPost,
    SeenMessage,
    SpaceKind,
)

GUILD_CHANNEL_LIMIT = 500
BOT_ID = 1
FIRST_ID = 1_000

ChannelKind = Literal["category", "text", "forum", "thread", "dm", "voice"]
LIVE_CHANNEL = "Live discussions"


@dataclass(frozen=True)
class TimelineEvent:
    """One line of the simulation's timeline.

    ``channel_id`` lets the runner name the partnership of an event the recorder saw before
    the store linked the space to it.
    """

    at: datetime
    kind: str
    partnership: int | None
    detail: str
    channel_id: int | None = None


@dataclass
class Channel:
    id: int
    kind: ChannelKind
    name: str
    parent_id: int | None = None
    marker: str = ""
    members: tuple[int, ...] = ()
    state: Literal["open", "archived", "kept_open"] = "open"
    message_ids: list[int] = field(default_factory=list)


@dataclass
class Event:
    """A scheduled event on the simulated server, and who pressed Interested."""

    id: int
    spec: EventSpec
    state: EventState = "scheduled"
    interested: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Message:
    id: int
    channel_id: int
    author_id: int
    at: datetime
    draft: Draft


EventSink = Callable[[TimelineEvent], None]


def moment_text(at: datetime, zone: tzinfo) -> str:
    """A moment as the timeline's texts give it: ``2027-03-01 08:00 UTC`` in ``zone``."""
    local = at.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local:%Z}"


class RecordingDiscord:
    """A DiscordPort that records instead of talking to Discord."""

    def __init__(
        self,
        clock: Clock,
        sink: EventSink,
        *,
        guild_id: int = 1,
        dms_closed: Collection[int] = (),
        zone: tzinfo = UTC,
    ) -> None:
        self._clock = clock
        self._zone = zone
        self._sink = sink
        self._guild_id = guild_id
        self._dms_closed = frozenset(dms_closed)
        self._ids = itertools.count(FIRST_ID)
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self._nonces: dict[str, int] = {}
        self._threads_by_nonce: dict[str, int] = {}
        self._dm_channels: dict[int, int] = {}
        self.waitlist: set[int] = set()
        self._waitlist_role_id: int | None = None
        self.coordinators_channel = self._create("text", "iln-coordinators")
        self.announcements_channel = self._create("text", "iln-announcements")
        self.forum = self._create("forum", "iln-discussions")
        self.desk_forum_id = self._create("forum", "welcometomydesk")
        self.voice_channel = self._create("voice", LIVE_CHANNEL)
        self.events: dict[int, Event] = {}

    # Reading what happened ------------------------------------------------------------------

    def message(self, message_id: int) -> Message:
        return self.messages[message_id]

    # Scripted partners ----------------------------------------------------------------------

    def post_as_member(self, channel_id: int, author_id: int, at: datetime) -> int:
        """A partner writes in their space at ``at``; the message id, as on_message sees it."""
        return self._store_message(channel_id, author_id, Draft(content="(partner message)"), at)

    def is_open(self, channel_id: int) -> bool:
        """Whether partners can write in the space (not yet closed by the bot)."""
        return self.channels[channel_id].state == "open"

    def refuse_direct_messages(self, user_ids: Collection[int]) -> None:
        """From now on these members do not accept direct messages."""
        self._dms_closed = frozenset(user_ids)

    # DiscordPort ----------------------------------------------------------------------------

    async def free_channel_slots(self) -> int:
        guild_channels = [c for c in self.channels.values() if c.kind not in ("thread", "dm")]
        return GUILD_CHANNEL_LIMIT - len(guild_channels)

    async def ensure_container(self, round_name: str, number: int, kind: SpaceKind) -> int:
        suffix = "" if number == 1 else f" {number}"
        name = f"{round_name} partners{suffix}"
        channel_kind: ChannelKind = "category" if kind == "channel" else "text"
        for channel in self.channels.values():
            if channel.kind == channel_kind and channel.name == name:
                return channel.id
        return self._create(channel_kind, name)

    async def ensure_space(
        self, container_id: int, kind: SpaceKind, name: str, marker: str, members: Sequence[int]
    ) -> int:
        for channel in self.channels.values():
            if channel.parent_id == container_id and (
                channel.marker == marker if kind == "channel" else channel.name == name
            ):
                return channel.id  # adopted, as the live adapter does after a restart
        channel_kind: ChannelKind = "text" if kind == "channel" else "thread"
        space_id = self._create(
            channel_kind,
            name,
            parent_id=container_id,
            marker=marker if kind == "channel" else "",
            members=tuple(members),
        )
        self._emit("space_created", f"#{name} ({kind})", space_id)
        return space_id

    async def send(self, channel_id: int, draft: Draft, nonce: str) -> int:
        if nonce in self._nonces:
            return self._nonces[nonce]
        if channel_id not in self.channels:
            raise KeyError(f"unknown channel {channel_id}")
        message_id = self._store_message(channel_id, BOT_ID, draft)
        self._nonces[nonce] = message_id
        return message_id

    async def send_direct(self, user_id: int, draft: Draft, nonce: str) -> int:
        if user_id in self._dms_closed:
            self._emit("dm_refused", f"<@{user_id}> does not accept direct messages", None)
            raise DirectMessagesClosed(user_id)
        if user_id not in self._dm_channels:
            self._dm_channels[user_id] = self._create("dm", f"dm-{user_id}", members=(user_id,))
        return await self.send(self._dm_channels[user_id], draft, nonce)

    async def send_to_coordinators(self, draft: Draft, nonce: str) -> int:
        return await self.send(self.coordinators_channel, draft, nonce)

    async def program_channel(self, which: Literal["coordinators", "announcements"]) -> int:
        if which == "coordinators":
            return self.coordinators_channel
        return self.announcements_channel

    async def find_sent(self, channel_id: int, draft: Draft, since: datetime) -> int | None:
        channel = self.channels.get(channel_id)
        found = [
            self.messages[i]
            for i in (channel.message_ids if channel else [])
            if self.messages[i].author_id == BOT_ID
            and self.messages[i].draft == draft
            and self.messages[i].at >= since
        ]
        return found[0].id if found else None

    async def find_sent_direct(self, user_id: int, draft: Draft, since: datetime) -> int | None:
        channel_id = self._dm_channels.get(user_id)
        return None if channel_id is None else await self.find_sent(channel_id, draft, since)

    async def send_announcement(self, draft: Draft, nonce: str) -> int:
        return await self.send(self.announcements_channel, draft, nonce)

    async def open_cohort_thread(self, title: str, draft: Draft, nonce: str) -> tuple[int, int]:
        if nonce in self._threads_by_nonce:
            thread_id = self._threads_by_nonce[nonce]
            return thread_id, self.channels[thread_id].message_ids[0]
        thread_id = self._create("thread", title[:100], parent_id=self.forum)
        self._threads_by_nonce[nonce] = thread_id
        return thread_id, await self.send(thread_id, draft, nonce)

    async def open_case(self, title: str, marker: str, draft: Draft, nonce: str) -> tuple[int, int]:
        for channel in self.channels.values():
            if channel.parent_id == self.coordinators_channel and channel.name == title[:100]:
                return channel.id, channel.id
        card = await self.send(self.coordinators_channel, draft, nonce)
        # A thread started from a message shares its id, as on Discord.
        self.channels[card] = Channel(card, "thread", title[:100], self.coordinators_channel)
        return card, card

    async def edit_case_card(self, thread_id: int, draft: Draft) -> None:
        card = self.messages[thread_id]
        self.messages[thread_id] = replace(card, draft=draft)

    async def private_thread(self, user_id: int) -> int:
        name = f"ILN coordinators and member {user_id}"
        for channel in self.channels.values():
            if channel.parent_id == self.announcements_channel and channel.name == name:
                return channel.id
        return self._create(
            "thread", name, parent_id=self.announcements_channel, members=(user_id,)
        )

    async def close_space(
        self, space_id: int, kind: SpaceKind, members: Sequence[int], keep_open: bool
    ) -> None:
        channel = self.channels[space_id]
        if channel.state != "open":
            return
        channel.state = "kept_open" if keep_open else "archived"
        self._emit(f"space_{channel.state}", f"#{channel.name} ({kind})", space_id)

    async def remove_member(self, space_id: int, kind: SpaceKind, member_id: int) -> None:
        channel = self.channels[space_id]
        channel.members = tuple(m for m in channel.members if m != member_id)

    async def history_after(self, space_id: int, after_message_id: int | None) -> list[SeenMessage]:
        channel = self.channels.get(space_id)
        if channel is None:
            return []
        after = after_message_id or 0
        return [
            SeenMessage(message.id, message.author_id, message.at)
            for message in (self.messages[i] for i in channel.message_ids if i > after)
            if message.author_id != BOT_ID
        ]

    async def set_waitlist_role(self, user_id: int, on: bool) -> bool:
        if on:
            self.waitlist.add(user_id)
        else:
            self.waitlist.discard(user_id)
        return True

    async def waitlist_role(self) -> int:
        if self._waitlist_role_id is None:
            self._waitlist_role_id = next(self._ids)
        return self._waitlist_role_id

    def channel_link(self, channel_id: int) -> str:
        return f"https://discord.com/channels/{self._guild_id}/{channel_id}"

    # Live discussions and desks ----------------------------------------------------------

    async def event_channels(self) -> list[EventChannel]:
        return [
            EventChannel(c.id, c.name, "voice") for c in self.channels.values() if c.kind == "voice"
        ]

    async def missing_event_permissions(self) -> tuple[str, ...]:
        return ()

    async def ensure_scheduled_event(self, spec: EventSpec) -> int:
        for event in self.events.values():
            if event.spec.marker == spec.marker:
                return event.id
        event_id = next(self._ids)
        self.events[event_id] = Event(event_id, spec)
        self._emit(
            "event_created", f"{spec.name} at {moment_text(spec.starts_at, self._zone)}", None
        )
        return event_id

    async def edit_scheduled_event(self, event_id: int, spec: EventSpec) -> None:
        self._event(event_id).spec = spec

    async def cancel_scheduled_event(self, event_id: int) -> None:
        event = self._event(event_id)
        if event.state == "scheduled":
            event.state = "cancelled"

    async def scheduled_event_state(self, event_id: int) -> EventState | None:
        event = self.events.get(event_id)
        return None if event is None else event.state

    async def interested(self, event_id: int) -> list[int]:
        return sorted(self._event(event_id).interested)

    async def desk_forum(self) -> int:
        return self.desk_forum_id

    async def desk_posts(self) -> list[ForumPost]:
        return [
            ForumPost(c.id, c.members[0], self.messages[c.message_ids[0]].at)
            for c in self.channels.values()
            if c.parent_id == self.desk_forum_id and c.members and c.message_ids
        ]

    # Scripted members: the events and desks -------------------------------------------------

    def mark_interested(self, event_id: int, member_id: int) -> None:
        event = self._event(event_id)
        if member_id not in event.interested:
            event.interested.append(member_id)

    def set_event_state(self, event_id: int, state: EventState) -> None:
        """The host starts the event, or Discord ends it when the last person leaves."""
        self._event(event_id).state = state

    def open_desk_post(self, author_id: int, at: datetime) -> int:
        """A member opens a post with a photo in the desk forum; the thread's id."""
        thread_id = self._create(
            "thread", "my desk", parent_id=self.desk_forum_id, members=(author_id,)
        )
        self._store_message(thread_id, author_id, Draft(content="(a photo of a desk)"), at)
        return thread_id

    def _event(self, event_id: int) -> Event:
        if event_id not in self.events:
            raise DiscordError(f"unknown event {event_id}", transient=False)
        return self.events[event_id]

    # Plumbing -------------------------------------------------------------------------------

    def _create(
        self,
        kind: ChannelKind,
        name: str,
        *,
        parent_id: int | None = None,
        marker: str = "",
        members: tuple[int, ...] = (),
    ) -> int:
        channel_id = next(self._ids)
        self.channels[channel_id] = Channel(channel_id, kind, name, parent_id, marker, members)
        return channel_id

    def _store_message(
        self, channel_id: int, author_id: int, draft: Draft, at: datetime | None = None
    ) -> int:
        # One counter for every id keeps message ids increasing with time, like snowflakes,
        # which is what "history after message X" relies on.
        message_id = next(self._ids)
        self.messages[message_id] = Message(
            message_id, channel_id, author_id, at or self._clock.now(), draft
        )
        self.channels[channel_id].message_ids.append(message_id)
        return message_id

    def _emit(self, kind: str, detail: str, channel_id: int | None) -> None:
        self._sink(TimelineEvent(self._clock.now(), kind, None, detail, channel_id))
