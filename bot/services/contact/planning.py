"""Nudges to quiet pairs, the coordinators' alert when nudges go unanswered, and the welcome
back after time away.

Each live pair is looked at when the contact rules say its answer could change
(:func:`bot.domain.contact.next_check_at`), when something about it changed (a space
opened, time away recorded or cancelled, the round started or ended), or, for a pair whose
nudges were escalated, when its partners write again. Between those instants a run does
nothing for it. A pair in touch that is heard from again is not looked at when its quietest
member would have turned silent but when, with that contact, someone first can: before
then no rule can fire (time away only moves silence later), so pairs that keep talking
never wake the bot.

Nudges and welcome-backs keep to the pair's calendar (:meth:`QuietWindows.quiet_windows`):
never on a day that already has one of its dated posts, nor in its last week.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock
from bot.config import Config
from bot.domain.calendar import post_instant
from bot.domain.contact import (
    Decision,
    Escalate,
    NoAction,
    SendNudge,
    contact_resumed,
    decide,
    next_check_at,
    silence_starts,
    silent_from,
)
from bot.domain.zones import zone as zone_named
from bot.posts import CaseTarget, SpaceTarget
from bot.posts.away import WelcomeBack
from bot.posts.cases import on_case
from bot.posts.contact import Escalation, Nudge
from bot.services.agenda import Agenda
from bot.services.changes import Change, Changes, MemberChanged, PartnershipChanged, RoundChanged
from bot.services.contact._shared import RoundView, round_view
from bot.services.contact.recording import ContactHeard, ContactLog
from bot.services.zones import MemberZones
from bot.store import Scheduled, Store
from bot.store.activity import NO_NUDGES, LivePair
from bot.store.effects import RecordNudge
from bot.store.models import Round, RoundState, pair_subject

log = logging.getLogger(__name__)

# A pair just acted on whose rules still say "now" (which they should not) is looked at
# again after this, instead of on every run.
SETTLE = timedelta(hours=1)
_DAY = timedelta(days=1)


class QuietWindows(Protocol):
    """The calendar planner, as this planner asks it when a pair may hear from the bot."""

    def quiet_windows(self, partnership_id: int) -> list[tuple[datetime, datetime]]: ...


class ContactPlanner:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        config: Config,
        contact_log: ContactLog,
        zones: MemberZones,
        changes: Changes,
        calendar: QuietWindows,
    ) -> None:
        self._calendar = calendar
        self._store = store
        self._clock = clock
        self._config = config
        self._log = contact_log
        self._zones = zones
        self._checks: Agenda[int, None] = Agenda()
        self._welcomes: Agenda[int, Scheduled] = Agenda()
        self._dormant: set[int] = set()  # escalated: waiting for contact
        # In touch at their last look: when each member's silence began, moved on by what
        # has been heard since.
        self._in_touch: dict[int, dict[int, datetime]] = {}
        self._round_of: dict[int, int] = {}  # partnership -> round (never changes)
        self._rounds: dict[int, Round | None] = {}
        self._loaded = False
        self._stale_pairs: set[int] = set()
        self._stale_members: set[int] = set()
        self._stale_rounds: set[int] = set()
        changes.subscribe(self._changed)
        contact_log.on_contact(self._heard)

    def _changed(self, change: Change) -> None:
        match change:
            case PartnershipChanged(partnership_id=pid):
                self._stale_pairs.add(pid)
            case MemberChanged(member_id=member):
                self._stale_members.add(member)
            case RoundChanged(round_id=round_id):
                self._stale_rounds.add(round_id)

    def _heard(self, heard: ContactHeard) -> None:
        """Partners were in touch: an escalated pair, which waits for exactly that, is woken;
        a pair in touch is looked at later, when someone can first turn silent now."""
        pid = heard.partnership_id
        if pid in self._dormant:
            self._dormant.discard(pid)
            self._checks.replace(pid, [(self._clock.now(), None)])
            return
        starts = self._in_touch.get(pid)
        if starts is None:
            return
        quietest = min(starts.values())
        for member in starts if heard.member_id is None else (heard.member_id,):
            if member in starts:
                starts[member] = max(starts[member], heard.at)
        if min(starts.values()) != quietest:  # most messages are not the quietest member's
            self._checks.replace(pid, [(silent_from(starts, self._config.nudges), None)])

    async def plan(self, now: datetime) -> int:
        """Act on every pair that is due; returns how many posts were queued."""
        await self._refresh(now)
        welcomes = [item for _, item in self._welcomes.pop_due(now)]
        queued = await self._store.outbox.enqueue(welcomes, now)
        due = [pid for pid, _ in self._checks.pop_due(now)]
        if due:
            await self._log.flush()  # the rules read contact up to this moment
            queued += await self._evaluate(due, now)
        if queued:
            log.info("queued %d contact post(s)", queued)
        return queued

    def next_due(self) -> datetime | None:
        if not self._loaded or self._stale_pairs or self._stale_members or self._stale_rounds:
            return self._clock.now()
        times = [t for t in (self._checks.next_at(), self._welcomes.next_at()) if t is not None]
        return min(times, default=None)

    # What to look at ----------------------------------------------------------------------

    async def _refresh(self, now: datetime) -> None:
        rounds = set(self._stale_rounds)
        for round_id in rounds:
            self._rounds.pop(round_id, None)
        if not self._loaded:
            self._loaded = True
            rounds |= {r.id for r in await self._store.rounds.in_states([RoundState.RUNNING])}
        pairs = set(self._stale_pairs)
        for round_id in rounds:
            ids = await self._store.partnerships.ids_in_round(round_id)
            self._round_of.update(dict.fromkeys(ids, round_id))
            pairs.update(ids)
        for member in self._stale_members:
            pairs |= {p.id for p in await self._store.partnerships.for_member(member)}
        self._stale_pairs.clear()
        self._stale_members.clear()
        self._stale_rounds.clear()
        for pid in pairs:
            self._dormant.discard(pid)
            self._in_touch.pop(pid, None)
            self._checks.replace(pid, [(now, None)])

    async def _evaluate(self, pids: list[int], now: datetime) -> int:
        """Decide and act for these pairs, then note when each is next worth a look."""
        queued = 0
        for round_id, ids in (await self._by_round(pids)).items():
            round_ = await self._round(round_id)
            live = []
            if round_ is not None and round_.state is RoundState.RUNNING:
                live = await self._store.activity.live_pairs(round_id, ids)
            for pid in set(ids) - {p.id for p in live}:
                self._forget(pid)
            if not live:
                continue
            assert round_ is not None
            view = self._quiet(await round_view(self._store, self._zones, round_, live))
            decisions = self._decide(view, now)
            acted = await self._act(view, decisions, now)
            queued += acted
            if acted:
                # Read the pairs again, now with their new nudges, for their next look.
                view = self._quiet(await round_view(self._store, self._zones, round_, live))
                decisions = self._decide(view, now)
            self._schedule(view, decisions, now)
        return queued

    def _quiet(self, view: RoundView) -> RoundView:
        """The view with each pair's quiet windows, as its calendar has them."""
        pairs = {
            pid: replace(pair, quiet=tuple(self._calendar.quiet_windows(pid)))
            for pid, pair in view.pairs.items()
        }
        return replace(view, pairs=pairs)

    async def _by_round(self, pids: list[int]) -> dict[int, list[int]]:
        unknown = [pid for pid in pids if pid not in self._round_of]
        if unknown:
            self._round_of.update(await self._store.partnerships.rounds_of(unknown))
        grouped: dict[int, list[int]] = defaultdict(list)
        for pid in pids:
            if pid in self._round_of:
                grouped[self._round_of[pid]].append(pid)
            else:
                self._forget(pid)
        return grouped

    async def _round(self, round_id: int) -> Round | None:
        """The round as last read (a round's changes are announced, see :meth:`_changed`)."""
        if round_id not in self._rounds:
            self._rounds[round_id] = await self._store.rounds.get(round_id)
        return self._rounds[round_id]

    def _forget(self, pid: int) -> None:
        self._checks.forget(pid)
        self._welcomes.forget(pid)
        self._dormant.discard(pid)
        self._in_touch.pop(pid, None)

    def _decide(self, view: RoundView, now: datetime) -> dict[int, Decision]:
        rules = self._config.nudges
        return {
            pid: decide(pair, now, rules, names=view.names_in(pair))
            for pid, pair in view.pairs.items()
        }

    def _schedule(self, view: RoundView, decisions: dict[int, Decision], now: datetime) -> None:
        for pid, decision in decisions.items():
            activity = view.pairs[pid]
            at = next_check_at(activity, decision, now, self._config.nudges)
            if decision == NoAction("in_touch"):
                self._in_touch[pid] = silence_starts(activity, now)
            else:
                self._in_touch.pop(pid, None)
            if at is None:
                self._dormant.add(pid)
                self._checks.forget(pid)
                continue
            self._checks.replace(pid, [(max(at, now + SETTLE) if at <= now else at, None)])
        for pair in view.partnerships:
            self._welcomes.replace(pair.id, self._welcome_backs(view, pair))

    # What to do ---------------------------------------------------------------------------

    async def _act(self, view: RoundView, decisions: dict[int, Decision], now: datetime) -> int:
        activity = self._store.activity
        for pid, pair in view.pairs.items():
            if (pair.nudges_since_contact or pair.escalated) and contact_resumed(pair):
                assert pair.last_nudge_at is not None
                await activity.reset_nudges(pid, pair.last_nudge_at)
        acting = [pid for pid, d in decisions.items() if isinstance(d, SendNudge | Escalate)]
        if not acting:
            return 0
        summaries = await activity.nudge_summaries(acting)
        by_id = {p.id: p for p in view.partnerships}
        posts: list[Scheduled] = []
        for pid in acting:
            decision, summary = decisions[pid], summaries.get(pid, NO_NUDGES)
            if isinstance(decision, SendNudge):
                posts.append(_nudge(by_id[pid], decision, summary.total + 1, now))
            elif isinstance(decision, Escalate):
                posts += _escalation(by_id[pid], decision, summary.escalations_total + 1, now)
        return await self._store.outbox.enqueue(posts, now)

    def _welcome_backs(self, view: RoundView, pair: LivePair) -> list[tuple[datetime, Scheduled]]:
        """A welcome back for each member's time away that ends during the partnership."""
        activity = view.pairs.get(pair.id)
        if activity is None:
            return []
        hour = self._config.round.post_hour
        items = []
        for member in activity.members:
            for period in view.away.get(member.member_id, ()):
                if period.ends_at <= activity.started_at:
                    continue
                due = _first_free_morning(period.ends_at, member.timezone, hour, activity.quiet)
                post = WelcomeBack(
                    partnership_id=pair.id,
                    target=SpaceTarget(channel_id=pair.channel_id),
                    away_id=period.id,
                )
                items.append((due, Scheduled(post, due)))
        return items


