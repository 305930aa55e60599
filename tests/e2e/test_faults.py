"""Discord applied a request but answered with a server error: nothing is created twice.

discord.py answers a 500 by sending the same request again, so every kind of creation the
bot does is tried here with the first answer lost (the emulator's ``fail_after_apply``):
category, channel, private thread, forum post, role, message.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from tests.e2e.harness import Iln
from tests.e2e.people import confirmed_round, crowd
from tests.e2e.test_restart import repeated_bot_posts
from tests.emulator import DiscordEmulator

CREATE_CHANNEL = "/guilds/{guild_id}/channels"
CREATE_THREAD = "/channels/{channel_id}/threads"
CREATE_ROLE = "/guilds/{guild_id}/roles"
CREATE_MESSAGE = "/channels/{channel_id}/messages"


def names(iln: Iln, kind: int) -> Counter[str]:
    return Counter(channel.name for channel in iln.driver.channels(type=kind))


async def test_categories_and_spaces_answered_with_a_500_exist_once(iln: Iln) -> None:
    await confirmed_round(iln, crowd(4))
    await iln.program.rounds.start(0)
    # The category and both spaces are each created, then answered with a 500.
    iln.emulator.faults.fail_after_apply("POST", CREATE_CHANNEL, status=500, count=3)
    await iln.run_due()
    categories, spaces = names(iln, 4), names(iln, 0)
    assert categories == Counter({"2027A partners": 1})
    people = [name for name in spaces if name.startswith("person")]
    assert len(people) == 2 and all(spaces[name] == 1 for name in people)
    assert all(len(iln.driver.pins(iln.driver.channel(name))) == 1 for name in people)
    assert repeated_bot_posts(iln) == []


async def test_private_threads_and_their_channel_answered_with_a_500_exist_once(
    make_iln: object,
) -> None:
    iln: Iln = await make_iln(config={"discord": {"space_mode": "threads"}})  # type: ignore[operator]
    await iln.start()
    await confirmed_round(iln, crowd(4))
    await iln.program.rounds.start(0)
    faults = iln.emulator.faults
    faults.fail_after_apply("POST", CREATE_ROLE, status=502)  # the round's thread role
    faults.fail_after_apply("POST", CREATE_CHANNEL, status=500)  # the threads' channel
    faults.fail_after_apply("POST", CREATE_THREAD, status=504, count=2)  # both threads
    await iln.run_due()
    assert Counter(r.name for r in iln.driver.guild.roles.values())["2027a-partners-1"] == 1
    assert names(iln, 0)["2027a-partners-1"] == 1
    parent = iln.driver.channel("2027a-partners-1")
    threads = Counter(thread.name for thread in iln.driver.threads(parent))
    assert len(threads) == 2 and set(threads.values()) == {1}
    assert repeated_bot_posts(iln) == []


async def test_a_cohort_forum_post_answered_with_a_500_exists_once(iln: Iln) -> None:
    await confirmed_round(iln, crowd(2))
    await iln.program.rounds.start(0)
    await iln.run_due()  # the space and its intro
    forum = iln.driver.channel("iln-discussions")
    iln.emulator.faults.fail_after_apply("POST", CREATE_THREAD, status=500)
    await iln.advance(timedelta(days=1))  # topic 1 falls due: its forum post first
    posts = iln.driver.forum_posts(forum)
    assert [post.name for post in posts] == ["2027A: Getting to know you"]
    assert repeated_bot_posts(iln) == []
    [space] = [c for c in iln.driver.channels(type=0) if c.name.startswith("person")]
    [topic] = [m for m in iln.driver.messages(space) if m.embeds and "Topic 1" in str(m.embeds)]
    assert str(posts[0].id) in str(topic.embeds)  # the space's post links to that one thread


async def test_a_message_answered_with_a_500_is_posted_once(iln: Iln) -> None:
    await confirmed_round(iln, crowd(2))
    await iln.program.rounds.start(0)
    iln.emulator.faults.fail_after_apply("POST", CREATE_MESSAGE, status=500, count=3)
    await iln.run_due()
    [space] = [c for c in iln.driver.channels(type=0) if c.name.startswith("person")]
    assert len(iln.driver.pins(space)) == 1
    assert repeated_bot_posts(iln) == []


async def test_the_programs_own_channels_and_role_answered_with_a_500_exist_once(
    emulator_factory: object, make_iln: object
) -> None:
    iln: Iln = await make_iln()  # type: ignore[operator]
    emulator: DiscordEmulator = iln.emulator
    emulator.faults.fail_after_apply("POST", CREATE_CHANNEL, status=500, count=3)
    emulator.faults.fail_after_apply("POST", CREATE_ROLE, status=500)
    await iln.start()
    channels = Counter(channel.name for channel in iln.driver.channels())
    for name in ("iln-coordinators", "iln-announcements", "iln-discussions"):
        assert channels[name] == 1, channels
    assert Counter(r.name for r in iln.driver.guild.roles.values())["ILN next round"] == 1


async def test_a_forum_that_requires_a_tag_gets_one_on_each_topic_post(make_iln: object) -> None:
    """A server admin made the cohort forum before the bot came, with tags required."""
    iln: Iln = await make_iln(config={"discord": {"cohort_forum_tag": "Topics"}})  # type: ignore[operator]
    forum = await iln.driver.create_forum(
        "iln-discussions", tags=["Introductions", "Topics"], require_tag=True
    )
    await iln.start()
    await confirmed_round(iln, crowd(2))
    await iln.program.rounds.start(0)
    await iln.advance(timedelta(days=1))
    [post] = iln.driver.forum_posts(forum)
    topics_tag = next(tag for tag in forum.available_tags if tag["name"] == "Topics")
    assert [str(tag) for tag in post.applied_tags] == [str(topics_tag["id"])]


async def test_a_space_the_full_server_refuses_holds_up_nothing_and_is_reported_once(
    make_iln: object,
) -> None:
    """The server reaches Discord's channel limit part-way through opening the spaces."""
    iln: Iln = await make_iln()  # type: ignore[operator]
    await iln.start()  # the program's own channels
    program_channels = len(iln.driver.guild.live_channels())
    iln.emulator.max_guild_channels = program_channels + 3
    await confirmed_round(iln, crowd(6))
    await iln.program.rounds.start(0)
    await iln.run_due()  # the category and two spaces fill the server: the third is refused
    spaces = [c for c in iln.driver.channels(type=0) if c.name.startswith("person")]
    assert len(spaces) == 2
    assert all(len(iln.driver.pins(space)) == 1 for space in spaces)  # intros went out
    await iln.advance(timedelta(hours=3), step=timedelta(minutes=30))  # retried meanwhile
    coordinators = iln.driver.channel("iln-coordinators")
    alerts = [m for t in iln.driver.threads(coordinators) for m in iln.driver.messages(t)]
    assert len([a for a in alerts if "Discord refused" in a.content]) == 1  # in the pair's case
    [refused] = [
        item
        for item in await iln.program.store.outbox.by_kind("open_space")
        if item.sent_at is None
    ]
    assert refused.attempts >= 2 and refused.gave_up_at is None  # still tried, an admin can fix
