"""APScheduler only wakes the program up; what is due is always read from the store."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

TICK_JOB = "iln:tick"


class Waker:
    """Runs ``work`` every ``tick_seconds``, and at once whenever :meth:`run_now` is called.

    ``work`` must be idempotent: a wake-up that finds nothing due does nothing. Overlapping
    wake-ups are coalesced so two runs never race over the same posts.
    """

    def __init__(self, work: Callable[[], Awaitable[None]], tick_seconds: int) -> None:
        self._work = work
        self._tick_seconds = tick_seconds
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._running = asyncio.Lock()

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
        if self._running.locked():
            return
        async with self._running:
            try:
                await self._work()
            except Exception:
                log.exception("a scheduled run failed; the next tick retries what is still due")

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
