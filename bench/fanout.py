"""Fan-out of one topic to 250 private spaces, against the emulator enforcing Discord's limits.

The floor is what Discord's global limit (50 requests per second, counted in one-second
windows by the emulator) allows for the requests the fan-out must make: one message per
space plus the cohort forum post. The goal is a wall time within 1.25x of that floor, with
no 429 received. Spaces are opened beforehand with limits off; only the fan-out is timed.

Run from the repository root: ``python bench/fanout.py``. The last line reads
``spaces=250 wall_s=W floor_s=F ratio=R http_429=N``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.harness import Iln
from tests.e2e.people import confirmed_round, crowd
from tests.emulator import DiscordEmulator
from tests.emulator.ratelimit import RateLimiter, RateLimits

SPACES = 250
GLOBAL_PER_SECOND = 50


async def measure(spaces: int) -> tuple[float, float, int, int]:
    emulator = DiscordEmulator(spec=None)
    await emulator.start()
    with tempfile.TemporaryDirectory() as folder:
        iln = Iln(emulator, Path(folder) / "bench.sqlite3")
        try:
            await iln.start()
            await confirmed_round(iln, crowd(spaces * 2))
            await iln.program.rounds.start(0)
            await iln.run_due()  # spaces and intros (and topic 1 where already due)
            emulator.rate_limiter = RateLimiter(RateLimits.discord())
            requests_before = len(emulator.transcript)
            started = time.perf_counter()
            await iln.program.topics.post_now(2, 0)
            await iln.run_due()
            wall = time.perf_counter() - started
            requests = len(emulator.transcript) - requests_before
            posted = sum(
                1
                for channel in emulator.driver.channels(type=0)
                for message in emulator.driver.messages(channel)
                if message.embeds and message.embeds[0].get("title", "").startswith("Topic 2")
            )
            return wall, _floor(requests), emulator.sent_429, posted
        finally:
            if iln.bot is not None:
                await iln.stop()
            await emulator.stop()


def _floor(requests: int) -> float:
    """The earliest the last request can go: one-second windows of 50, the first at t=0."""
    return float(math.ceil(requests / GLOBAL_PER_SECOND) - 1)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    wall, floor, http_429, posted = asyncio.run(measure(SPACES))
    print(f"topic posted in {posted} of {SPACES} spaces")
    print(
        f"spaces={SPACES} wall_s={wall:.2f} floor_s={floor:.2f} "
        f"ratio={wall / floor:.2f} http_429={http_429}"
    )


if __name__ == "__main__":
    main()
