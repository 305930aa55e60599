"""Exactly once across restarts and faults: spaces, intros and topics."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from bot.services.outbox import nonce_for
from tests.e2e.harness import Iln
from tests.e2e.people import confirmed_round, crowd

CREATE_CHANNEL = "/guilds/{guild_id}/channels"


def repeated_bot_posts(iln: Iln) -> list[tuple[int, str]]:
    """Bot messages that appear more than once in the same channel."""
    bot_id = iln.driver.bot.id
    posts = Counter(
        (message.channel_id, f"{message.content}|{message.embeds}")
        for channel in iln.driver.channels()
        for message in iln.driver.messages(channel)
        if message.author.id == bot_id
    )
    return [post for post, count in posts.items() if count > 1]


async def test_killed_mid_fan_out_then_restarted_everything_exists_once(iln: Iln) -> None:
    await confirmed_round(iln, crowd(24))
    await iln.program.rounds.start(0)
    iln.emulator.faults.delay(CREATE_CHANNEL, 0.02, method="POST")
    run = asyncio.create_task(iln.run_due())
    await iln.driver.wait_for(lambda: len(iln.driver.channels(type=0)) >= 8, timeout=5)
    run.cancel()  # the process dies half way through opening the spaces
    await asyncio.gather(run, return_exceptions=True)
    await iln.restart()
    iln.emulator.faults.clear()
    await iln.run_due()

    spaces = [c for c in iln.driver.channels(type=0) if c.name.startswith("person")]
    assert len(spaces) == 12
    assert len({c.name for c in spaces}) == 12
    assert all(len(iln.driver.pins(space)) == 1 for space in spaces)
    assert repeated_bot_posts(iln) == []


async def test_a_post_that_fails_is_retried_and_sent_once(iln: Iln) -> None:
    await confirmed_round(iln, crowd(4))
    await iln.program.rounds.start(0)
    iln.emulator.faults.fail_next("POST", "/channels/{channel_id}/messages", status=503, count=1000)
    await iln.advance(timedelta(hours=4))  # spaces open, intros and topic 1 fall due: all fail
    spaces = [c for c in iln.driver.channels(type=0) if c.name.startswith("person")]
    assert len(spaces) == 2
    assert not any(iln.driver.messages(space) for space in spaces)
    iln.emulator.faults.clear()
    await iln.advance(timedelta(hours=2))  # the backoff has passed
    assert all(len(topic_posts(iln, space)) == 1 for space in spaces)
    assert all(len(iln.driver.pins(space)) == 1 for space in spaces)
    assert repeated_bot_posts(iln) == []


async def test_rate_limited_posts_wait_and_go_out_once(iln: Iln) -> None:
    await confirmed_round(iln, crowd(4))
    await iln.program.rounds.start(0)
    iln.emulator.faults.fail_next(
        "POST", "/channels/{channel_id}/messages", status=429, count=3, retry_after=0.2
    )
    await iln.run_due()
    spaces = [c for c in iln.driver.channels(type=0) if c.name.startswith("person")]
    assert all(len(iln.driver.pins(space)) == 1 for space in spaces)
    assert iln.emulator.sent_429 == 3
    assert repeated_bot_posts(iln) == []


def topic_posts(iln: Iln, space: object) -> list[object]:
    return [
        m
        for m in iln.driver.messages(space)
        if m.embeds and m.embeds[0].get("title", "").startswith("Topic 1")
    ]


async def test_a_resend_after_a_lost_answer_is_dropped_by_the_nonce(iln: Iln) -> None:
    await confirmed_round(iln, crowd(2))
    await iln.program.rounds.start(0)
    await iln.run_due()
    [space] = [c for c in iln.driver.channels(type=0) if c.name.startswith("person")]
    # Discord takes the post, but the bot dies before recording it: the outbox row is
    # still unsent, and the restarted bot sends it again with the same nonce.
    outbox = iln.program.store.outbox
    [intro] = await outbox.by_kind("intro")
    async with iln.program.store.db.transaction() as tx:
        await tx.execute("UPDATE outbox SET sent_at = NULL WHERE key = ?", (intro.key,))
    await iln.restart()
    await iln.run_due()
    intros = [m for m in iln.driver.messages(space) if m.pinned]
    assert len(intros) == 1
    posts = iln.driver.requests("POST", "/channels/{channel_id}/messages")
    resends = [p for p in posts if (p.body or {}).get("nonce") == nonce_for(intro.key)]
    assert len(resends) == 2


async def test_a_post_discord_took_before_a_day_long_outage_is_found_not_sent_again(
    iln: Iln,
) -> None:
    """Discord took the intro, the bot died before recording it and stayed down for a day:
    far longer than Discord keeps nonces, so only looking first prevents a second intro."""
    await confirmed_round(iln, crowd(2))
    await iln.program.rounds.start(0)
    await iln.run_due()
    [space] = [c for c in iln.driver.channels(type=0) if c.name.startswith("person")]
    [intro] = await iln.program.store.outbox.by_kind("intro")
    async with iln.program.store.db.transaction() as tx:
        await tx.execute("UPDATE outbox SET sent_at = NULL WHERE key = ?", (intro.key,))
    await iln.stop()
    iln.clock.set(iln.clock.now() + timedelta(days=1))
    await iln.start()
    await iln.run_due()
    assert len([m for m in iln.driver.messages(space) if m.pinned]) == 1
    posts = iln.driver.requests("POST", "/channels/{channel_id}/messages")
    assert len([p for p in posts if (p.body or {}).get("nonce") == nonce_for(intro.key)]) == 1
    found = await iln.program.store.outbox.get(intro.key)
    assert found is not None and found.sent_at is not None and found.message_id is not None


async def test_a_post_tried_before_an_outage_that_never_reached_discord_is_sent_once(
    iln: Iln,
) -> None:
    await confirmed_round(iln, crowd(2))
    await iln.program.rounds.start(0)
    iln.emulator.faults.fail_next("POST", "/channels/{channel_id}/messages", status=503, count=50)
    await iln.run_due()  # the space opens; its intro is tried and fails
    iln.emulator.faults.clear()
    [space] = [c for c in iln.driver.channels(type=0) if c.name.startswith("person")]
    assert iln.driver.messages(space) == []
    await iln.advance(timedelta(days=1), step=timedelta(hours=6))
    assert len([m for m in iln.driver.messages(space) if m.pinned]) == 1
    assert repeated_bot_posts(iln) == []


async def test_scheduler_ticks_during_round_start_open_each_space_once(iln: Iln) -> None:
    """The waker's ticks and /round start's own run all go through one coalescing run."""
    cora, _ = await confirmed_round(iln, crowd(8))
    iln.emulator.faults.delay(CREATE_CHANNEL, 0.05, method="POST")
    started = await iln.driver.invoke_slash(cora, "round start", {})
    ticks = [asyncio.create_task(iln.run_due()) for _ in range(3)]
    await asyncio.sleep(0.1)
    ticks += [asyncio.create_task(iln.run_due()) for _ in range(3)]
    await asyncio.gather(*ticks)
    answer = await started.message(timeout=10)
    assert "4 private spaces ready" in answer.content
    spaces = Counter(c.name for c in iln.driver.channels(type=0) if c.name.startswith("person"))
    assert len(spaces) == 4 and set(spaces.values()) == {1}
    assert Counter(c.name for c in iln.driver.channels(type=4)) == Counter({"2027A partners": 1})
    assert repeated_bot_posts(iln) == []
