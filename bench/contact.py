"""Benchmark of contact tracking against a real SQLite file.

Run from the repository root:  python bench/contact.py [--pairs 1000] [--events 50000]

1. Message events go through ContactLog.record_message (the on_message handler's only
   call) as fast as the event loop can feed them, while the background writer flushes them
   in batches. Reports sustained events/s (until every event is in the database) and the
   handler's p50/p99 latency.
2. The quiet-pair scan: a program that has just started evaluates the contact rules for
   every partnership (what ContactPlanner.plan does first), on the database filled by
   step 1; then a run on day 60, when only the pairs due are looked at.

The last line is machine-readable: ``events_per_s=N p99_ms=M startup_ms=K tick_ms=T``
(``tick_ms``: a run on day 60 once the due pairs are done, when nothing is due).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

try:
    from bot.clock import ManualClock
except ModuleNotFoundError:  # running from a checkout that is not pip-installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bot.clock import ManualClock

from bot.config import Config
from bot.services.contact import ContactLog
from bot.services.ports import Disconnected
from bot.services.program import Program
from bot.store import Store
from bot.store.models import RoundState, utc_text

START = datetime(2027, 3, 1, tzinfo=UTC)
ZONES = ["Europe/London", "Australia/Sydney", "America/New_York", "Asia/Kolkata", "UTC"]


async def populate(store: Store, pairs: int) -> list[tuple[int, int, int]]:
    """A running round with ``pairs`` active partnerships; returns (space, a, b) per pair."""
    now = START - timedelta(days=10)
    async with store.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO participants (discord_id, name, timezone, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (10_000 + n, f"Person {n}", ZONES[n % len(ZONES)], utc_text(now), utc_text(now))
                for n in range(2 * pairs)
            ],
        )
    round_ = await store.rounds.create("bench", date(2027, 3, 1), date(2027, 7, 1), now)
    for old, new in [
        (RoundState.DRAFT, RoundState.APPLICATIONS_OPEN),
        (RoundState.APPLICATIONS_OPEN, RoundState.APPLICATIONS_CLOSED),
        (RoundState.APPLICATIONS_CLOSED, RoundState.RUNNING),
    ]:
        await store.rounds.set_state(round_.id, old, new, now)
    spaces = []
    for n in range(pairs):
        a, b = 10_000 + 2 * n, 10_001 + 2 * n
        pid = await store.partnerships.create(
            round_.id, f"pair-{n}", [a, b], score=1.0, reasons=[], now=now
        )
        await store.partnerships.set_channel(pid, 50_000 + n)
        await store.partnerships.set_state(pid, "active")
        spaces.append((50_000 + n, a, b))
    return spaces


async def feed(
    contact_log: ContactLog, spaces: list[tuple[int, int, int]], events: int, seed: int
) -> tuple[float, list[float]]:
    """Send ``events`` message events; returns (seconds until all are stored, latencies)."""
    rng = random.Random(seed)
    latencies = []
    began = time.perf_counter()
    for n in range(events):
        space, a, b = spaces[rng.randrange(len(spaces))]
        author = a if rng.random() < 0.5 else b
        if n % 20 == 0:
            author = 1  # a moderator or the bot: ignored
        at = START + timedelta(days=rng.uniform(0, 25))
        t0 = time.perf_counter()
        await contact_log.record_message(space, author, 1_000_000 + n, at)
        latencies.append(time.perf_counter() - t0)
        if n % 100 == 99:
            await asyncio.sleep(0)  # let the gateway (and the writer) have the loop, as live
    await contact_log.flush()
    return time.perf_counter() - began, latencies


async def run(pairs: int, events: int, seed: int) -> tuple[float, float, float, float]:
    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(Path(folder) / "bench.sqlite3")
        try:
            spaces = await populate(store, pairs)
            clock = ManualClock(START + timedelta(days=30))
            config = Config(discord={"guild_id": 1, "coordinator_role": "Coordinators"})
            program = Program(config, store, clock, Disconnected(1))
            contact_log = program.contact_log
            await contact_log.start()
            seconds, latencies = await feed(contact_log, spaces, events, seed)
            await contact_log.close()
            stored = await store.db.fetch_one("SELECT COUNT(*) FROM contact_events")
            rate = events / seconds
            latencies.sort()
            p50 = statistics.median(latencies) * 1000
            p99 = latencies[int(len(latencies) * 0.99)] * 1000
            print(
                f"events: {events:,} sent, {stored[0] if stored else 0:,} partner events "
                f"stored in {seconds:.2f} s = {rate:,.0f} events/s"
            )
            print(
                f"handler latency: p50 {p50:.4f} ms, p99 {p99:.4f} ms, "
                f"max {latencies[-1] * 1000:.2f} ms"
            )
            scans = []
            for _ in range(5):
                fresh = Program(config, store, clock, Disconnected(1))
                t0 = time.perf_counter()
                await fresh.contact_planner.plan(clock.now())
                scans.append((time.perf_counter() - t0) * 1000)
            scan_ms = statistics.median(scans)
            print(
                f"start-up evaluation of {pairs:,} partnerships: median {scan_ms:.1f} ms "
                f"(min {min(scans):.1f}, max {max(scans):.1f})"
            )
            clock.set(START + timedelta(days=60, hours=10))
            t0 = time.perf_counter()
            await fresh.contact_planner.plan(clock.now())
            due_run = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            await fresh.contact_planner.plan(clock.now())
            again = (time.perf_counter() - t0) * 1000
            queued = await store.db.fetch_one("SELECT COUNT(*) FROM outbox")
            print(
                f"run on day 60: {due_run:.0f} ms for the pairs due "
                f"({queued[0] if queued else 0:,} posts queued), the next run {again:.1f} ms"
            )
            return rate, p99, scan_ms, again
        finally:
            await store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rate, p99, startup_ms, tick_ms = asyncio.run(run(args.pairs, args.events, args.seed))
    ok = rate >= 5000 and p99 < 2 and tick_ms < 5
    print("targets (>= 5,000 events/s, p99 < 2 ms, tick < 5 ms):", "met" if ok else "NOT met")
    print(
        f"events_per_s={rate:.0f} p99_ms={p99:.3f} "
        f"startup_ms={startup_ms:.1f} tick_ms={tick_ms:.2f}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
