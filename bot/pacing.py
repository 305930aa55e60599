"""Pacing requests below Discord's global rate limit.

discord.py honours per-route buckets from response headers, but Discord's global limit
(50 requests per second per bot) is only discovered by hitting it. Fanning a topic out to
hundreds of spaces would do exactly that, so the adapter takes a slot here before each call.
"""

from __future__ import annotations

import asyncio
import time


class Pacer:
    """A token bucket: ``rate`` requests per second on average, ``burst`` at once."""

    def __init__(self, rate: float, burst: int = 1) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self._interval = 1.0 / rate
        self._burst = burst
        self._tokens = float(burst)
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def slot(self) -> None:
        async with self._lock:
            self._refill()
            if self._tokens < 1:
                await asyncio.sleep((1 - self._tokens) * self._interval)
                self._refill()
            self._tokens -= 1

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._updated) / self._interval)
        self._updated = now


# Discord allows 50 requests per second per bot (interaction replies are exempt); pacing a
# little under it keeps clear of the edge of Discord's one-second windows.
GLOBAL_REQUESTS_PER_SECOND = 48.0
