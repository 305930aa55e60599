"""What falls due for running rounds' live partnerships: availability asks, check-ins (and
their DMs), welcome-backs after time away, nudges and escalations."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Config
from bot.domain.calendar import availability_dates, checkin_dates, post_instant
from bot.domain.contact import Decision, Escalate, Nudge, contact_resumed, decide
from bot.services.contact._shared import RoundView, round_view
from bot.services.contact.recording import ContactLog
from bot.store import NewPost, Store
from bot.store.activity import NO_NUDGES, LivePair
from bot.store.models import RoundState

log = logging.getLogger(__name__)


class ContactPlanner:
    """Queues contact posts; every one has a stable outbox key, so it is queued once."""

    def __init__(self, store: Store, clock: Clock, config: Config, contact_log: ContactLog) -> None:
        self._store = store
        self._clock = clock
        self._config = config
        self._log = contact_log
        self._planned: set[str] = set()  # keys this process already queued (the store dedups)

    async def plan(self) -> None:
        """Queue what has fallen due for running rounds' active partnerships: availability
        asks, check-ins (and DMs), welcome-backs, nudges and escalations."""
        await self._log.flush()
        now = self._clock.now()
        for view in await self._views(now):
            self._log.track(view.partnerships)
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
                views.append(await round_view(self._store, self._config, round_, partnerships))
        return views

    def _decide(self, view: RoundView, now: datetime) -> dict[int, Decision]:
        rules = self._config.nudges
        return {
            pid: decide(pair, now, rules, names=view.names_in(pair))
            for pid, pair in view.pairs.items()
        }

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
