"""Contact between partners: who wrote when (never what), ``/contact``, nudges and
escalations, the calendar's availability asks and check-ins, away notices, pair health and
members who leave.

Message events are the hot path: :meth:`ContactService.record_message` only appends to a
buffer that a background task writes in batches, one transaction each. A crash can lose
the last few dozen milliseconds of events; :meth:`ContactService.backfill` reads every
space's history after the last recorded message at start-up, so nothing stays lost.

Everything :meth:`ContactService.plan` queues has a stable outbox key, so it is planned
exactly once however often (or late) it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import logging
import time as monotonic
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Config
from bot.domain.availability import DateParseError, parse_local_date
from bot.domain.calendar import (
    add_months,
    availability_dates,
    checkin_dates,
    format_local_date,
    post_instant,
)
from bot.domain.contact import AwayPeriod as Away
from bot.domain.contact import (
    Decision,
    Escalate,
    MemberActivity,
    Nudge,
    PairActivity,
    RiskLabel,
    away_summary,
    contact_resumed,
    contacts_per_fortnight,
    decide,
    risk_label,
    risk_score,
)
from bot.services.errors import UserFacingError
from bot.services.ports import DiscordError, DiscordPort
from bot.store import NewPost, Store
from bot.store.activity import NO_NUDGES, LiveMember, LivePair
from bot.store.models import AwayPeriod, CheckIn, Participant, Partnership, Round, RoundState

log = logging.getLogger(__name__)

CONTACT_KINDS = ("video", "email", "phone", "in person", "other")
FLUSH_INTERVAL_S = 0.05
FLUSH_BATCH = 200
FLUSH_ATTEMPTS = 3
# How long "this channel is no partnership's space" is believed before asking the store again.
UNKNOWN_CHANNEL_TTL_S = 60.0

HealthSort = Literal["risk", "quiet", "name"]
MessageEvent = tuple[int, int, int, datetime]  # partnership, author, message id, when


@dataclass(frozen=True, slots=True)
class _Space:
    partnership_id: int
    members: frozenset[int]


@dataclass(frozen=True)
class RoundView:
    """A running round's live partnerships with everything the planner reads about them."""

    round: Round
    partnerships: list[LivePair]
    names: dict[int, str]  # by member
    zones: dict[int, str]  # by member
    pairs: dict[int, PairActivity]
    away: dict[int, list[AwayPeriod]]  # by member


@dataclass(frozen=True)
class LoggedContact:
    day: date
    kind: str
    partnerships: tuple[str, ...]


@dataclass(frozen=True)
class PairHealth:
    """One line of ``/pair health``."""

    partnership_id: int
    name: str
    state: str
    channel_id: int | None
    members: tuple[str, ...]
    last_contact: datetime | None
    days_since_contact: int | None
    contacts_per_fortnight: float
    nudges: int
    escalated: bool
    away: str
    checkins: tuple[str, ...]
    risk: float
    label: RiskLabel


def started_at(round_: Round, partnership: Partnership | LivePair) -> datetime:
    """When a partnership's contact clock starts: the round's first day (UTC midnight), or
    the partnership's confirmation when it joined later."""
    round_start = datetime.combine(round_.starts_on, time(0), tzinfo=UTC)
    return max(round_start, partnership.created_at)


def require_member(partnership: Partnership | None, user_id: int) -> Partnership:
    """The partnership, when ``user_id`` is one of its current members."""
    if partnership is None or user_id not in partnership.member_ids:
        raise UserFacingError(
            "Sorry, this belongs to another partnership, so only its partners can use it."
        )
    member = next(m for m in partnership.members if m.participant_id == user_id)
    if member.left_at is not None:
        raise UserFacingError("You have left this partnership, so this is no longer yours.")
    return partnership


def live_pair(partnership: Partnership, people: dict[int, Participant]) -> LivePair:
    """A :class:`LivePair` view of any partnership (for health, which shows every state)."""
    members = []
    for member in partnership.members:
        if member.left_at is None:
            person = people.get(member.participant_id)
            members.append(
                LiveMember(
                    member.participant_id,
                    person.name if person else None,
                    person.timezone if person else None,
                )
            )
    return LivePair(
        partnership.id,
        partnership.name,
        partnership.channel_id or 0,
        partnership.created_at,
        tuple(members),
    )


