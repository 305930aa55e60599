"""Rules of Discord's that only show at scale or in one space mode.

Most tests run with Discord's rate limits on but their windows scaled down (see
``RateLimits.for_tests``), so the bot's own pacing never matters there. Here a topic goes
out under Discord's own, unscaled limits: fanned out to many spaces it must stay under the
global limit of 50 requests a second without meeting a single 429.
"""

from __future__ import annotations

from bot.services.topics import BODY_BUDGET, SUMMARY_LIMIT, TITLE_LIMIT
from tests.e2e.harness import Iln
from tests.e2e.people import confirmed_round, crowd
from tests.emulator.ratelimit import RateLimiter, RateLimits

PAIRS = 60


async def test_a_topic_fanned_out_to_many_spaces_meets_no_429(iln: Iln) -> None:
    await confirmed_round(iln, crowd(2 * PAIRS))
    await iln.program.rounds.start(0)
    await iln.run_due()  # every space opened (Discord lets a guild make 10 channels in 10 s)
    iln.emulator.rate_limiter = RateLimiter(RateLimits.discord())
    before = len(iln.driver.requests())
    await iln.program.topics.post_now(2, actor=0)  # a coordinator's /topic-plan post-now
    await iln.run_due()  # the second topic, in every space and its thread, at once
    spaces = [c for c in iln.driver.channels(type=0) if c.name.startswith("person")]
    assert len(spaces) == PAIRS
    assert all(len(iln.driver.messages(space)) >= 2 for space in spaces)  # intro and topic
    assert len(iln.driver.requests()) - before > PAIRS  # more than 50/s if unpaced
    assert iln.emulator.sent_429 == 0


async def test_private_threads_are_their_pairs_alone(make_iln: object) -> None:
    iln: Iln = await make_iln(config={"discord": {"space_mode": "threads"}})  # type: ignore[operator]
    await iln.start()
    cora, members = await confirmed_round(iln, crowd(4))
    await iln.program.rounds.start(0)
    await iln.run_due()
    partnerships = await iln.program.store.partnerships.for_round(1)
    assert len(partnerships) == 2
    everyone = list(members.values())
    for partnership in partnerships:
        assert partnership.channel_id is not None
        thread = iln.driver.world.channels[partnership.channel_id]
        assert thread.type == 12  # a private thread
        inside = {m.participant_id for m in partnership.members}
        for member in everyone:
            assert iln.driver.can_view(member, thread) == (member.id in inside), member.name
        assert iln.driver.can_view(cora, thread)  # coordinators moderate the round's threads
        assert iln.driver.pins(thread)  # the intro went out, pinned


async def test_a_topic_as_long_as_the_door_allows_goes_out_whole(iln: Iln) -> None:
    """The longest title, summary and text ``/topic-plan edit`` accepts still fit Discord's
    embed limits, in every space and in the cohort thread: nothing is cut on the way out."""
    await confirmed_round(iln, crowd(4))
    await iln.program.rounds.start(0)
    await iln.run_due()
    [second] = [t for t in await iln.program.topics.all() if t.position == 2]
    room = BODY_BUDGET - sum(len(prompt) + 3 for prompt in second.prompts)
    body = ("Wörter über Bibliotheken, 图书馆 and more. " * 200)[:room].strip()
    title, summary = "T" * TITLE_LIMIT, "S" * SUMMARY_LIMIT
    await iln.program.topics.edit(2, 0, title=title, summary=summary, body=body)
    await iln.program.topics.post_now(2, actor=0)
    await iln.run_due()
    spaces = [c for c in iln.driver.channels(type=0) if c.name.startswith("person")]
    forum = iln.driver.channel("iln-discussions")
    places = [*spaces, *iln.driver.threads(forum)]
    posts = [m for place in places for m in iln.driver.messages(place) if title in str(m.embeds)]
    assert len(posts) == len(spaces) + 1
    assert all(body in str(post.embeds[0]["description"]) for post in posts)
