"""Self-tests of the gateway's heartbeat as Discord runs it (Gateway page of Discord's docs,
"Sending Heartbeats"), with the emulator in a thread of its own, as in a live run where the
emulator and ``iln-bot run`` are separate processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator

import pytest

from tests.emulator import DiscordEmulator, RateLimits, minimal_bot, running_client
from tests.emulator.spec import load_spec

pytestmark = pytest.mark.e2e

INTERVAL = 0.4


@contextlib.contextmanager
def served_elsewhere(emulator: DiscordEmulator) -> Iterator[DiscordEmulator]:
    """Run ``emulator`` on its own event loop in another thread: its answers then arrive
    while the client's loop is busy, as a remote server's do."""
    ready, stop = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def serve() -> None:
        async def run() -> None:
            await emulator.start()
            ready.set()
            await asyncio.to_thread(stop.wait)
            await emulator.stop()

        try:
            asyncio.run(run())
        except BaseException as exc:  # pragma: no cover - reported below
            failure.append(exc)
            ready.set()

    thread = threading.Thread(target=serve, name="emulator", daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield emulator
    finally:
        stop.set()
        thread.join(10)
    assert not failure, failure


async def test_every_heartbeat_is_acked_and_never_measured_behind(
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator = DiscordEmulator(
        spec=load_spec(),
        heartbeat_interval=INTERVAL,
        rate_limits=RateLimits.off(reason="another thread's emulator: limits are not the point"),
    )
    bot = minimal_bot()
    latencies: list[float] = []
    caplog.set_level(logging.WARNING, logger="discord.gateway")
    with served_elsewhere(emulator):
        async with running_client(emulator, bot):
            for _ in range(6):  # several heartbeat intervals
                await asyncio.sleep(INTERVAL)
                latencies.append(bot.latency)
            beats = emulator.gateway.heartbeats
            await asyncio.sleep(emulator.heartbeat_ack_delay * 3)
            acks = emulator.gateway.acks
    assert beats >= 6 and acks >= beats  # an ACK for every heartbeat
    # discord.py measures from when it sent the heartbeat. Were the ACK to overtake the
    # keep-alive thread, the latency would read as the whole interval (the live run's
    # "websocket is 41.3s behind" at 41.25 s intervals).
    assert max(latencies) < INTERVAL / 2, latencies
    assert "Can't keep up" not in caplog.text
    assert not emulator.violations and not emulator.response_violations


async def test_server_requested_heartbeat_is_answered(emulator: DiscordEmulator) -> None:
    bot = minimal_bot()
    async with running_client(emulator, bot):
        before = emulator.gateway.heartbeats
        emulator.gateway.request_heartbeat()  # op 1 from the server: beat now
        await emulator.driver.wait_for(lambda: emulator.gateway.heartbeats > before)
        await emulator.driver.wait_for(lambda: emulator.gateway.acks >= emulator.gateway.heartbeats)