class ContactService:
    def __init__(self, store: Store, clock: Clock, config: Config, port: DiscordPort) -> None:
        self._store = store
        self._clock = clock
        self._config = config
        self._port = port
        self._spaces: dict[int, _Space] = {}
        self._not_spaces: dict[int, float] = {}  # channel -> monotonic time it was checked
        self._buffer: list[MessageEvent] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._flusher: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()
        self._planned: set[str] = set()  # keys this process already queued (the store dedups)

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
        person = await self._store.people.participant(user_id)
        zone = ZoneInfo(person.timezone if person else self._config.program.timezone)
        now = self._clock.now()
        today = now.astimezone(zone).date()
        day = self._parse_day(when, today)
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
        return LoggedContact(day, kind, tuple(p.name for p in partnerships))

    @staticmethod
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

    # Planning ------------------------------------------------------------------------------

    async def plan(self) -> None:
        """Queue what has fallen due for running rounds' active partnerships: availability
        asks, check-ins (and DMs), welcome-backs, nudges and escalations."""
        await self.flush()
        now = self._clock.now()
        for view in await self._views(now):
            self._spaces.update(
                (p.channel_id, _Space(p.id, frozenset(p.member_ids))) for p in view.partnerships
            )
            await self._plan_calendar(view, now)
            await self._plan_welcome_back(view, now)
            await self._act(view, self._decide(view, now), now)

    async def scan_quiet(self, now: datetime | None = None) -> dict[int, Decision]:
        """What the contact rules say about every live pair now (nothing is written)."""
        now = now or self._clock.now()
        decisions: dict[int, Decision] = {}
        for view in await self._views(now):
            decisions.update(self._decide(view, now))
        return decisions

    async def _views(self, now: datetime) -> list[RoundView]:
        views = []
        for round_ in await self._store.rounds.in_states([RoundState.RUNNING]):
            partnerships = await self._store.activity.live_pairs(round_.id)
            if partnerships:
                views.append(await self._view(round_, partnerships))
        return views

    async def _view(self, round_: Round, partnerships: list[LivePair]) -> RoundView:
        activity = self._store.activity
        ids = [p.id for p in partnerships]
        default_zone = self._config.program.timezone
        names: dict[int, str] = {}
        zones: dict[int, str] = {}
        for p in partnerships:
            for m in p.members:
                names[m.participant_id] = m.name or f"member {m.participant_id}"
                zones[m.participant_id] = m.timezone or default_zone
        member_ids = sorted(zones)
        last = await activity.last_contacts(ids)
        starts = {p.id: started_at(round_, p) for p in partnerships}
        away: dict[int, list[AwayPeriod]] = defaultdict(list)
        for period in await activity.away_periods(member_ids, min(starts.values())):
            away[period.participant_id].append(period)
        summaries = await activity.nudge_summaries(ids)
        pairs = {}
        for p in partnerships:
            summary = summaries.get(p.id, NO_NUDGES)
            members = tuple(
                MemberActivity(
                    member_id=m.participant_id,
                    timezone=zones[m.participant_id],
                    last_contact=last.get((p.id, m.participant_id)),
                    away=tuple(
                        Away(a.starts_at, a.ends_at, a.note) for a in away.get(m.participant_id, ())
                    ),
                )
                for m in p.members
            )
            if not members:
                continue
            pairs[p.id] = PairActivity(
                partnership_id=p.id,
                started_at=starts[p.id],
                members=members,
                last_nudge_at=summary.last_nudge_at,
                nudges_since_contact=summary.since_reset,
                escalated=summary.escalated,
            )
        return RoundView(round_, partnerships, names, zones, pairs, away)

    def _decide(self, view: RoundView, now: datetime) -> dict[int, Decision]:
        rules = self._config.nudges
        return {
            pid: decide(pair, now, rules, names=self._names(view, pair))
            for pid, pair in view.pairs.items()
        }

    @staticmethod
    def _names(view: RoundView, pair: PairActivity) -> dict[int, str]:
        return {m.member_id: view.names[m.member_id] for m in pair.members}

    async def _act(self, view: RoundView, decisions: dict[int, Decision], now: datetime) -> None:
        activity = self._store.activity
        for pid, pair in view.pairs.items():
            if (pair.nudges_since_contact or pair.escalated) and contact_resumed(pair):
                assert pair.last_nudge_at is not None
                await activity.reset_nudges(pid, pair.last_nudge_at)
        summaries = await activity.nudge_summaries(
            [pid for pid, d in decisions.items() if isinstance(d, Nudge | Escalate)]
        )
        by_id = {p.id: p for p in view.partnerships}
        by_kind: dict[str, list[NewPost]] = defaultdict(list)
        for pid, decision in decisions.items():
            summary = summaries.get(pid, NO_NUDGES)
            partnership = by_id[pid]
            if isinstance(decision, Nudge):
                by_kind[decision.kind].append(
                    _nudge_post(partnership, decision, summary.total, now)
                )
            elif isinstance(decision, Escalate):
                by_kind["escalation"].append(
                    _escalation_post(partnership, decision, summary.escalations_total, now)
                )
        for kind in ("quiet", "one_sided", "escalation"):
            if by_kind[kind]:
                queued = await self._store.outbox.enqueue(by_kind[kind], now, nudge=kind)
                log.info("queued %d %s nudge post(s)", queued, kind)

    async def _plan_calendar(self, view: RoundView, now: datetime) -> None:
        round_, schedule = view.round, self._config.round
        hour = schedule.post_hour
        asks = availability_dates(round_.starts_on, round_.ends_on, schedule)
        checks = checkin_dates(round_.starts_on, round_.ends_on, schedule)
        default_dm = self._config.program.checkin_dm_opt_in_default
        choices = await self._store.activity.checkin_dm_choices(list(view.zones))
        posts: list[NewPost] = []
        questions: list[tuple[int, int, int]] = []
        for p in view.partnerships:
            members = list(p.member_ids)
            zones = [view.zones[m] for m in members]
            space = {"to": "space", "channel_id": p.channel_id}
            for n, day in enumerate(asks, start=1):
                at = post_instant(day, hour, zones)
                if at > now:
                    break
                if at >= p.created_at and f"p{p.id}:availability:{n}" not in self._planned:
                    posts.append(
                        NewPost.for_partnership(
                            p.id, f"availability:{n}", "availability_ask", space, at, sequence=n
                        )
                    )
            for n, day in enumerate(checks, start=1):
                at = post_instant(day, hour, zones)
                if at > now:
                    break
                if at < p.created_at or f"p{p.id}:checkin:{n}" in self._planned:
                    continue
                questions.extend((p.id, m, n) for m in members)
                posts.append(
                    NewPost.for_partnership(
                        p.id, f"checkin:{n}", "checkin_prompt", space, at, sequence=n
                    )
                )
                for m in members:
                    if choices.get(m, default_dm):
                        target = {"to": "dm", "user_id": m, "fallback_channel_id": p.channel_id}
                        posts.append(
                            NewPost.for_partnership(
                                p.id,
                                f"checkin:{n}:dm:{m}",
                                "checkin_dm",
                                target,
                                at,
                                sequence=n,
                                member_id=m,
                            )
                        )
        if questions:
            await self._store.activity.ask_checkins(questions, now)
        await self._enqueue(posts, now)

    async def _plan_welcome_back(self, view: RoundView, now: datetime) -> None:
        hour = self._config.round.post_hour
        posts = []
        for p in view.partnerships:
            pair = view.pairs.get(p.id)
            if pair is None:
                continue
            for member in pair.members:
                for period in view.away.get(member.member_id, ()):
                    key = f"away:{period.id}:back:{p.id}"
                    ended = pair.started_at < period.ends_at <= now
                    if not ended or key in self._planned:
                        continue
                    back = period.ends_at.astimezone(ZoneInfo(member.timezone)).date()
                    due = max(period.ends_at, post_instant(back, hour, [member.timezone]))
                    if due <= now:
                        posts.append(
                            NewPost(
                                key=key,
                                kind="welcome_back",
                                partnership_id=p.id,
                                target={"to": "space", "channel_id": p.channel_id},
                                payload={
                                    "template": "welcome_back",
                                    "partnership_id": p.id,
                                    "away_id": period.id,
                                },
                                due_at=due,
                            )
                        )
        await self._enqueue(posts, now)

    async def _enqueue(self, posts: list[NewPost], now: datetime) -> None:
        fresh = [post for post in posts if post.key not in self._planned]
        if not fresh:
            return
        queued = await self._store.outbox.enqueue(fresh, now)
        self._planned.update(post.key for post in fresh)
        if queued:
            log.info("queued %d contact post(s)", queued)

    # Health --------------------------------------------------------------------------------

    async def health(
        self, round_: Round | int | None = None, sort: HealthSort = "risk"
    ) -> list[PairHealth]:
        """Every partnership of a round (default: the current one) with its contact health."""
        chosen = await self._health_round(round_)
        partnerships = await self._store.partnerships.for_round(
            chosen.id, ["active", "member_left"]
        )
        if not partnerships:
            return []
        await self.flush()
        now = self._clock.now()
        people = await self._store.people.participants(
            sorted({m for p in partnerships for m in p.member_ids})
        )
        view = await self._view(chosen, [live_pair(p, people) for p in partnerships])
        ids = [p.id for p in partnerships]
        days = await self._store.activity.contact_days(ids, now)
        checkins = await self._store.activity.checkins_for(ids)
        summaries = await self._store.activity.nudge_summaries(ids)
        rows = []
        for p in partnerships:
            pair = view.pairs.get(p.id)
            names = [people[m].name if m in people else f"member {m}" for m in p.member_ids]
            last = (
                max((m.last_contact for m in pair.members if m.last_contact), default=None)
                if pair
                else None
            )
            latest, not_working = _latest_checkins(checkins.get(p.id, []), people)
            score = (
                risk_score(pair, now, self._config.nudges, not_working_checkins=not_working)
                if pair
                else 1.0
            )
            resumed = pair is not None and contact_resumed(pair)
            summary = summaries.get(p.id, NO_NUDGES)
            rows.append(
                PairHealth(
                    partnership_id=p.id,
                    name=p.name,
                    state=p.state,
                    channel_id=p.channel_id,
                    members=tuple(names),
                    last_contact=last,
                    days_since_contact=(now - last).days if last else None,
                    contacts_per_fortnight=round(
                        contacts_per_fortnight(days.get(p.id, []), started_at(chosen, p), now), 2
                    ),
                    nudges=0 if resumed else summary.since_reset,
                    escalated=summary.escalated and not resumed,
                    away=_upcoming_away(pair, now, self._names(view, pair)) if pair else "",
                    checkins=latest,
                    risk=score,
                    label=risk_label(score),
                )
            )
        return sort_health(rows, sort)

    async def _health_round(self, round_: Round | int | None) -> Round:
        if isinstance(round_, Round):
            return round_
        if isinstance(round_, int):
            found = await self._store.rounds.get(round_)
            if found is None:
                raise UserFacingError("There is no such round.")
            return found
        rounds = await self._store.rounds.all()
        running = [r for r in rounds if r.state is RoundState.RUNNING]
        started = [r for r in rounds if r.state in (RoundState.RUNNING, RoundState.ENDED)]
        if not (running or started):
            raise UserFacingError("No round has started yet, so there is no pair health to show.")
        return (running or started)[-1]

    # Leaving -------------------------------------------------------------------------------

    async def member_left(self, user_id: int) -> list[Partnership]:
        """A member left the server: mark their live partnerships and tell coordinators."""
        now = self._clock.now()
        affected = [
            p
            for p in await self._store.partnerships.for_member(user_id)
            if p.state in ("confirmed", "active")
        ]
        posts = []
        for partnership in affected:
            await self._store.partnerships.mark_left(partnership.id, user_id, now)
            await self._store.partnerships.set_state(partnership.id, "member_left")
            if partnership.channel_id is not None:
                self._spaces.pop(partnership.channel_id, None)
            posts.append(
                NewPost(
                    key=f"p{partnership.id}:left:{user_id}",
                    kind="partner_left",
                    partnership_id=partnership.id,
                    target={"to": "coordinators"},
                    payload={
                        "template": "partner_left",
                        "partnership_id": partnership.id,
                        "member_id": user_id,
                    },
                    due_at=now,
                )
            )
        if posts:
            await self._store.outbox.enqueue(posts, now)
            log.info("member %s left; %d partnership(s) need a coordinator", user_id, len(posts))
        return affected


