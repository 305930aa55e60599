"""Live discussions: coordinators schedule, move and cancel a Discord scheduled event for a
topic; the planner reminds the members who pressed *Interested*; Discord's status changes
(start, end) become notes in the topic's cohort thread.

The store is the truth. A change is one transaction: the row, and the outbox work that
makes Discord match it (:class:`~bot.posts.events.SyncEvent`), which announces the change
once Discord has it. Start and end are Discord's to decide (a host presses Start; voice
events end when the last person leaves, external ones at their end time): they arrive as
gateway updates (``cogs/events.py``), and :meth:`EventService.reconcile` asks Discord for
the status of every unfinished event whenever the bot (re)connects, for anything the
gateway could not replay.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.config import Config
from bot.domain.events import (
    SuggestedHour,
    best_hours,
    parse_length,
    parse_local_datetime,
    week_for,
)
from bot.posts.events import (
    REMINDER_LEAD,
    EventNote,
    EventReminder,
    Note,
    SyncEvent,
    Window,
)
from bot.posts.events import (
    Change as EventChange,
)
from bot.services.agenda import Agenda
from bot.services.changes import Change, Changes, EventChanged
from bot.services.errors import UserFacingError
from bot.services.ports import DiscordError, DiscordPort, EventChannel, EventState
from bot.services.rounds import RoundService
from bot.services.zones import MemberZones
from bot.store import Scheduled, Store
from bot.store.models import EventStatus, LiveEvent, PlaceKind, RoundTopic

log = logging.getLogger(__name__)

# Discord refuses a start in the past; a few minutes leave the outbox time to create it.
MIN_NOTICE = timedelta(minutes=5)
LOCATION_LIMIT = 100  # Discord's limit on an external event's location
_CHANNEL_MENTION = re.compile(r"^<#(\d+)>$")
_LINK = re.compile(r"^https?://\S+$", re.IGNORECASE)
# What Discord's status changes mean for the program, and the note each one leaves.
_MOVES: dict[EventState, tuple[tuple[EventStatus, ...], EventStatus]] = {
    "active": (("scheduled",), "active"),
    "completed": (("scheduled", "active"), "completed"),
    "cancelled": (("scheduled",), "cancelled"),
}


@dataclass(frozen=True)
class Place:
    kind: PlaceKind
    channel_id: int | None = None
    location: str | None = None


@dataclass(frozen=True)
class Planned:
    """What a coordinator's command did: the event, and the zone their time was read in."""

    event: LiveEvent
    topic: RoundTopic
    zone: str
    zone_known: bool


