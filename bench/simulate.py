"""Benchmark of the main job: ``iln-bot simulate`` on rounds of synthetic applicants.

Run from the repository root:  python bench/simulate.py [--sizes 40 200 1000]

Each size runs in a fresh process (so the peak memory is that run's own) through the same
entry point as ``iln-bot simulate``: the real services, a real SQLite file, the scripted
partners and the recording Discord. Size 40 is the sample round in ``data/sample``; other
sizes are generated (countries and zones round the world, complementary wishes). Lines:

    n=1000 seconds=S cpu_s=C wakeups=W peak_mib=M posts=P

(``cpu_s`` is this process's own processor time, steadier than the wall time when the
machine is busy with other work; the database thread's time counts in it.)

Then the cost of one wake-up with nothing due, at 1,000 live partnerships on day 60 of a
round (the waker's safety tick most of the time):

    idle_wakeup partnerships=1000 ms_median=X ms_max=Y
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

try:
    from bot.config import Config
except ModuleNotFoundError:  # running from a checkout that is not pip-installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bot.config import Config

from bot.clock import ManualClock
from bot.simulation.recorder import Channel, RecordingDiscord
from bot.simulation.runner import SimulationInput, simulate

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
START = date(2027, 3, 1)
CONFIG = Config(discord={"guild_id": 1, "coordinator_role": "ILN Coordinators"})  # type: ignore[arg-type]

PLACES = [
    ("AU", "Australia/Sydney"), ("NZ", "Pacific/Auckland"), ("JP", "Asia/Tokyo"),
    ("SG", "Asia/Singapore"), ("IN", "Asia/Kolkata"), ("KE", "Africa/Nairobi"),
    ("NG", "Africa/Lagos"), ("ZA", "Africa/Johannesburg"), ("DE", "Europe/Berlin"),
    ("GB", "Europe/London"), ("IE", "Europe/Dublin"), ("BR", "America/Sao_Paulo"),
    ("US", "America/New_York"), ("US", "America/Chicago"), ("CA", "America/Vancouver"),
    ("MX", "America/Mexico_City"), ("PH", "Asia/Manila"), ("FJ", "Pacific/Fiji"),
]  # fmt: skip
SECTORS = ["public", "academic", "school", "special", "national"]
STAGES = ["student", "early", "mid", "late"]
INTERESTS = [
    "open access", "information literacy", "outreach", "metadata", "archives", "advocacy",
    "research data", "children's services", "leadership", "copyright", "user experience",
]  # fmt: skip
HEADER = (
    "discord_id,name,email,institution,sector,country,timezone,career_stage,languages,"
    "interests,hopes,partner_sector,partner_career_stage,partner_country,returning_note"
)


def applicants_csv(count: int, seed: int = 11) -> str:
    """``count`` applicants who all share English, in zones round the world."""
    rng = random.Random(seed)
    out = io.StringIO()
    out.write(HEADER + "\n")
    writer = csv.writer(out, lineterminator="\n")
    for n in range(count):
        country, zone = PLACES[n % len(PLACES)]
        writer.writerow(
            [
                100_000 + n,
                f"Person{n:05d} Example",
                "",
                f"Library {n}",
                rng.choice(SECTORS),
                country,
                zone,
                rng.choice(STAGES),
                "en",
                ";".join(rng.sample(INTERESTS, 3)),
                "To learn how other libraries work.",
                rng.choice(["any", "public", "academic"]),
                rng.choice(["any", "early", "late"]),
                "any",
                "",
            ]
        )
    return out.getvalue()


def run_one(size: int) -> dict[str, float]:
    """One simulation in this process: its figures, and this process's peak memory."""
    if size == 40:
        applicants = (SAMPLE / "applicants.csv").read_text(encoding="utf-8")
        history = (SAMPLE / "history.csv").read_text(encoding="utf-8")
    else:
        applicants, history = applicants_csv(size), None
    began, cpu = time.perf_counter(), time.process_time()
    result = asyncio.run(simulate(SimulationInput(applicants, history, START, 1, CONFIG)))
    seconds = time.perf_counter() - began
    return {
        "n": size,
        "seconds": round(seconds, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "wakeups": result.summary.wakeups,
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "posts": sum(result.summary.posts.values()),
    }


async def idle_wakeup(partnerships: int, samples: int = 50) -> tuple[float, float]:
    """Milliseconds of ``run_due`` on day 60 of a round of ``partnerships``, nothing due."""
    from bot.services.program import Program
    from bot.store import Store
    from bot.store.models import RoundState, utc_text

    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(Path(folder) / "idle.sqlite3")
        clock = ManualClock(datetime.combine(START, datetime.min.time(), UTC))
        try:
            now = clock.now()
            people = [
                (
                    10_000 + n,
                    f"Person {n}",
                    PLACES[n % len(PLACES)][1],
                    utc_text(now),
                    utc_text(now),
                )
                for n in range(2 * partnerships)
            ]
            async with store.db.transaction() as tx:
                await tx.executemany(
                    "INSERT INTO participants (discord_id, name, timezone, created_at,"
                    " updated_at) VALUES (?, ?, ?, ?, ?)",
                    people,
                )
            round_ = await store.rounds.create("bench", START, date(2027, 7, 1), now)
            for old, new in [
                (RoundState.DRAFT, RoundState.APPLICATIONS_OPEN),
                (RoundState.APPLICATIONS_OPEN, RoundState.APPLICATIONS_CLOSED),
                (RoundState.APPLICATIONS_CLOSED, RoundState.RUNNING),
            ]:
                await store.rounds.set_state(round_.id, old, new, now)
            for n in range(partnerships):
                pid = await store.partnerships.create(
                    round_.id, f"pair-{n}", [10_000 + 2 * n, 10_001 + 2 * n],
                    score=1.0, reasons=[], now=now,
                )  # fmt: skip
                await store.partnerships.set_channel(pid, 50_000 + n)
                await store.partnerships.set_state(pid, "active")
            port = RecordingDiscord(clock, lambda event: None)
            for n in range(partnerships):
                port.channels[50_000 + n] = Channel(50_000 + n, "text", f"pair-{n}")
            program = Program(CONFIG, store, clock, port)
            # Day 60, 10:00 UTC: what fell due is done by the first runs.
            clock.set(clock.now() + timedelta(days=60, hours=10))
            for _ in range(3):
                await program.run_due()
            next_due = await program.next_due()
            assert next_due is None or next_due > clock.now(), "something is still due"
            timings = []
            for _ in range(samples):
                began = time.perf_counter()
                await program.run_due()
                timings.append((time.perf_counter() - began) * 1000)
            return statistics.median(timings), max(timings)
        finally:
            await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[40, 200, 1000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--idle-partnerships", type=int, default=1000)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one)))
        return
    for size in args.sizes:
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(size)],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        print(" ".join(f"{key}={value}" for key, value in figures.items()), flush=True)
    median, worst = asyncio.run(idle_wakeup(args.idle_partnerships))
    print(
        f"idle_wakeup partnerships={args.idle_partnerships} "
        f"ms_median={median:.2f} ms_max={worst:.2f}"
    )


if __name__ == "__main__":
    main()