def _first_free_morning(
    back: datetime, zone: str, hour: int, quiet: Sequence[tuple[datetime, datetime]]
) -> datetime:
    """When to welcome back someone whose time away ends at ``back``: that day's posting
    hour in their zone (or ``back`` itself, when later), moved to a later day while the
    pair already hears from the bot that day."""
    day = back.astimezone(zone_named(zone)).date()
    due = max(back, post_instant(day, hour, [zone]))
    for _ in range(len(quiet) + 1):
        ends = [end for start, end in quiet if start <= due < end]
        if not ends:
            break
        day = max(ends).astimezone(zone_named(zone)).date()
        morning = post_instant(day, hour, [zone])
        due = morning if morning >= max(ends) else post_instant(day + _DAY, hour, [zone])
    return due


def _nudge(pair: LivePair, nudge: SendNudge, number: int, now: datetime) -> Scheduled:
    post = Nudge(
        partnership_id=pair.id,
        target=SpaceTarget(channel_id=pair.channel_id),
        tone=nudge.kind,
        recipients=nudge.recipients,
        silent=nudge.silent_members,
        days=nudge.days_quiet,
        number=number,
    )
    return Scheduled(post, now, (RecordNudge(pair.id, nudge.kind, post.key),))


def _escalation(
    pair: LivePair, escalation: Escalate, number: int, now: datetime
) -> list[Scheduled]:
    """The escalation, as a follow-up in the pair's case (which opens for it)."""
    subject = pair_subject(pair.id)
    post = Escalation(
        partnership_id=pair.id,
        target=CaseTarget(subject=subject),
        days=escalation.days_since_contact,
        nudges=escalation.nudges,
        away_summary=escalation.away_summary,
        silent=escalation.silent_members,
        number=number,
    )
    nudge = RecordNudge(pair.id, "escalation", post.key)
    return on_case(post, subject, "escalation", post.case_summary(), now, recorded=(nudge,))