class EventService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        config: Config,
        rounds: RoundService,
        zones: MemberZones,
        port: DiscordPort,
        changes: Changes,
    ) -> None:
        self._store = store
        self._clock = clock
        self._config = config
        self._rounds = rounds
        self._zones = zones
        self._port = port
        self._changes = changes

    # Reading -----------------------------------------------------------------------------

    async def topics(self) -> list[RoundTopic]:
        """The current round's topics, for choosing one."""
        return await self._store.topics.for_round((await self._rounds.current()).id)

    async def topic(self, text: str) -> RoundTopic:
        """A topic of the current round by its number (as ``/topic list`` shows) or title."""
        wanted = text.strip().lower()
        for topic in await self.topics():
            if wanted in (str(topic.position), topic.title.lower(), topic.slug):
                return topic
        raise UserFacingError(
            f"There is no topic “{text.strip()}” in this round; `/topic list` shows them, "
            "and the TOPIC option suggests them as you type."
        )

    async def zone_of(self, member_id: int) -> tuple[str, bool]:
        """The member's own zone when the program knows it (True), else the program's."""
        people = await self._store.people.participants([member_id])
        if member_id in people:
            return people[member_id].timezone, True
        return self._zones.default, False

    async def suggestions(self, topic: RoundTopic) -> list[SuggestedHour]:
        """The two hours of the topic's week that suit most partners' working hours."""
        pairs = await self._store.activity.live_pairs(topic.round_id)
        zones = [self._zones.named(m.timezone) for pair in pairs for m in pair.members]
        if not zones:  # before the spaces open: everyone who applied to the round
            applications = await self._store.people.applications(topic.round_id)
            zones = [application.timezone for application in applications]
        return best_hours(zones, week_for(topic.due_on, self._clock.now()))

    async def get(self, event_id: int) -> LiveEvent | None:
        return await self._store.events.get(event_id)

    async def upcoming(self) -> list[tuple[LiveEvent, RoundTopic]]:
        """Events not over yet, soonest first, with their topics."""
        listed = []
        for event in await self._store.events.unfinished():
            topic = await self._store.topics.get(event.topic_id)
            if topic is not None:
                listed.append((event, topic))
        return listed

    async def channels(self) -> list[EventChannel]:
        return await self._port.event_channels()

    # Coordinators' changes ---------------------------------------------------------------

    async def schedule(
        self, topic_text: str, when: str, length: str | None, where: str | None, actor: int
    ) -> Planned:
        topic = await self.topic(topic_text)
        zone, known = await self.zone_of(actor)
        starts_at = self._start(when, zone)
        ends_at = starts_at + self._length(length)
        place = await self.place(where)
        now = self._clock.now()
        event = await self._store.events.create(
            round_id=topic.round_id,
            topic_id=topic.id,
            starts_at=starts_at,
            ends_at=ends_at,
            place_kind=place.kind,
            channel_id=place.channel_id,
            location=place.location,
            actor=actor,
            now=now,
            queue=lambda e: [_sync(e, "scheduled", now)],
        )
        await self._changed(actor, "event.schedule", event, topic)
        return Planned(event, topic, zone, known)

    async def move(self, event_id: int, when: str, length: str | None, actor: int) -> Planned:
        event, topic = await self._scheduled(event_id)
        zone, known = await self.zone_of(actor)
        starts_at = self._start(when, zone)
        kept = event.ends_at - event.starts_at
        ends_at = starts_at + (self._length(length) if length else kept)
        now = self._clock.now()
        moved = await self._store.events.move(
            event.id, starts_at, ends_at, now, lambda e: [_sync(e, "moved", now)]
        )
        if moved is None:
            raise UserFacingError("That live discussion has started or ended; it cannot move.")
        await self._changed(actor, "event.move", moved, topic)
        return Planned(moved, topic, zone, known)

    async def cancel(self, event_id: int, actor: int) -> tuple[LiveEvent, RoundTopic]:
        event, topic = await self._scheduled(event_id)
        now = self._clock.now()
        cancelled = await self._store.events.cancel(
            event.id, now, lambda e: [_sync(e, "cancelled", now)]
        )
        if cancelled is None:
            raise UserFacingError("That live discussion has already started or ended.")
        await self._changed(actor, "event.cancel", cancelled, topic)
        return cancelled, topic

    async def place(self, where: str | None) -> Place:
        """Where an event is held: a voice or stage channel the bot can use, or a link."""
        text = (where or self._config.events.default_channel or "").strip()
        if not text:
            raise UserFacingError(
                "Say where the discussion takes place (WHERE): a voice or stage channel, or "
                "a link such as https://meet.example.org/iln."
            )
        if _LINK.match(text):
            if len(text) > LOCATION_LIMIT:
                raise UserFacingError(
                    f"Discord keeps links of at most {LOCATION_LIMIT} characters; please use a "
                    "shorter one."
                )
            missing = await self._port.missing_event_permissions()
            if missing:
                raise UserFacingError(_cannot("create events on this server", missing))
            return Place("external", location=text)
        channel = _find_channel(await self._port.event_channels(), text)
        if channel is None:
            raise UserFacingError(
                f"I cannot see a voice or stage channel “{text}”: there is none by that name, "
                "or the bot's role may not view it (it needs **View Channel** and **Connect** "
                "there). Choose one of the suggestions, or give a link for a discussion held "
                "elsewhere."
            )
        if channel.missing:
            raise UserFacingError(_cannot(f"hold a discussion in <#{channel.id}>", channel.missing))
        return Place(channel.kind, channel_id=channel.id)

    # What Discord says -------------------------------------------------------------------

    async def discord_status(self, discord_event_id: int, state: EventState | None) -> bool:
        """Record a status Discord reports (None: the event was deleted); the start and the
        end leave a note in the cohort thread, once. False when it changed nothing."""
        event = await self._store.events.by_discord_id(discord_event_id)
        if event is None or (state is None and event.status not in ("scheduled", "active")):
            return False
        if state is None:  # deleted on Discord: over, whatever it was
            state = "cancelled" if event.status == "scheduled" else "completed"
        if state not in _MOVES:
            return False
        expected, status = _MOVES[state]
        note: Note | None = (
            "started" if status == "active" else "ended" if status == "completed" else None
        )
        now = self._clock.now()
        changed = await self._store.events.set_status(
            event.id,
            status,
            expected,
            now,
            lambda e: (
                [Scheduled(EventNote(event_id=e.id, note=note, revision=e.revision), now)]
                if note is not None
                else []
            ),
        )
        if changed is None:
            return False
        log.info("live discussion %s is %s", event.id, status)
        self._changes.event(event.id)
        return True

    async def reconcile(self) -> int:
        """Ask Discord for each unfinished event's status (after a restart or a reconnect the
        gateway may not have replayed every change); returns how many changed."""
        changed = 0
        for event in await self._store.events.unfinished():
            if event.discord_event_id is None:
                continue
            try:
                state = await self._port.scheduled_event_state(event.discord_event_id)
            except DiscordError as error:
                log.warning("could not read event %s: %s", event.discord_event_id, error)
                continue
            changed += await self.discord_status(event.discord_event_id, state)
        return changed

    # Helpers ------------------------------------------------------------------------------

    def _start(self, when: str, zone: str) -> datetime:
        now = self._clock.now()
        starts_at = parse_local_datetime(when, zone, now)
        if starts_at < now + MIN_NOTICE:
            raise UserFacingError(
                f"{when.strip()} ({zone}) has already passed or is only minutes away; please "
                "choose a later time."
            )
        return starts_at

    def _length(self, length: str | None) -> timedelta:
        return parse_length(length, timedelta(minutes=self._config.events.default_length_minutes))

    async def _scheduled(self, event_id: int) -> tuple[LiveEvent, RoundTopic]:
        event = await self._store.events.get(event_id)
        topic = await self._store.topics.get(event.topic_id) if event else None
        if event is None or topic is None:
            raise UserFacingError(
                "I do not know that live discussion; the EVENT option suggests them."
            )
        if event.status != "scheduled":
            raise UserFacingError(f"That live discussion is {event.status}; it cannot change.")
        return event, topic

    async def _changed(self, actor: int, action: str, event: LiveEvent, topic: RoundTopic) -> None:
        self._changes.event(event.id)
        await self._store.coordination.audit(
            actor,
            action,
            {"event": event.id, "topic": topic.position, "starts_at": event.starts_at.isoformat()},
            self._clock.now(),
        )


