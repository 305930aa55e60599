"""Self-tests of rate limits as Discord applies them (Rate Limits page of Discord's docs):
per-route buckets by major parameter, shared buckets, the global limit and its exemptions,
the 429 shape, the invalid-request ban, and turning limits off only with a reason."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord
import pytest

from tests.emulator import DiscordEmulator, Overwrite, RateLimits, minimal_bot, running_client
from tests.emulator.ratelimit import FIXTURE_TIME_SCALE, RateLimiter

pytestmark = pytest.mark.e2e

Factory = Callable[..., Awaitable[DiscordEmulator]]


class Raw:
    """Plain HTTP against the emulator, so a test can go past what discord.py would send."""

    def __init__(self, emulator: DiscordEmulator, session: aiohttp.ClientSession) -> None:
        self.emulator, self.session = emulator, session

    async def __call__(
        self, method: str, path: str, body: Any = None
    ) -> tuple[int, Any, aiohttp.typedefs.LooseHeaders]:
        url = self.emulator.api_base_url + path
        headers = {"Authorization": f"Bot {self.emulator.token}"}
        async with self.session.request(method, url, json=body, headers=headers) as resp:
            data = (
                await resp.json() if resp.content_type == "application/json" else await resp.text()
            )
            return resp.status, data, resp.headers


async def test_fixture_emulators_enforce_discords_limits(emulator: DiscordEmulator) -> None:
    profile = emulator.rate_limiter.profile
    assert profile.enforce and profile.global_per_second == 50
    assert profile.time_scale == FIXTURE_TIME_SCALE
    assert profile.invalid_limit == 10_000 and profile.invalid_window == 600


async def test_per_route_buckets_by_channel_with_discords_headers(
    emulator: DiscordEmulator,
) -> None:
    a = await emulator.driver.create_channel("a")
    b = await emulator.driver.create_channel("b")
    async with aiohttp.ClientSession() as session:
        http = Raw(emulator, session)
        answers = [
            await http("POST", f"/channels/{a.id}/messages", {"content": "x"}) for _ in range(6)
        ]
        statuses = [status for status, _, _ in answers]
        assert statuses == [200] * 5 + [429]
        remaining = [h["X-RateLimit-Remaining"] for _, _, h in answers[:5]]
        assert remaining == ["4", "3", "2", "1", "0"]
        status, body, headers = answers[5]
        assert body["message"] == "You are being rate limited." and body["global"] is False
        assert 0 < body["retry_after"] <= 5 * FIXTURE_TIME_SCALE
        assert headers["X-RateLimit-Scope"] == "user" and headers["Via"] == "1.1 google"
        assert headers["X-RateLimit-Limit"] == "5" and "Retry-After" in headers
        assert float(headers["X-RateLimit-Reset"]) > time.time() - 1
        # Another channel is another bucket (the major parameter), with the same hash.
        status, _, other = await http("POST", f"/channels/{b.id}/messages", {"content": "y"})
        assert status == 200 and other["X-RateLimit-Bucket"] == headers["X-RateLimit-Bucket"]
        # The window resets.
        await asyncio.sleep(body["retry_after"] + 0.01)
        assert (await http("POST", f"/channels/{a.id}/messages", {"content": "z"}))[0] == 200
    assert len(emulator.driver.messages(a)) == 6


async def test_shared_buckets_and_renames(emulator: DiscordEmulator) -> None:
    channel = await emulator.driver.create_channel("general")
    ada = await emulator.driver.add_member("ada")
    msgs = [await emulator.driver.send_message(ada, channel, f"m{i}") for i in range(6)]
    async with aiohttp.ClientSession() as session:
        http = Raw(emulator, session)
        # New and deprecated pin routes share one bucket per channel.
        new = [await http("PUT", f"/channels/{channel.id}/messages/pins/{m.id}") for m in msgs[:3]]
        old = [await http("PUT", f"/channels/{channel.id}/pins/{m.id}") for m in msgs[3:]]
        assert [s for s, _, _ in new + old] == [204] * 5 + [429]
        assert new[0][2]["X-RateLimit-Bucket"] == old[0][2]["X-RateLimit-Bucket"]
        # A channel's name can change twice per 10 minutes, whatever the edit bucket says.
        renames = [
            await http("PATCH", f"/channels/{channel.id}", {"name": f"n{i}"}) for i in range(3)
        ]
        assert [s for s, _, _ in renames] == [200, 200, 429]
        assert renames[2][1]["retry_after"] > 5 * FIXTURE_TIME_SCALE
        status, _, _ = await http("PATCH", f"/channels/{channel.id}", {"nsfw": True})
        assert status == 200  # other edits are not renames


async def test_global_limit_spares_interaction_endpoints(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    ada = await d.add_member("ada")
    channels = [await d.create_channel(f"c{i}") for i in range(52)]
    async with aiohttp.ClientSession() as session:
        http = Raw(emulator, session)
        app, guild = emulator.application_id, emulator.guild.id  # type: ignore[union-attr]
        command = {"name": "hello", "description": "Say hello", "type": 1}
        sync = await http("PUT", f"/applications/{app}/guilds/{guild}/commands", [command])
        assert sync[0] == 200
        result = await d.invoke_slash(ada, "hello", channel=channels[0])
        inter = result.interaction
        await asyncio.sleep(1.0)  # a fresh one-second window
        answers = await asyncio.gather(*(http("GET", f"/channels/{c.id}") for c in channels[:51]))
        limited = [(body, headers) for status, body, headers in answers if status == 429]
        assert len(limited) == 1 and sum(1 for s, _, _ in answers if s == 200) == 50
        body, headers = limited[0]
        assert body["global"] is True and headers["X-RateLimit-Global"] == "true"
        assert headers["X-RateLimit-Scope"] == "global"
        # Interaction callbacks and interaction webhooks are not bound to the global limit.
        callback = f"/interactions/{inter.id}/{inter.token}/callback?with_response=true"
        reply = {"type": 4, "data": {"content": "hi"}}
        assert (await http("POST", callback, reply))[0] == 200
        followup = await http("POST", f"/webhooks/{app}/{inter.token}", {"content": "more"})
        assert followup[0] in (200, 204)


async def test_invalid_requests_get_the_client_banned(emulator_factory: Factory) -> None:
    profile = RateLimits.discord(time_scale=FIXTURE_TIME_SCALE, invalid_limit=5, ban_seconds=0.5)
    emulator = await emulator_factory(rate_limits=profile)
    hidden = await emulator.driver.create_channel(
        "hidden",
        overwrites=[Overwrite(emulator.guild.id, 0, 0, 1 << 10)],  # type: ignore[union-attr]
    )
    open_channel = await emulator.driver.create_channel("open")
    bot = minimal_bot()
    async with running_client(emulator, bot):
        for _ in range(4):  # 403s count against the client (the login's 200s do not)
            with pytest.raises(discord.Forbidden):
                await bot.http.send_message(hidden.id, params=_content("no"))
        with pytest.raises(discord.Forbidden):
            await bot.http.send_message(hidden.id, params=_content("fifth"))
        # Banned: Cloudflare's HTML 429 without Via, which discord.py raises at once.
        with pytest.raises(discord.HTTPException) as info:
            await bot.http.send_message(open_channel.id, params=_content("blocked"))
        assert info.value.status == 429 and not isinstance(info.value, discord.Forbidden)
        assert emulator.rate_limiter.bans == 1
        await asyncio.sleep(0.55)
        await bot.http.send_message(open_channel.id, params=_content("back"))
    assert [m.content for m in emulator.driver.messages(open_channel)] == ["back"]


def _content(text: str) -> Any:
    return discord.http.handle_message_parameters(content=text)


async def test_discord_py_waits_on_exhausted_buckets(emulator: DiscordEmulator) -> None:
    channel = await emulator.driver.create_channel("general")
    bot = minimal_bot()
    async with running_client(emulator, bot):
        ch = bot.get_channel(channel.id)
        assert isinstance(ch, discord.TextChannel)
        started = time.perf_counter()
        for i in range(12):
            await ch.send(f"paced {i}")
        elapsed = time.perf_counter() - started
    assert emulator.sent_429 == 0 and len(emulator.driver.messages(channel)) == 12
    assert elapsed >= 2 * 5 * FIXTURE_TIME_SCALE * 0.9  # two exhausted windows waited out


async def test_limits_off_only_with_a_reason(emulator_factory: Factory) -> None:
    with pytest.raises(TypeError):
        RateLimits.off()  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="reason"):
        RateLimits.off(reason="  ")
    with pytest.raises(ValueError, match="reason"):
        RateLimiter(RateLimits(enforce=False))
    with pytest.raises(ValueError, match="reason"):
        DiscordEmulator(spec=None, rate_limits=RateLimits(enforce=False))
    emulator = await emulator_factory(
        rate_limits=RateLimits.off(reason="self-test: the off switch itself")
    )
    channel = await emulator.driver.create_channel("general")
    async with aiohttp.ClientSession() as session:
        http = Raw(emulator, session)
        statuses = {
            (await http("POST", f"/channels/{channel.id}/messages", {"content": "x"}))[0]
            for _ in range(20)
        }
    assert statuses == {200}
    assert emulator.rate_limiter.profile.off_reason == "self-test: the off switch itself"
