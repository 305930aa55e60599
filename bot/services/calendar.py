"""A running round's dated posts, queued as they fall due: in each space its topics,
availability asks, check-ins (and their direct messages), the end reminder and the close;
for the whole round the cohort-wide thread of each topic, and the round's own end.

What a pair gets when is the domain's :class:`RoundCalendar` (one post a day at most, asks
near a topic riding on its post, nothing but the close in the last week); the contact
planner asks :meth:`CalendarPlanner.quiet_windows` so its nudges keep to the same rules.

The planner keeps in memory when each partnership and round is next due (an
:class:`Agenda` derived from the store at start-up and for whatever :class:`Changes`
names), so a run pops only what is due, and :meth:`next_due` is when it wants waking.
Everything it queues has a stable key, so a restart that offers a post again queues it
once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.config import Config
from bot.domain.calendar import CalendarEntry, RoundCalendar, Series
from bot.posts import DirectTarget, ForumTarget, SpaceTarget, Work
from bot.posts.away import AvailabilityAsk
from bot.posts.checkins import CheckinDm, CheckinPrompt
from bot.posts.closing import Closing, EndReminder
from bot.posts.spaces import OpenSpace
from bot.posts.topics import CohortThread, TopicPost
from bot.services.agenda import Agenda
from bot.services.changes import Change, Changes, MemberChanged, PartnershipChanged, RoundChanged
from bot.services.zones import MemberZones
from bot.store import Scheduled, Store
from bot.store.activity import LivePair
from bot.store.effects import AskCheckins
from bot.store.models import Round, RoundState, RoundTopic

log = logging.getLogger(__name__)

PLANNED_STATES = (RoundState.RUNNING, RoundState.ENDED)
# Partnerships with a calendar: the active ones, and those that lost a partner (their close).
CALENDAR_STATES = ("active", "member_left")
# The cohort thread opens a moment before the first space gets its topic, so every
# space's post can link to it.
THREAD_LEAD = timedelta(seconds=1)


class _RoundEnd:
    """The round reaches its end date once the last of its spaces has had its close."""


RoundItem = RoundTopic | _RoundEnd


class CalendarPlanner:
    def __init__(
        self, store: Store, clock: Clock, config: Config, zones: MemberZones, changes: Changes
    ) -> None:
        self._store = store
        self._clock = clock
        self._config = config
        self._zones = zones
        self._pairs: Agenda[int, tuple[datetime, LivePair, CalendarEntry]] = Agenda()
        self._rounds: Agenda[int, tuple[datetime, RoundItem]] = Agenda()
        self._pair_round: dict[int, int] = {}
        self._pair_zones: dict[int, list[str]] = {}
        self._calendars: dict[int, RoundCalendar] = {}
        self._topics: dict[int, dict[int, RoundTopic]] = {}
        self._loaded = False
        self._stale_rounds: set[int] = set()
        self._stale_pairs: set[int] = set()
        self._changes = changes
        changes.subscribe(self._changed)

    def _changed(self, change: Change) -> None:
        match change:
            case RoundChanged(round_id=round_id):
                self._stale_rounds.add(round_id)
            case PartnershipChanged(partnership_id=pid):
                self._stale_pairs.add(pid)
            case MemberChanged():
                pass  # a member's zone is fixed for the round once it runs

    async def plan(self, now: datetime) -> int:
        """Queue what has fallen due; returns how many were new."""
        await self._refresh()
        due: list[Scheduled] = []
        pair_entries = self._pairs.pop_due(now)
        if pair_entries:
            due += await self._pair_posts(pair_entries)
        for round_id, (at, item) in self._rounds.pop_due(now):
            due += await self._round_step(round_id, item, at)
        queued = await self._store.outbox.enqueue(due, now)
        if queued:
            log.info("queued %d calendar post(s)", queued)
        return queued

    def next_due(self) -> datetime | None:
        """When the next dated post falls due (None when no round is planned)."""
        if not self._loaded or self._stale_rounds or self._stale_pairs:
            return self._clock.now()
        times = [at for at in (self._pairs.next_at(), self._rounds.next_at()) if at is not None]
        return min(times, default=None)

    def quiet_windows(self, partnership_id: int) -> list[tuple[datetime, datetime]]:
        """When nothing else should reach the partnership: the days of its dated posts and
        its last week (none for a partnership this planner has no calendar for)."""
        round_id = self._pair_round.get(partnership_id)
        if round_id is None or round_id not in self._calendars:
            return []
        return self._calendars[round_id].quiet_windows(self._pair_zones[partnership_id])

    def latest(self, partnership_id: int, series: Series, now: datetime) -> int | None:
        """The newest entry of ``series`` due by ``now`` for a live partnership (0: none
        yet); None for one this planner has no calendar for."""
        round_id = self._pair_round.get(partnership_id)
        if round_id is None or round_id not in self._calendars:
            return None
        return self._calendars[round_id].latest(series, self._pair_zones[partnership_id], now)

    async def post_topic_now(self, round_: Round, topic: RoundTopic) -> int:
        """Queue a topic for every space and the forum right away (the same keys as the
        calendar's, so it can never go out twice). Returns the number of spaces."""
        pairs = await self._store.activity.live_pairs(round_.id)
        now = self._clock.now()
        posts = [Scheduled(_cohort_thread(round_, topic), now - THREAD_LEAD)]
        posts += [Scheduled(_topic_post(pair, topic.id), now) for pair in pairs]
        await self._store.outbox.enqueue(posts, now)
        return len(pairs)

    # Deriving the agenda ------------------------------------------------------------------

    async def _refresh(self) -> None:
        if not self._loaded:
            self._loaded = True
            self._stale_rounds |= {
                r.id for r in await self._store.rounds.in_states(list(PLANNED_STATES))
            }
        pairs: dict[int, set[int]] = {}
        if self._stale_pairs:
            for pid, round_id in (
                await self._store.partnerships.rounds_of(list(self._stale_pairs))
            ).items():
                pairs.setdefault(round_id, set()).add(pid)
        for pid in self._stale_pairs:
            if pid in self._pair_round and not any(pid in ids for ids in pairs.values()):
                self._forget_pair(pid)
        rounds, self._stale_rounds, self._stale_pairs = self._stale_rounds, set(), set()
        for round_id in rounds:
            await self._plan_round(round_id, None)
        for round_id, ids in pairs.items():
            if round_id not in rounds:
                await self._plan_round(round_id, ids)

    async def _plan_round(self, round_id: int, only: set[int] | None) -> None:
        """The round's live spaces (or only these of them) and the round itself, from the
        store; a whole round also reads its topics again."""
        round_ = await self._store.rounds.get(round_id)
        if round_ is None or round_.state not in PLANNED_STATES:
            self._rounds.forget(round_id)
            self._calendars.pop(round_id, None)
            for pid in [p for p, r in self._pair_round.items() if r == round_id]:
                self._forget_pair(pid)
            return
        if only is None or round_id not in self._calendars:
            topics = await self._store.topics.for_round(round_id)
            self._topics[round_id] = {t.id: t for t in topics}
            self._calendars[round_id] = RoundCalendar(
                round_.starts_on,
                round_.ends_on,
                self._config.round,
                [(t.id, t.due_on) for t in topics],
            )
        calendar = self._calendars[round_id]
        live = await self._store.activity.live_pairs(
            round_id, None if only is None else list(only), states=CALENDAR_STATES
        )
        planned = (
            {p for p, r in self._pair_round.items() if r == round_id} if only is None else only
        )
        for pid in planned - {pair.id for pair in live}:
            self._forget_pair(pid)
        ended = round_.state is RoundState.ENDED
        now = self._clock.now()
        for pair in live:
            self._pair_round[pair.id] = round_id
            zones = self._pair_zones[pair.id] = [
                self._zones.named(m.timezone) for m in pair.members
            ]
            if ended:
                entries = [(now, _closing(calendar))]
            else:
                entries = _for_pair(calendar.due_times(zones), pair)
            self._pairs.replace(pair.id, [(at, (at, pair, entry)) for at, entry in entries])
        items = [] if ended else self._round_items(round_id, calendar)
        self._rounds.replace(round_id, [(at, (at, item)) for at, item in items])
        if round_.state is RoundState.RUNNING and only is None:
            await self._resume_opening(round_)

    def _round_items(
        self, round_id: int, calendar: RoundCalendar
    ) -> list[tuple[datetime, RoundItem]]:
        """Each topic's cohort thread, a moment before its first space gets it, and the
        round's end, once its last space has had its close."""
        zone_sets = {
            tuple(self._pair_zones[pid]) for pid, r in self._pair_round.items() if r == round_id
        }
        if not zone_sets:
            return []
        first_topic: dict[int, datetime] = {}
        for zones in zone_sets:
            for at, entry in calendar.due_times(zones):
                if entry.series is Series.TOPIC and entry.topic_id is not None:
                    first_topic[entry.topic_id] = min(first_topic.get(entry.topic_id, at), at)
        topics = self._topics[round_id]
        items: list[tuple[datetime, RoundItem]] = [
            (at - THREAD_LEAD, topics[tid]) for tid, at in first_topic.items() if tid in topics
        ]
        items.append((max(calendar.closes_at(zones) for zones in zone_sets), _RoundEnd()))
        return items

    def _forget_pair(self, pid: int) -> None:
        self._pairs.forget(pid)
        self._pair_round.pop(pid, None)
        self._pair_zones.pop(pid, None)

    async def _resume_opening(self, round_: Round) -> None:
        """Queue the opening of any confirmed partnership's space again: a no-op for those
        already queued, and the resumption for any a crash or a failure left behind."""
        confirmed = await self._store.partnerships.for_round(round_.id, ["confirmed"])
        now = self._clock.now()
        await self._store.outbox.enqueue(
            [Scheduled(OpenSpace(partnership_id=p.id), now) for p in confirmed], now
        )

    # Turning due entries into posts -------------------------------------------------------

    async def _pair_posts(
        self, due: list[tuple[int, tuple[datetime, LivePair, CalendarEntry]]]
    ) -> list[Scheduled]:
        """The posts of the entries that fell due, each due at its own instant (so a topic's
        cohort thread, a second earlier, goes out first)."""
        asking = [pair for _, (_, pair, entry) in due if _checkin_of(entry) is not None]
        default_dm = self._config.program.checkin_dm_opt_in_default
        choices = await self._store.activity.checkin_dm_choices(
            [m.participant_id for pair in asking for m in pair.members]
        )
        posts: list[Scheduled] = []
        for _, (at, pair, entry) in due:
            space = SpaceTarget(channel_id=pair.channel_id)
            pid = pair.id
            match entry.series:
                case Series.TOPIC:
                    assert entry.topic_id is not None
                    checkin = entry.carried(Series.CHECKIN)
                    topic = _topic_post(
                        pair, entry.topic_id, entry.carried(Series.AVAILABILITY), checkin
                    )
                    asked = () if checkin is None else (_asked(pair, checkin),)
                    posts.append(Scheduled(topic, at, asked))
                case Series.AVAILABILITY:
                    ask = AvailabilityAsk(partnership_id=pid, target=space, sequence=entry.sequence)
                    posts.append(Scheduled(ask, at))
                case Series.CHECKIN:
                    prompt = CheckinPrompt(
                        partnership_id=pid, target=space, sequence=entry.sequence
                    )
                    posts.append(Scheduled(prompt, at, (_asked(pair, entry.sequence),)))
                case Series.END_REMINDER:
                    posts.append(Scheduled(EndReminder(partnership_id=pid, target=space), at))
                case Series.CLOSING:
                    posts.append(Scheduled(Closing(partnership_id=pid, target=space), at))
            checkin = _checkin_of(entry)
            if checkin is not None:  # by direct message too, to those who asked for that
                posts += [
                    Scheduled(_checkin_dm(pair, checkin, m), at)
                    for m in pair.member_ids
                    if choices.get(m, default_dm)
                ]
        return posts

    async def _round_step(self, round_id: int, item: RoundItem, at: datetime) -> list[Scheduled]:
        round_ = await self._store.rounds.get(round_id)
        if round_ is None or round_.state is not RoundState.RUNNING:
            return []
        if isinstance(item, _RoundEnd):
            now = self._clock.now()
            await self._store.rounds.set_state(round_id, RoundState.RUNNING, RoundState.ENDED, now)
            log.info("round %s reached its end date", round_.name)
            self._changes.round(round_id)  # this planner's own look too
            return []
        return [Scheduled(_cohort_thread(round_, item), at)]


def _for_pair(
    due: list[tuple[datetime, CalendarEntry]], pair: LivePair
) -> list[tuple[datetime, CalendarEntry]]:
    """A pair's entries. A partnership made mid-round (a coordinator's rematch) starts
    with the topic of the moment, not every topic it missed."""
    before = [
        entry.topic_id for at, entry in due if entry.series is Series.TOPIC and at < pair.created_at
    ]
    missed = set(before[:-1])
    return [
        # The topic it starts with comes without the asks that went with it to the others.
        (at, entry if at >= pair.created_at else entry.without_asks())
        for at, entry in due
        if _applies(entry, at, pair)
        and not (entry.series is Series.TOPIC and entry.topic_id in missed)
    ]


def _applies(entry: CalendarEntry, at: datetime, pair: LivePair) -> bool:
    """Asks and check-ins start with the partnership; topics and the close are for all.
    A partnership that lost a partner gets only its close, so its space is closed too."""
    if pair.state != "active":
        return entry.series is Series.CLOSING
    if entry.series in (Series.AVAILABILITY, Series.CHECKIN):
        return at >= pair.created_at
    return True


def _closing(calendar: RoundCalendar) -> CalendarEntry:
    return next(e for e in calendar.entries if e.series is Series.CLOSING)


def _topic_post(
    pair: LivePair, topic_id: int, availability: int | None = None, checkin: int | None = None
) -> Work:
    return TopicPost(
        partnership_id=pair.id,
        target=SpaceTarget(channel_id=pair.channel_id),
        topic_id=topic_id,
        availability=availability,
        checkin=checkin,
    )


def _checkin_of(entry: CalendarEntry) -> int | None:
    """The check-in an entry asks, on its own or riding on a topic (None: it asks none)."""
    if entry.series is Series.CHECKIN:
        return entry.sequence
    return entry.carried(Series.CHECKIN) if entry.series is Series.TOPIC else None


def _asked(pair: LivePair, sequence: int) -> AskCheckins:
    return AskCheckins(tuple((pair.id, m, sequence) for m in pair.member_ids))


def _checkin_dm(pair: LivePair, sequence: int, member_id: int) -> Work:
    target = DirectTarget(user_id=member_id)
    return CheckinDm(partnership_id=pair.id, target=target, sequence=sequence, member_id=member_id)


def _cohort_thread(round_: Round, topic: RoundTopic) -> Work:
    return CohortThread(
        target=ForumTarget(title=f"{round_.name}: {topic.title}"),
        round_id=round_.id,
        topic_id=topic.id,
    )