class EventReminders:
    """The planner of reminders: for each scheduled event, a day and an hour before its
    start. Derived from the store at start-up and for each event :class:`Changes` names;
    a reminder whose time came before the event was scheduled (or moved) is skipped, and
    one that is late past the next reminder's time is dropped. The reminder's key (event,
    window, start) makes it go out once however often it is offered."""

    def __init__(self, store: Store, clock: Clock, changes: Changes) -> None:
        self._store = store
        self._clock = clock
        self._agenda: Agenda[int, tuple[Window, datetime]] = Agenda()
        self._loaded = False
        self._stale: set[int] = set()
        changes.subscribe(self._changed)

    def _changed(self, change: Change) -> None:
        if isinstance(change, EventChanged):
            self._stale.add(change.event_id)

    async def plan(self, now: datetime) -> int:
        await self._refresh(now)
        due = [
            Scheduled(EventReminder(event_id=event_id, window=window, starts_at=start), now)
            for event_id, (window, start) in self._agenda.pop_due(now)
        ]
        queued = await self._store.outbox.enqueue(due, now)
        if queued:
            log.info("queued %d event reminder(s)", queued)
        return queued

    def next_due(self) -> datetime | None:
        if not self._loaded or self._stale:
            return self._clock.now()
        return self._agenda.next_at()

    async def _refresh(self, now: datetime) -> None:
        if not self._loaded:
            self._loaded = True
            events = await self._store.events.unfinished()
            self._stale.clear()
        elif self._stale:
            events = await self._store.events.many(sorted(self._stale))
            for event_id in self._stale - {e.id for e in events}:
                self._agenda.forget(event_id)
            self._stale.clear()
        else:
            return
        for event in events:
            self._agenda.replace(event.id, reminders(event, now))


def reminders(event: LiveEvent, now: datetime) -> list[tuple[datetime, tuple[Window, datetime]]]:
    """When an event's reminders are due: ``(at, (window, start))``."""
    if event.status != "scheduled":
        return []
    due = []
    windows: Sequence[Window] = ("day", "hour")
    for number, window in enumerate(windows):
        at = event.starts_at - REMINDER_LEAD[window]
        stands_until = (
            event.starts_at - REMINDER_LEAD[windows[number + 1]]
            if number + 1 < len(windows)
            else event.starts_at
        )
        if at >= event.planned_at and now < stands_until:
            due.append((at, (window, event.starts_at)))
    return due


def _sync(event: LiveEvent, change: EventChange, now: datetime) -> Scheduled:
    return Scheduled(SyncEvent(event_id=event.id, revision=event.revision, change=change), now)


def _find_channel(channels: Sequence[EventChannel], text: str) -> EventChannel | None:
    mention = _CHANNEL_MENTION.match(text)
    wanted = mention[1] if mention else text.lstrip("#").strip()
    for channel in channels:
        if wanted == str(channel.id) or wanted.lower() == channel.name.lower():
            return channel
    return None


def _cannot(what: str, missing: Sequence[str]) -> str:
    needed = ", ".join(f"**{name}**" for name in missing)
    return (
        f"I cannot {what}: I need {needed} there. A server admin can give the bot's role "
        "these permissions, or choose another place."
    )
