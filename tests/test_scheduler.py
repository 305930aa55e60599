import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.scheduler import Waker
from bot.services.program import Coalesced


async def test_callers_during_a_run_share_the_next_run() -> None:
    runs = 0
    release = asyncio.Event()

    async def work() -> None:
        nonlocal runs
        runs += 1
        await release.wait()

    run = Coalesced(work)
    first = asyncio.create_task(run())
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(run()) for _ in range(3)]  # arrive while the first runs
    await asyncio.sleep(0)
    assert runs == 1
    release.set()
    await asyncio.gather(first, *waiting)
    assert runs == 2  # the three latecomers shared one run, after the first
    await run()
    assert runs == 3


async def test_a_caller_that_gives_up_does_not_cancel_the_shared_run() -> None:
    done = asyncio.Event()

    async def work() -> None:
        await asyncio.sleep(0.05)
        done.set()

    run = Coalesced(work)
    impatient = asyncio.create_task(run())
    await asyncio.sleep(0)
    impatient.cancel()
    await run()
    assert done.is_set()


async def test_a_failing_run_is_logged_and_the_next_one_still_happens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = 0

    async def work() -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("Discord is down")

    async def nothing_due() -> datetime | None:
        return None

    waker = Waker(work, nothing_due, tick_seconds=3600)
    await waker.run_now()
    await waker.run_now()
    assert calls == 2
    assert "a scheduled run failed" in caplog.text


async def test_the_waker_wakes_when_the_next_thing_is_due() -> None:
    runs: list[datetime] = []
    due_soon = datetime.now(UTC) + timedelta(milliseconds=300)

    async def work() -> None:
        runs.append(datetime.now(UTC))

    async def next_due() -> datetime | None:
        return due_soon if len(runs) == 1 else None

    waker = Waker(work, next_due, tick_seconds=3600)
    waker.start()
    try:
        await waker.run_now()
        for _ in range(100):
            if len(runs) == 2:
                break
            await asyncio.sleep(0.02)
        assert len(runs) == 2 and runs[1] >= due_soon
    finally:
        waker.shutdown()


async def test_the_tick_wakes_the_work_until_shutdown() -> None:
    woken = asyncio.Event()

    async def work() -> None:
        woken.set()

    async def nothing_due() -> datetime | None:
        return None

    waker = Waker(work, nothing_due, tick_seconds=1)
    waker.start()
    try:
        await asyncio.wait_for(woken.wait(), timeout=3)
    finally:
        waker.shutdown()
