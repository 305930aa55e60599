"""Self-tests of fault injection and rate limits with the real discord.py client."""

from __future__ import annotations

import aiohttp
import discord
import pytest

from tests.emulator import DiscordEmulator, RateLimits, Rule, minimal_bot, running_client

pytestmark = pytest.mark.e2e


MESSAGES = "/channels/{channel_id}/messages"


async def test_injected_429_is_retried(emulator: DiscordEmulator) -> None:
    channel = await emulator.driver.create_channel("general")
    emulator.faults.fail_next("POST", MESSAGES, status=429, retry_after=0.05)
    bot = minimal_bot()
    async with running_client(emulator, bot):
        ch = bot.get_channel(channel.id)
        assert isinstance(ch, discord.TextChannel)
        await ch.send("eventually")
    posts = emulator.driver.requests("POST", MESSAGES)
    assert [p.status for p in posts] == [429, 200]
    assert posts[0].response["retry_after"] == 0.05 and posts[0].response["global"] is False
    assert emulator.sent_429 == 1
    assert [m.content for m in emulator.driver.messages(channel)] == ["eventually"]


async def test_injected_500_is_retried(emulator: DiscordEmulator) -> None:
    channel = await emulator.driver.create_channel("general")
    emulator.faults.fail_next("POST", "/channels/*/messages", status=500)
    bot = minimal_bot()
    async with running_client(emulator, bot):
        ch = bot.get_channel(channel.id)
        assert isinstance(ch, discord.TextChannel)
        await ch.send("after a hiccup")  # discord.py sleeps 1 s before retrying a 5xx
    assert [p.status for p in emulator.driver.requests("POST", MESSAGES)] == [500, 200]
    assert len(emulator.driver.messages(channel)) == 1


async def test_rate_limit_headers_and_enforcement(emulator_factory) -> None:  # type: ignore[no-untyped-def]
    profile = RateLimits(enforce=True, rules=[Rule("msg", "POST", MESSAGES, 2, 0.3, "channel_id")])
    emulator: DiscordEmulator = await emulator_factory(rate_limits=profile)
    channel = await emulator.driver.create_channel("general")
    url = f"{emulator.api_base_url}/channels/{channel.id}/messages"
    headers = {"Authorization": f"Bot {emulator.token}"}
    async with aiohttp.ClientSession() as http:
        statuses = []
        for i in range(3):
            async with http.post(url, json={"content": f"m{i}"}, headers=headers) as resp:
                statuses.append(resp.status)
                last_headers, last_body = resp.headers, await resp.json()
                assert resp.headers["Content-Type"] == "application/json"
                assert "X-RateLimit-Bucket" in resp.headers
    assert statuses == [200, 200, 429]
    assert last_headers["Via"] == "1.1 google" and "Retry-After" in last_headers
    assert 0 < last_body["retry_after"] <= 0.3 and last_body["global"] is False
    # discord.py honours the headers: it waits instead of hitting 429s
    other = await emulator.driver.create_channel("other")  # fresh per-channel bucket
    bot = minimal_bot()
    async with running_client(emulator, bot):
        ch = bot.get_channel(other.id)
        assert isinstance(ch, discord.TextChannel)
        for i in range(4):
            await ch.send(f"paced {i}")
    assert emulator.sent_429 == 1
    assert len(emulator.driver.messages(channel)) == 2
    assert len(emulator.driver.messages(other)) == 4


async def test_delay_injection(emulator: DiscordEmulator) -> None:
    emulator.faults.delay("/users/@me", 0.15)
    bot = minimal_bot()
    async with running_client(emulator, bot):
        pass
    [me] = emulator.driver.requests("GET", "/users/@me")
    assert me.status == 200


async def test_gateway_drop_resumes_and_replays(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    alice = await d.add_member("alice")
    general = await d.create_channel("general")
    bot = minimal_bot()
    seen: list[int] = []
    resumed: list[bool] = []

    @bot.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message.id)

    @bot.event
    async def on_resumed() -> None:
        resumed.append(True)

    async with running_client(emulator, bot):
        async with emulator.gateway_outage():
            assert emulator.gateway.live_sessions == []
            missed = await d.send_message(alice, general, "while you were away")
        await d.wait_for(lambda: missed.id in seen and resumed)
        assert emulator.gateway.identifies == 1 and emulator.gateway.resumes == 1
        # op 7 RECONNECT -> RESUME
        emulator.send_reconnect()
        await d.wait_for(lambda: emulator.gateway.resumes == 2)
        later = await d.send_message(alice, general, "after reconnect")
        await d.wait_for(lambda: later.id in seen)
    assert seen.count(missed.id) == 1


async def test_invalid_session_forces_identify(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    alice = await d.add_member("alice")
    general = await d.create_channel("general")
    bot = minimal_bot()
    seen: list[int] = []

    @bot.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message.id)

    async def identify_now(shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before every non-initial IDENTIFY; skip that here."""

    bot.before_identify_hook = identify_now  # type: ignore[method-assign]

    async with running_client(emulator, bot):
        emulator.invalidate_session(resumable=False)
        await d.wait_for(
            lambda: emulator.gateway.identifies == 2 and emulator.gateway.live_sessions
        )
        msg = await d.send_message(alice, general, "fresh session")
        await d.wait_for(lambda: msg.id in seen)
        assert bot.get_guild(emulator.guild.id) is not None  # type: ignore[union-attr]
    assert emulator.gateway.resumes == 0
