"""Matching a large round never stalls the bot: members are answered while it works."""

from __future__ import annotations

import asyncio
import csv
import importlib.util
import io
import sys
import time
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

from bot.domain.applications import Application
from tests.e2e.harness import Iln
from tests.e2e.people import HEADER

APPLICANTS = 2_000
DEADLINE = 3.0  # seconds Discord gives a bot to answer an interaction


def _bench() -> ModuleType:
    """The benchmark's realistic synthetic applicants (language clusters, wishes)."""
    path = Path(__file__).resolve().parents[2] / "bench" / "matching.py"
    spec = importlib.util.spec_from_file_location("bench_matching", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _wish(values: frozenset[Any]) -> str:
    return ";".join(sorted(str(v) for v in values)) or "any"


def applicants_csv(applicants: list[Application]) -> str:
    buffer = io.StringIO()
    buffer.write(HEADER + "\n")
    writer = csv.writer(buffer, lineterminator="\n")
    for app in applicants:
        writer.writerow(
            [
                app.discord_id,
                app.name,
                "",
                app.institution,
                app.sector.value,
                app.country,
                app.timezone,
                app.career_stage.value,
                ";".join(app.languages),
                ";".join(app.interests),
                "",
                _wish(app.partner_sectors),
                _wish(app.partner_career_stages),
                _wish(app.partner_countries),
                "",
            ]
        )
    return buffer.getvalue()


async def test_members_are_answered_while_a_large_round_is_matched(iln: Iln) -> None:
    driver, program = iln.driver, iln.program
    cora, mia = await iln.coordinator(), await driver.add_member("Mia Santos")
    await program.rounds.create("2027A", date(2027, 3, 1), None, 0)
    await program.rounds.open_applications(0)
    report = await program.matching.import_csv(
        applicants_csv(_bench().synthetic_round(APPLICANTS)), 0
    )
    assert report.added == APPLICANTS

    started = time.monotonic()
    running = await driver.invoke_slash(cora, "match run")
    assert (await running.response(timeout=DEADLINE)).deferred
    waits: list[float] = []
    done = asyncio.ensure_future(running.message(timeout=60))
    while not done.done():
        asked = time.monotonic()
        topic = await driver.invoke_slash(mia, "topic current")
        answer = await topic.message(timeout=DEADLINE)
        waits.append(time.monotonic() - asked)
        assert answer.ephemeral and "No topic has been posted yet" in answer.content
        await asyncio.wait({done}, timeout=0.5)
    saved = await done
    took = time.monotonic() - started

    assert (
        f"Matched {saved.embeds[0]['description'].split()[1]} of {APPLICANTS}"
        in (saved.embeds[0]["description"])
    )
    assert len(waits) >= 3, f"the matcher finished in {took:.1f} s, before members could ask"
    assert max(waits) < DEADLINE, waits
    print(f"/match run took {took:.1f} s; /topic current answered in at most {max(waits):.2f} s")