def sort_health(rows: list[PairHealth], sort: HealthSort = "risk") -> list[PairHealth]:
    if sort == "name":
        return sorted(rows, key=lambda row: row.name.lower())
    if sort == "quiet":
        return sorted(rows, key=lambda row: (-(row.days_since_contact or 10**6), row.name))
    return sorted(rows, key=lambda row: (-row.risk, row.name.lower()))


HEALTH_COLUMNS = (
    "partnership",
    "state",
    "members",
    "risk",
    "label",
    "last_contact",
    "days_since_contact",
    "contacts_per_fortnight",
    "nudges",
    "escalated",
    "away",
    "checkins",
)


def health_csv(rows: Sequence[PairHealth]) -> str:
    """``/pair health`` as CSV, for when there are more pairs than an embed holds."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEALTH_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.name,
                row.state,
                "; ".join(row.members),
                f"{row.risk:.2f}",
                row.label,
                row.last_contact.isoformat() if row.last_contact else "",
                "" if row.days_since_contact is None else row.days_since_contact,
                f"{row.contacts_per_fortnight:.2f}",
                row.nudges,
                "yes" if row.escalated else "no",
                row.away,
                "; ".join(row.checkins),
            ]
        )
    return out.getvalue()


def _latest_checkins(
    checkins: list[CheckIn], people: dict[int, Participant]
) -> tuple[tuple[str, ...], int]:
    """Each member's latest check-in answer ("Ana: great") and how many say not working."""
    latest: dict[int, CheckIn] = {}
    for checkin in checkins:
        if checkin.rating is not None:
            latest[checkin.participant_id] = checkin
    asked = max((c.sequence for c in checkins), default=0)
    lines = []
    for member_id in sorted({c.participant_id for c in checkins}):
        person = people.get(member_id)
        name = person.name if person else f"member {member_id}"
        answer = latest.get(member_id)
        if answer is None:
            lines.append(f"{name}: not answered")
        else:
            rating = (answer.rating or "").replace("_", " ")
            stale = "" if answer.sequence == asked else f" (check-in {answer.sequence})"
            lines.append(f"{name}: {rating}{stale}")
    not_working = sum(1 for c in latest.values() if c.rating == "not_working")
    return tuple(lines), not_working


