import asyncio

import pytest

from bot.scheduler import Waker


async def test_overlapping_wake_ups_run_the_work_once() -> None:
    runs = 0
    release = asyncio.Event()

    async def work() -> None:
        nonlocal runs
        runs += 1
        await release.wait()

    waker = Waker(work, tick_seconds=3600)
    first = asyncio.create_task(waker.run_now())
    await asyncio.sleep(0)
    await waker.run_now()  # while the first run is still going: coalesced
    release.set()
    await first
    assert runs == 1
    await waker.run_now()
    assert runs == 2


async def test_a_failing_run_is_logged_and_the_next_one_still_happens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = 0

    async def work() -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("Discord is down")

    waker = Waker(work, tick_seconds=3600)
    await waker.run_now()
    await waker.run_now()
    assert calls == 2
    assert "a scheduled run failed" in caplog.text


async def test_the_tick_wakes_the_work_until_shutdown() -> None:
    woken = asyncio.Event()

    async def work() -> None:
        woken.set()

    waker = Waker(work, tick_seconds=1)
    waker.start()
    try:
        await asyncio.wait_for(woken.wait(), timeout=3)
    finally:
        waker.shutdown()
