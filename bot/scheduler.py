"""APScheduler only wakes the program up; what is due is always read from the store.

After every run the waker asks the program when the next thing falls due and sets one
wake-up for that instant; a safety tick every ``tick_seconds`` covers a clock jump or a
change the program did not hear of.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

TICK_JOB = "iln:tick"
DUE_JOB = "iln:due"


class Waker:
    """Runs ``work`` at each due instant ``next_due`` names, and every ``tick_seconds``.

    ``work`` must be idempotent and coalesce overlapping calls (``Program.run_due`` does).
    """

    def __init__(
        self,
        work: Callable[[], Awaitable[None]],
        next_due: Callable[[], Awaitable[datetime | None]],
        tick_seconds: int,
    ) -> None:
        self._work = work
        self._next_due = next_due
        self._tick_seconds = tick_seconds
        self._scheduler = AsyncIOScheduler(timezone=UTC)

    def start(self) -> None:
        self._scheduler.add_job(
            self.run_now,
            "interval",
            seconds=self._tick_seconds,
            id=TICK_JOB,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        self._scheduler.start()

    async def run_now(self) -> None:
        try:
            await self._work()
            due = await self._next_due()
        except Exception:
            log.exception("a scheduled run failed; the next tick retries what is still due")
            return
        if self._scheduler.running and due is not None:
            self._scheduler.add_job(
                self.run_now,
                "date",
                run_date=max(due, datetime.now(UTC)),
                id=DUE_JOB,
                replace_existing=True,
                misfire_grace_time=None,
            )

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
