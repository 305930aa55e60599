"""The program's services wired together, and the one coalescing run that does what is due.

:class:`Program` is the only place the services are built: the bot, the command line, the
offline simulation, the benchmarks and the tests all make one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.clock import Clock
from bot.config import Config
from bot.content import (
    Messages,
    PrivacyNotice,
    TopicBank,
    default_data_dir,
    load_messages,
    load_privacy_notice,
    load_topics,
)
from bot.posts import RenderContext
from bot.posts.reads import Reads
from bot.posts.setup import MissingPermissions
from bot.services.away import AwayService
from bot.services.calendar import CalendarPlanner
from bot.services.cases import CaseService
from bot.services.changes import Changes
from bot.services.checkins import CheckinService
from bot.services.closing import ClosingService
from bot.services.contact import ContactLog, ContactPlanner, HealthReport
from bot.services.desks import DeskFeatures, DeskService
from bot.services.digest import DigestPlanner
from bot.services.errors import UserFacingError
from bot.services.events import EventReminders, EventService
from bot.services.matching import MatchingService
from bot.services.membership import Departures
from bot.services.outbox import Dispatcher
from bot.services.outreach import OutreachService
from bot.services.pairs import PairService
from bot.services.ports import DiscordPort
from bot.services.privacy import PrivacyService, RetentionPlanner
from bot.services.reports import ReportService
from bot.services.rounds import RoundService
from bot.services.spaces import SpaceService
from bot.services.topics import TopicService
from bot.services.withdrawals import WithdrawalService
from bot.services.zones import MemberZones
from bot.store import Scheduled, Store

log = logging.getLogger(__name__)

# Work done in one pass can make more work due at once (a space opens, so its intro and
# first topic are due): a run goes on until a pass finds nothing, at most this many times.
MAX_PASSES = 8


@dataclass(frozen=True)
class ProgramContent:
    messages: Messages
    topics: TopicBank
    privacy: PrivacyNotice

    @classmethod
    def load(cls, data_dir: Path | None = None) -> ProgramContent:
        folder = data_dir or default_data_dir()
        return cls(
            load_messages(folder / "messages.toml"),
            load_topics(folder / "topics"),
            load_privacy_notice(folder / "privacy.md"),
        )


class Program:
    def __init__(
        self,
        config: Config,
        store: Store,
        clock: Clock,
        port: DiscordPort,
        content: ProgramContent | None = None,
    ) -> None:
        content = content or ProgramContent.load()
        self.config = config
        self.store = store
        self.clock = clock
        self.port = port
        self.content = content
        self.changes = changes = Changes()
        self.zones = zones = MemberZones(store, config.program.timezone)
        self.rounds = RoundService(
            store, clock, config.round, content.topics, changes, config.program.timezone
        )
        self.matching = MatchingService(store, clock, self.rounds, config.matching)
        self.spaces = SpaceService(store, port, config.discord.space_mode)
        self.calendar = CalendarPlanner(store, clock, config, zones, changes)
        self.closing = ClosingService(store, clock)
        self.topics = TopicService(store, clock, self.rounds, self.calendar, changes)
        self.contact_log = ContactLog(store, clock, port, zones, changes)
        self.contact_planner = ContactPlanner(
            store, clock, config, self.contact_log, zones, changes, self.calendar
        )
        self.pair_health = HealthReport(store, clock, config, self.contact_log, zones)
        self.departures = Departures(store, clock, changes)
        self.away = AwayService(store, clock, zones, changes)
        self.checkins = CheckinService(store, clock)
        self.reports = ReportService(store, clock, config, self.pair_health)
        self.events = EventService(store, clock, config, self.rounds, zones, port, changes)
        self.event_reminders = EventReminders(store, clock, changes)
        self.desks = DeskService(store, clock, port)
        self.desk_features = DeskFeatures(store, clock, config.desks)
        self.cases = CaseService(store, clock)
        self.outreach = OutreachService(store, clock, port, self.cases)
        self.pairs = PairService(store, clock, self.rounds, config.matching, changes, self.cases)
        self.withdrawals = WithdrawalService(store, clock, self.rounds, self.cases)
        self.digest = DigestPlanner(store, clock, config, self.pair_health)
        self.privacy = PrivacyService(
            store, clock, config.privacy, content.privacy, port, self.pairs, changes
        )
        self.retention = RetentionPlanner(store, config.privacy)
        render = RenderContext(
            store, clock, content.messages, port, config, zones, self.calendar, Reads(store)
        )
        self.dispatcher = Dispatcher(store, clock, port, render, self.spaces, changes)
        self.run_due = Coalesced(self._run)

    async def next_due(self) -> datetime | None:
        """The earliest instant anything falls due (None: nothing is planned at all)."""
        times = [
            self.calendar.next_due(),
            self.contact_planner.next_due(),
            self.event_reminders.next_due(),
            self.desk_features.next_due(),
            self.digest.next_due(),
            self.retention.next_due(),
            await self.store.outbox.next_due_at(),
        ]
        return min((t for t in times if t is not None), default=None)

    async def _run(self) -> None:
        """Plan what has fallen due and deliver it; what was done is in the store, so this
        is safe at any time, however often."""
        for _ in range(MAX_PASSES):
            now = self.clock.now()
            await self.calendar.plan(now)
            await self.contact_planner.plan(now)
            await self.event_reminders.plan(now)
            await self.desk_features.plan(now)
            await self.digest.plan(now)
            await self.retention.plan(now)
            if not await self.dispatcher.deliver_due():
                return
        log.warning("work was still falling due after %d passes; the next run goes on", MAX_PASSES)

    async def waitlist(self, user_id: int, on: bool) -> bool:
        """Join or leave the waitlist for the next round; False when nothing changed."""
        if not await self.port.set_waitlist_role(user_id, on):
            raise UserFacingError("I could not find you on the server; please try again.")
        if on:
            return await self.store.people.join_waitlist(user_id, self.clock.now())
        return await self.store.people.leave_waitlist(user_id)

    async def report_missing_permissions(self, missing: list[str]) -> None:
        """Say once, in the log and the coordinators' channel, what the bot cannot do."""
        if not missing:
            return
        for problem in missing:
            log.error("missing permission: %s", problem)
        now = self.clock.now()
        report = MissingPermissions(problems=tuple(missing))
        await self.store.outbox.enqueue([Scheduled(report, now)], now)


class Coalesced:
    """Runs ``work`` one at a time. A caller that arrives while a run is in progress waits
    for the next run, which every caller arriving meanwhile shares: so scheduler ticks and
    commands never run the program twice at once, and never pile up."""

    def __init__(self, work: Callable[[], Awaitable[None]]) -> None:
        self._work = work
        self._lock = asyncio.Lock()
        self._next: asyncio.Task[None] | None = None
        self._running: asyncio.Task[None] | None = None

    async def __call__(self) -> None:
        if self._next is None or self._next.done():
            self._next = asyncio.create_task(self._run(), name="program-run")
            self._next.add_done_callback(_log_failure)
        # A caller that gives up waiting does not cancel the run the others share.
        await asyncio.shield(self._next)

    async def _run(self) -> None:
        async with self._lock:
            self._running, self._next = self._next, None  # a new caller needs a later run
            try:
                await self._work()
            finally:
                self._running = None

    async def stop(self) -> None:
        """Cancel the run in progress and any waiting one (at shutdown): work is marked
        done only once it succeeded, so a cancelled run is simply resumed next time."""
        for task in (self._next, self._running):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("a program run failed", exc_info=task.exception())