def _upcoming_away(pair: PairActivity, now: datetime, names: dict[int, str]) -> str:
    """Current and upcoming away periods only ("Bo away until 3 March 2027")."""
    current = PairActivity(
        partnership_id=pair.partnership_id,
        started_at=min(pair.started_at, now),
        members=tuple(
            MemberActivity(m.member_id, m.timezone, None, tuple(a for a in m.away if a.end > now))
            for m in pair.members
        ),
    )
    return away_summary(current, now, names)


def _nudge_post(partnership: LivePair, nudge: Nudge, earlier: int, now: datetime) -> NewPost:
    number = earlier + 1
    return NewPost.for_partnership(
        partnership.id,
        f"nudge:{number}",
        "nudge",
        {"to": "space", "channel_id": partnership.channel_id},
        now,
        kind=nudge.kind,
        recipients=list(nudge.recipients),
        silent=list(nudge.silent_members),
        days=nudge.days_quiet,
        number=number,
    )


def _escalation_post(
    partnership: LivePair, escalation: Escalate, earlier: int, now: datetime
) -> NewPost:
    return NewPost.for_partnership(
        partnership.id,
        f"escalation:{earlier + 1}",
        "escalation",
        {"to": "coordinators"},
        now,
        days=escalation.days_since_contact,
        nudges=escalation.nudges,
        away_summary=escalation.away_summary,
        silent=list(escalation.silent_members),
    )


def _log_task_end(task: asyncio.Task[None]) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.error("the contact writer stopped", exc_info=error)
