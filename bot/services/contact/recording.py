"""Who wrote when: partners' messages (the hot path), the start-up backfill and ``/contact``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time as monotonic
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.away import DateParseError, parse_local_date
from bot.domain.calendar import add_months, format_local_date
from bot.services.changes import Change, Changes, PartnershipChanged
from bot.services.contact._shared import started_at
from bot.services.errors import UserFacingError
from bot.services.ports import DiscordError, DiscordPort
from bot.services.zones import MemberZones
from bot.store import Store
from bot.store.models import Partnership

log = logging.getLogger(__name__)

CONTACT_KINDS = ("video", "email", "phone", "in person", "other")
FLUSH_INTERVAL_S = 0.05
FLUSH_BATCH = 200
FLUSH_ATTEMPTS = 3
# How long "this channel is no partnership's space" is believed before asking the store again.
UNKNOWN_CHANNEL_TTL_S = 60.0

MessageEvent = tuple[int, int, int, datetime]  # partnership, author, message id, when


@dataclass(frozen=True, slots=True)
class ContactHeard:
    """Partners were in touch: ``member_id`` wrote at ``at`` (None: contact logged for the
    whole pair)."""

    partnership_id: int
    member_id: int | None
    at: datetime


ContactListener = Callable[[ContactHeard], None]


@dataclass(frozen=True, slots=True)
class _Space:
    partnership_id: int
    members: frozenset[int]


@dataclass(frozen=True)
class LoggedContact:
    day: date
    kind: str
    partnerships: tuple[str, ...]


class ContactLog:
    """Records contact between partners: messages in their space and ``/contact``."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        port: DiscordPort,
        zones: MemberZones,
        changes: Changes,
    ) -> None:
        self._store = store
        self._clock = clock
        self._port = port
        self._zones = zones
        self._listeners: list[ContactListener] = []
        self._spaces: dict[int, _Space] = {}
        self._not_spaces: dict[int, float] = {}  # channel -> monotonic time it was checked
        self._buffer: list[MessageEvent] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._flusher: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()
        changes.subscribe(self._changed)

    # Message events ------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the space map and start the background writer (idempotent)."""
        await self.refresh()
        self._start_flusher()

    def _start_flusher(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._closing = False
            self._flusher = asyncio.create_task(self._flush_loop(), name="contact-flusher")
            self._flusher.add_done_callback(_log_task_end)

    async def close(self) -> None:
        """Stop the writer and write whatever is still buffered."""
        self._closing = True
        self._wake.set()
        if self._flusher is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        await self.flush()

    async def refresh(self) -> None:
        """Reload which channel belongs to which active partnership."""
        active = await self._store.partnerships.with_state(["active"])
        self._remember(active, replace=True)

    def on_contact(self, listener: ContactListener) -> None:
        """Call ``listener`` whenever partners are heard from."""
        self._listeners.append(listener)

    def _changed(self, change: Change) -> None:
        """A partnership's space or members changed: ask the store again next time."""
        if isinstance(change, PartnershipChanged):
            pid = change.partnership_id
            self._spaces = {c: s for c, s in self._spaces.items() if s.partnership_id != pid}
            self._not_spaces.clear()

    def _remember(self, partnerships: Sequence[Partnership], *, replace: bool = False) -> None:
        spaces = {
            p.channel_id: _Space(
                p.id, frozenset(m.participant_id for m in p.members if m.left_at is None)
            )
            for p in partnerships
            if p.channel_id is not None and p.state == "active"
        }
        if replace:
            self._spaces = spaces
            self._not_spaces.clear()
        else:
            self._spaces.update(spaces)

    async def record_message(
        self, channel_id: int, author_id: int, message_id: int, at: datetime
    ) -> bool:
        """Note that someone posted in a channel; True when it counts as a partner's contact.

        Called for every guild message, so a known channel costs a dict lookup and a list
        append; the store is asked only about a channel seen for the first time.
        """
        space = self._spaces.get(channel_id)
        if space is None:
            space = await self._lookup(channel_id)
            if space is None:
                return False
        if author_id not in space.members:
            return False
        self._buffer.append((space.partnership_id, author_id, message_id, at))
        heard = ContactHeard(space.partnership_id, author_id, at)
        for listener in self._listeners:
            listener(heard)
        if self._flusher is None:
            self._start_flusher()
        elif len(self._buffer) >= FLUSH_BATCH:
            self._wake.set()
        return True

    async def _lookup(self, channel_id: int) -> _Space | None:
        checked = self._not_spaces.get(channel_id)
        if checked is not None and monotonic.monotonic() - checked < UNKNOWN_CHANNEL_TTL_S:
            return None
        partnership = await self._store.partnerships.by_channel(channel_id)
        if partnership is None or partnership.state != "active":
            self._not_spaces[channel_id] = monotonic.monotonic()
            return None
        self._remember([partnership])
        return self._spaces.get(channel_id)

    async def flush(self) -> int:
        """Write buffered events now; returns how many were new."""
        async with self._flush_lock:
            written = 0
            while self._buffer:
                batch, self._buffer = self._buffer, []
                written += await self._write(batch)
            return written

    async def _write(self, batch: list[MessageEvent]) -> int:
        for attempt in range(1, FLUSH_ATTEMPTS + 1):
            try:
                return await self._store.activity.record_messages(batch)
            except Exception:
                if attempt == FLUSH_ATTEMPTS:
                    # Backfill at the next start-up reads these messages again from Discord.
                    log.exception("dropping %d contact events after %d tries", len(batch), attempt)
                    return 0
                log.warning("writing %d contact events failed; retrying", len(batch), exc_info=True)
                await asyncio.sleep(0.1 * attempt)
        return 0

    async def _flush_loop(self) -> None:
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), FLUSH_INTERVAL_S)
            self._wake.clear()
            await self.flush()

    async def backfill(self) -> int:
        """Record partners' messages posted while the bot was away; returns how many."""
        await self.flush()
        active = [p for p in await self._store.partnerships.with_state(["active"]) if p.channel_id]
        self._remember(active, replace=True)
        last_ids = await self._store.activity.last_message_ids([p.id for p in active])
        recorded = 0
        for partnership in active:
            assert partnership.channel_id is not None
            try:
                seen = await self._port.history_after(
                    partnership.channel_id, last_ids.get(partnership.id)
                )
            except DiscordError as error:
                log.warning(
                    "could not read the history of space %s: %s", partnership.channel_id, error
                )
                continue
            members = set(partnership.member_ids)
            events = [
                (partnership.id, message.author_id, message.message_id, message.at)
                for message in seen
                if message.author_id in members
            ]
            if events:
                recorded += await self._store.activity.record_messages(events)
        log.info("backfill recorded %d missed messages in %d spaces", recorded, len(active))
        return recorded

    # /contact ------------------------------------------------------------------------------

    async def log_contact(
        self, user_id: int, kind: str, when: str | date | None = None
    ) -> LoggedContact:
        """Log contact made outside the space (a call, an email...) for the member's active
        partnerships. It counts for every partner: it was contact between them."""
        kind = " ".join(kind.lower().split())
        if kind not in CONTACT_KINDS:
            raise UserFacingError(f"Please choose one of: {', '.join(CONTACT_KINDS)}.")
        partnerships = [
            p for p in await self._store.partnerships.for_member(user_id) if p.state == "active"
        ]
        if not partnerships:
            raise UserFacingError(
                "You are not in an active partnership right now, so there is no contact to log."
            )
        zone = ZoneInfo(await self._zones.one(user_id))
        now = self._clock.now()
        today = now.astimezone(zone).date()
        day = _parse_day(when, today)
        if day > today:
            raise UserFacingError(
                f"{format_local_date(day)} is still ahead. Please log contact once it happened."
            )
        at = now if day == today else datetime.combine(day, time(12), tzinfo=zone)
        for partnership in partnerships:
            round_ = await self._store.rounds.get(partnership.round_id)
            assert round_ is not None
            start = started_at(round_, partnership)
            if day < start.astimezone(zone).date():
                raise UserFacingError(
                    f"Your partnership started on {format_local_date(start.astimezone(zone))}; "
                    "please log contact from that day on."
                )
        for partnership in partnerships:
            round_ = await self._store.rounds.get(partnership.round_id)
            assert round_ is not None
            moment = min(max(at, started_at(round_, partnership)), now).astimezone(UTC)
            for member in partnership.members:
                if member.left_at is None:
                    await self._store.activity.log_contact(
                        partnership.id, member.participant_id, moment, kind
                    )
            for listener in self._listeners:
                listener(ContactHeard(partnership.id, None, moment))
        return LoggedContact(day, kind, tuple(p.name for p in partnerships))


def _parse_day(when: str | date | None, today: date) -> date:
    if when is None:
        return today
    if isinstance(when, date):
        return when
    if not when.strip():
        return today
    # Contact is logged after it happened, so a date without a year is its latest
    # occurrence up to today ("9 March" on 10 March), not the next one.
    year_ago = add_months(today + timedelta(days=1), -12)
    try:
        return parse_local_date(when, today, reference=year_ago)
    except DateParseError as error:
        raise UserFacingError(error.message) from None


def _log_task_end(task: asyncio.Task[None]) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.error("the contact writer stopped", exc_info=error)
