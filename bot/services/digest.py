"""The coordinators' weekly digest: a planner with one item, the next digest.

It falls due at the configured weekday and hour in the program's time zone. A digest the
bot missed while it was down goes out late, once, if it is less than a day late;
otherwise the next one is planned. Nothing is sent when there is nothing to say (no round
running and no case open or handled that week); the planner still wakes the bot at each
slot to see, which costs an idle program one look a week (the retention purge looks daily).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Config
from bot.domain.wording import days_ago
from bot.posts._text import discord_time
from bot.posts.digest import WeeklyDigest
from bot.services.agenda import Agenda
from bot.services.contact import HealthReport
from bot.services.errors import UserFacingError
from bot.store import Scheduled, Store
from bot.store.models import RoundState

log = logging.getLogger(__name__)

LATE_ALLOWANCE = timedelta(days=1)
WEEK = timedelta(days=7)


class DigestPlanner:
    def __init__(self, store: Store, clock: Clock, config: Config, health: HealthReport) -> None:
        self._store = store
        self._clock = clock
        self._config = config
        self._settings = config.coordinators
        self._zone = ZoneInfo(config.program.timezone)
        self._health = health
        self._agenda: Agenda[str, datetime] = Agenda()
        self._loaded = False

    def slot_after(self, moment: datetime) -> datetime:
        """The first digest instant strictly after ``moment``."""
        local = moment.astimezone(self._zone)
        day = local.date()
        while True:
            if day.weekday() == self._settings.weekday_number:
                slot = datetime.combine(day, time(self._settings.digest_hour), tzinfo=self._zone)
                if slot > moment:
                    return slot.astimezone(UTC)
            day += timedelta(days=1)

    def next_due(self) -> datetime | None:
        if not self._settings.digest:
            return None
        if not self._loaded:
            return self._clock.now()
        return self._agenda.next_at()

    async def plan(self, now: datetime) -> int:
        """Queue the digest when it is due; returns how many were queued (0 or 1)."""
        if not self._settings.digest:
            return 0
        if not self._loaded:
            self._loaded = True
            first = self.slot_after(now - LATE_ALLOWANCE)
            self._agenda.replace("digest", [(first, first)])
        queued = 0
        for _, slot in self._agenda.pop_due(now):
            # Digests missed by more than a day (the bot was down, or asleep while idle)
            # are not sent late; the next one is planned.
            following = self.slot_after(max(slot, now - LATE_ALLOWANCE))
            self._agenda.replace("digest", [(following, following)])
            if now - slot <= LATE_ALLOWANCE:
                queued += await self._queue(slot, now)
        return queued

    async def _queue(self, slot: datetime, now: datetime) -> int:
        since = slot - WEEK
        open_now = await self._store.cases.listed("open", 0)
        _, opened, handled = await self._store.cases.counts_since(since)
        running = await self._store.rounds.in_states([RoundState.RUNNING])
        if not running and not open_now and not handled:
            return 0
        case_lines = []
        for case in open_now:
            where = f"<#{case.thread_id}>" if case.thread_id else f"case {case.id}"
            taken = f", taken by <@{case.assignee_id}>" if case.assignee_id else ", not taken"
            case_lines.append(
                f"{where} {case.title}: open since {discord_time(case.opened_at, 'R')}{taken}"
            )
        quiet: list[str] = []
        pairs = 0
        answers: dict[str, int] = {}
        if running:
            round_ = running[-1]
            try:
                rows = await self._health.rows(round_)
            except UserFacingError:
                rows = []
            pairs = len(rows)
            started = datetime.combine(round_.starts_on, time(0), tzinfo=UTC)
            quiet_days = self._config.nudges.quiet_after_days
            for row in rows:
                days = row.days_since_contact
                if days is None and (slot - started).days < quiet_days:
                    continue
                if days is None or days >= quiet_days:
                    last = "no contact yet" if days is None else f"last contact {days_ago(days)}"
                    quiet.append(f"{row.name}: {last} ({row.label})")
            ids = [row.partnership_id for row in rows]
            answers = await self._store.activity.ratings_since(ids, since)
        digest = WeeklyDigest(
            week_of=slot.astimezone(self._zone).date(),
            open_cases=tuple(case_lines),
            opened=opened,
            handled=handled,
            pairs=pairs,
            quiet=tuple(quiet),
            checkins=answers,
        )
        queued = await self._store.outbox.enqueue([Scheduled(digest, now)], now)
        if queued:
            log.info("queued the weekly digest for %s", digest.week_of)
        return queued
