"""Contact, nudges, time away, availability and check-ins, as partners meet them in Discord.

Each test runs the real bot against the emulator on a manual clock. The emulator stamps
every new message with the manual clock's time (the ``make_iln`` fixture), so a message a
partner "sends on 2 March" carries that date in its snowflake, as it would in Discord.

The round starts on Monday 1 March 2027 (confirmed at 06:00 UTC). Ada (Lagos, UTC+1) is
paired with Bo (Stockholm, UTC+1, UTC+2 from 28 March); Chen (Singapore, UTC+8) with Dara
(Dublin, UTC+0, UTC+1 from 28 March). Daytime is 09:00-18:00 local, so Ada and Bo share
08:00-17:00 UTC in March, and Chen and Dara only 09:00-10:00 UTC.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest
import pytest_asyncio

from tests.e2e.harness import Iln
from tests.e2e.people import FOUR, Person, confirmed_round, crowd
from tests.emulator import MESSAGE_CONTENT
from tests.emulator.driver import DriverError

MakeIln = Callable[..., Awaitable[Iln]]
HOUR = timedelta(hours=1)


@pytest_asyncio.fixture
async def iln(make_iln: MakeIln) -> Iln:
    harness = await make_iln()
    await harness.start()
    return harness


# Helpers -----------------------------------------------------------------------------------


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """``day`` days into the round (day 0 is 1 March 2027), UTC."""
    return datetime(2027, 3, 1, hour, minute, second, tzinfo=UTC) + timedelta(days=day)


async def running_round(iln: Iln, people: tuple[Person, ...] = FOUR) -> tuple[Any, dict[str, Any]]:
    """A started round whose spaces are open: (coordinator, members by first name)."""
    cora, members = await confirmed_round(iln, people)
    await iln.program.rounds.start(0)
    await iln.run_due()
    return cora, members


async def advance_to(iln: Iln, when: datetime, step: timedelta = 3 * HOUR) -> None:
    """Wake the bot at every multiple of ``step`` since midnight UTC, then at ``when``.

    Whole-hour steps always include 09:00 UTC, the one hour both pairs share daytime,
    wherever the clock stood before.
    """
    midnight = iln.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    tick = midnight + step
    while tick <= iln.clock.now():
        tick += step
    while tick < when:
        await tick_at(iln, tick)
        tick += step
    await tick_at(iln, when)


async def tick_at(iln: Iln, when: datetime) -> None:
    """One wake-up at exactly ``when``."""
    iln.clock.set(when)
    await iln.run_due()


async def command(iln: Iln, member: Any, slash: str, channel: Any = None, **options: Any) -> Any:
    result = await iln.driver.invoke_slash(member, slash, options, channel=channel)
    return await result.message(timeout=5)


async def pid_of(iln: Iln, space: Any) -> int:
    partnership = await iln.program.store.partnerships.by_channel(space.id)
    assert partnership is not None
    return int(partnership.id)


async def recorded(iln: Iln, space: Any) -> list[Any]:
    """The contact the bot has stored for a space's partnership (buffer written first)."""
    await iln.program.contact_log.flush()
    return list(await iln.program.store.activity.contacts(await pid_of(iln, space)))


async def say(iln: Iln, member: Any, space: Any, text: str = "hello!") -> Any:
    """A partner posts in their space; returns once the bot has noted it."""
    message = await iln.driver.send_message(member, space, text)

    async def noted() -> bool:
        return any(event.message_id == message.id for event in await recorded(iln, space))

    await iln.driver.wait_for(noted, message=f"{member.name}'s message was not recorded")
    return message


def pattern(template: str) -> re.Pattern[str]:
    """A message template as a regex: each ``{field}`` matches any text."""
    parts = re.split(r"\{[a-z_]+\}", template.strip())
    return re.compile(".+?".join(re.escape(part) for part in parts), re.DOTALL)


def matching(iln: Iln, channel: Any, templates: list[str] | tuple[str, ...]) -> list[Any]:
    """The bot's messages in ``channel`` written from any of ``templates``."""
    patterns = [pattern(t) for t in templates]
    return [
        m
        for m in iln.driver.messages(channel)
        if m.author.id == iln.driver.bot.id
        and any(p.fullmatch((m.content or "").strip()) for p in patterns)
    ]


def nudges(iln: Iln, space: Any) -> list[Any]:
    texts = iln.program.content.messages.nudge
    return matching(iln, space, [*texts.quiet, *texts.one_sided])


def wording(iln: Iln, nudge: Any) -> str:
    """The template a nudge was written from."""
    texts = iln.program.content.messages.nudge
    return next(t for t in [*texts.quiet, *texts.one_sided] if pattern(t).fullmatch(nudge.content))


def sent_at(message: Any) -> datetime:
    """When Discord says the message was posted (its snowflake's time)."""
    return discord.utils.snowflake_time(message.id)


def with_button(iln: Iln, channel: Any, prefix: str) -> list[Any]:
    return [m for m in iln.driver.messages(channel) if prefix in str(m.components)]


def button_id(message: Any, prefix: str) -> str:
    for row in message.components:
        for component in row.get("components", []):
            if component.get("custom_id", "").startswith(prefix):
                return str(component["custom_id"])
    raise AssertionError(f"no button {prefix!r} on the message")


def mentioned(message: Any) -> set[int]:
    return {user.id for user in message.mentions}


def coordinators_channel(iln: Iln) -> Any:
    return iln.driver.channel(iln.config().discord.coordinators_channel)


def case_posts(iln: Iln) -> list[Any]:
    """What the bot posted in the case threads (alerts are follow-ups in their case)."""
    threads = iln.driver.threads(coordinators_channel(iln))
    return [msg for thread in threads for msg in iln.driver.messages(thread)]


# Recording contact -------------------------------------------------------------------------


async def test_a_partners_message_records_who_and_when_never_what(iln: Iln) -> None:
    cora, m = await running_round(iln)
    driver = iln.driver
    space = driver.channel("ada-and-bo")
    general = await driver.create_channel("general")
    await advance_to(iln, at(1, 10))

    # The bot never asked for the message-content intent, so Discord blanks what it sees.
    [identify] = [data for op, data in iln.emulator.gateway.received if op == 2]
    assert not identify["intents"] & MESSAGE_CONTENT

    secret = "our budget cut is 40 percent, please keep this between us"
    await driver.send_message(cora, space, "Coordinator here, just looking in.")
    await driver.send_message(m["Ada"], general, "hello everyone")
    message = await say(iln, m["Ada"], space, secret)
    await asyncio.sleep(0.05)  # give the two messages that do not count time to arrive

    [seen] = [msg for msg in iln.bot.cached_messages if msg.id == message.id]
    assert seen.content == ""
    [event] = await recorded(iln, space)
    assert (event.participant_id, event.message_id) == (m["Ada"].id, message.id)
    assert (event.source, event.at) == ("message", at(1, 10))
    columns = await iln.program.store.db.fetch_all("PRAGMA table_info(contact_events)")
    assert not {"content", "text", "body"} & {row["name"] for row in columns}
    stored = b"".join(path.read_bytes() for path in iln.db_path.parent.glob("iln-*"))
    assert b"budget cut" not in stored


async def test_contact_logged_with_the_command_counts_for_both_partners(iln: Iln) -> None:
    cora, m = await running_round(iln)
    driver = iln.driver
    ada_bo, chen_dara = driver.channel("ada-and-bo"), driver.channel("chen-and-dara")
    await advance_to(iln, at(9, 10))

    logged = await command(iln, m["Bo"], "contact", ada_bo, kind="video", date="9 March")
    assert logged.ephemeral
    assert logged.content.startswith("Thanks! Noted: video on 9 March 2027.")
    ahead = await command(iln, m["Bo"], "contact", ada_bo, kind="email", date="2027-03-20")
    assert ahead.ephemeral and "20 March 2027 is still ahead" in ahead.content
    outsider = await command(iln, cora, "contact", ada_bo, kind="phone")
    assert outsider.ephemeral and "not in an active partnership" in outsider.content

    events = await recorded(iln, ada_bo)
    assert {(e.participant_id, e.source, e.kind) for e in events} == {
        (m["Ada"].id, "logged", "video"),
        (m["Bo"].id, "logged", "video"),
    }
    # Noon in Stockholm on 9 March: a quiet fortnight ends on 23 March at 11:00 UTC.
    assert {e.at for e in events} == {datetime(2027, 3, 9, 11, tzinfo=UTC)}
    await advance_to(iln, at(22, 10, 59))
    assert len(nudges(iln, chen_dara)) == 2  # silent since the start: days 14 and 21
    assert nudges(iln, ada_bo) == []
    await tick_at(iln, at(22, 11))
    [nudge] = nudges(iln, ada_bo)
    assert mentioned(nudge) == {m["Ada"].id, m["Bo"].id}


async def test_messages_sent_while_the_bot_was_down_are_backfilled(iln: Iln) -> None:
    _, m = await running_round(iln)
    driver = iln.driver
    space = driver.channel("ada-and-bo")
    await advance_to(iln, at(1, 12))
    await say(iln, m["Ada"], space)
    await say(iln, m["Bo"], space)
    await advance_to(iln, at(13, 12))
    await iln.stop()

    # Three days down, across the day their fortnight would have run out (15 March 12:00).
    iln.clock.set(at(14, 9))
    first = await driver.send_message(m["Ada"], space, "Are you around this week?")
    iln.clock.set(at(15, 10))
    second = await driver.send_message(m["Bo"], space, "Yes! Thursday?")
    iln.clock.set(at(16, 12))
    await iln.start()  # backfills, then does what fell due

    missed = [e for e in await recorded(iln, space) if e.at > at(2)]
    assert [(e.participant_id, e.message_id, e.at) for e in missed] == [
        (m["Ada"].id, first.id, at(14, 9)),
        (m["Bo"].id, second.id, at(15, 10)),
    ]
    assert nudges(iln, space) == []
    await iln.restart()  # a second backfill finds nothing new
    assert len(await recorded(iln, space)) == 4
    # The backfilled times count: a fortnight after Ada's message, Ada alone is reminded,
    # on the day after (day 28 brings topic 3, and a pair hears from the bot once a day).
    await advance_to(iln, at(28, 12))
    assert nudges(iln, space) == []
    await advance_to(iln, at(29, 12))
    [nudge] = nudges(iln, space)
    assert mentioned(nudge) == {m["Ada"].id}
    assert sent_at(nudge).date() == at(29).date()


# Nudges ------------------------------------------------------------------------------------


async def test_a_quiet_pair_is_nudged_after_14_days_not_13(iln: Iln) -> None:
    _, m = await running_round(iln)
    space = iln.driver.channel("ada-and-bo")
    await advance_to(iln, at(1, 12))
    await say(iln, m["Ada"], space)
    await say(iln, m["Bo"], space)

    await advance_to(iln, at(14, 12))
    assert nudges(iln, space) == []  # day 13 of silence
    await tick_at(iln, at(15, 11, 59, 59))
    assert nudges(iln, space) == []  # a second short of 14 days
    await tick_at(iln, at(15, 12))
    [nudge] = nudges(iln, space)
    assert mentioned(nudge) == {m["Ada"].id, m["Bo"].id}
    assert "14 days" in nudge.content
    assert "A day in the life" in nudge.content  # topic 2, the current one


async def test_a_nudge_due_with_a_new_topic_waits_a_day_and_suggests_the_new_topic(
    iln: Iln,
) -> None:
    await running_round(iln, FOUR[:2])
    space = iln.driver.channel("ada-and-bo")
    # Silent since the start: due on day 14, which brings topic 2; the nudge waits for the
    # next day, so the pair hears from the bot once a day.
    await advance_to(iln, at(14, 23))
    assert nudges(iln, space) == []
    await advance_to(iln, at(15, 12))
    [nudge] = nudges(iln, space)
    assert sent_at(nudge).date() == at(15).date()
    assert "A day in the life" in nudge.content
    assert "Getting to know you" not in nudge.content


async def test_one_sided_silence_gently_mentions_only_the_silent_partner(iln: Iln) -> None:
    _, m = await running_round(iln)
    space = iln.driver.channel("ada-and-bo")
    await advance_to(iln, at(9, 12))
    await say(iln, m["Ada"], space)  # Bo has not written since the start

    await advance_to(iln, at(14, 23))
    assert nudges(iln, space) == []  # due on day 14, topic 2's day: it waits a day
    await advance_to(iln, at(15, 12))
    [nudge] = nudges(iln, space)
    assert mentioned(nudge) == {m["Bo"].id}
    assert f"<@{m['Ada'].id}>" not in nudge.content
    one_sided = iln.program.content.messages.nudge.one_sided
    assert matching(iln, space, one_sided) == [nudge]


async def test_one_nudge_a_week_then_unanswered_nudges_alert_the_coordinators(
    iln: Iln,
) -> None:
    cora, m = await running_round(iln)
    driver = iln.driver
    space = driver.channel("ada-and-bo")
    coordinators = coordinators_channel(iln)
    await advance_to(iln, at(15, 12))  # due on day 14, topic 2's day: sent the next
    [first] = nudges(iln, space)
    sent = sent_at(first)

    await advance_to(iln, at(19, 12))
    planned = await command(iln, m["Bo"], "away add", space, start="12 April", end="16 April")
    assert planned.ephemeral
    await advance_to(iln, sent + timedelta(days=7) - timedelta(minutes=1))
    assert nudges(iln, space) == [first]  # a minute short of a week later: still one
    await advance_to(iln, sent + timedelta(days=7, hours=1))
    first, second = nudges(iln, space)
    assert sent_at(second) == sent + timedelta(days=7)
    assert wording(iln, first) != wording(iln, second)

    await advance_to(iln, at(28, 7, 59))
    assert not [msg for msg in case_posts(iln) if "ada-and-bo" in msg.content]
    await advance_to(iln, at(29, 12))
    [alert] = [msg for msg in case_posts(iln) if "ada-and-bo" in msg.content]
    # A week after the second nudge, as the first and second were a week apart.
    assert sent_at(alert) == sent_at(second) + timedelta(days=7)
    assert "no contact for 29 days" in alert.content
    assert "2 reminders" in alert.content
    assert "Bo Lindqvist away 12 April 2027 – 16 April 2027" in alert.content
    assert "Partners: Ada Okafor, Bo Lindqvist" in alert.content
    assert f"/channels/{driver.guild.id}/{space.id}" in alert.content
    assert driver.can_view(cora, coordinators)
    assert not driver.can_view(m["Ada"], coordinators)

    await advance_to(
        iln, at(42, 12), step=6 * HOUR
    )  # coordinators own it now: no more nudges, one alert
    assert len(nudges(iln, space)) == 2
    alerts = [msg for msg in case_posts(iln) if "ada-and-bo" in msg.content]
    assert len(alerts) == 1
    titles = [msg.embeds[0].get("title", "") for msg in driver.messages(coordinators) if msg.embeds]
    assert sum(title.endswith("· ada-and-bo") for title in titles) == 1  # one case, one card


async def test_nudges_to_a_pair_vary_their_wording(iln: Iln) -> None:
    await running_round(iln, crowd(6))  # three pairs, so the third pair's nudges are seen
    await advance_to(iln, at(28, 12))
    spaces = [c for c in iln.driver.channels(type=0) if c.name.startswith("person")]
    assert len(spaces) == 3
    for space in spaces:
        sent = nudges(iln, space)
        assert len(sent) == 2
        assert wording(iln, sent[0]) != wording(iln, sent[1]), f"{space.name}: same text twice"


async def test_nudges_wait_for_the_recipients_daytime(iln: Iln) -> None:
    _, m = await running_round(iln)
    space = iln.driver.channel("chen-and-dara")
    # Silent since 06:00 UTC on day 0: due on day 14, topic 2's day, so it waits for day
    # 15 (from 16:00 UTC, midnight in Singapore); then for both partners' daytime, which
    # overlaps from 09:00 UTC only (17:00 for Chen, 09:00 for Dara).
    await advance_to(iln, at(15, 6))
    for moment in (at(15, 6), at(15, 8), at(15, 8, 59, 59)):
        await tick_at(iln, moment)
        assert nudges(iln, space) == [], moment
    await tick_at(iln, at(15, 9))
    [quiet] = nudges(iln, space)
    assert mentioned(quiet) == {m["Chen"].id, m["Dara"].id}
    assert sent_at(quiet) == at(15, 9)  # 17:00 in Singapore, 09:00 in Dublin


async def test_a_one_sided_nudge_waits_for_the_silent_partners_morning(iln: Iln) -> None:
    _, m = await running_round(iln)
    space = iln.driver.channel("chen-and-dara")
    await advance_to(iln, at(0, 12))
    await say(iln, m["Chen"], space)  # 20:00 in Singapore
    await advance_to(iln, at(9, 12))
    await say(iln, m["Dara"], space)

    # Chen's fortnight ends at 20:00 Singapore time; the nudge waits for 09:00 there,
    # although that is 01:00 for Dara, who is not the one being reminded.
    await advance_to(iln, at(15, 0, 59))
    assert nudges(iln, space) == []
    await tick_at(iln, at(15, 1))
    [nudge] = nudges(iln, space)
    assert mentioned(nudge) == {m["Chen"].id}
    assert sent_at(nudge) == at(15, 1)


# Time away ---------------------------------------------------------------------------------


async def test_away_tells_the_partner_pauses_nudges_and_welcomes_back(iln: Iln) -> None:
    _, m = await running_round(iln)
    driver = iln.driver
    space = driver.channel("ada-and-bo")
    texts = iln.program.content.messages.away
    await advance_to(iln, at(9, 10))

    ack = await command(
        iln, m["Bo"], "away add", space, start="12 March", end="18 March", note="a conference"
    )
    assert ack.ephemeral
    assert "Away: 12 March 2027 – 18 March 2027 (a conference)" in ack.content
    await iln.run_due()
    [noted] = matching(iln, space, [texts.noted])
    assert noted in driver.visible_messages(m["Ada"], space)
    # The days as Discord timestamps, from Bo's first moment away to their last.
    first, last = (int(t) for t in re.findall(r"<t:(\d+):D>", noted.content))
    stockholm = ZoneInfo("Europe/Stockholm")
    assert datetime.fromtimestamp(first, stockholm).date() == date(2027, 3, 12)
    assert datetime.fromtimestamp(last, stockholm).date() == date(2027, 3, 18)
    assert "Note: a conference" in noted.content
    assert mentioned(noted) == {m["Bo"].id}

    await advance_to(iln, at(18, 7))
    assert len(nudges(iln, driver.channel("chen-and-dara"))) == 1  # day 15 came and went
    assert nudges(iln, space) == []
    assert matching(iln, space, texts.welcome_back) == []
    await tick_at(iln, at(18, 8))  # 19 March, 09:00 in Stockholm: Bo is back
    [welcome] = matching(iln, space, texts.welcome_back)
    assert mentioned(welcome) == {m["Bo"].id}

    # Silence counts again from the end of the time away, 19 March 00:00 in Stockholm
    # (18 March 23:00 UTC): due on 1 April at 23:00 UTC, sent when their day starts.
    await advance_to(iln, at(32, 7, 59))
    assert nudges(iln, space) == []
    await tick_at(iln, at(32, 8))
    [nudge] = nudges(iln, space)
    assert mentioned(nudge) == {m["Ada"].id, m["Bo"].id}


async def test_away_add_refuses_impossible_dates_privately(iln: Iln) -> None:
    _, m = await running_round(iln)
    space = iln.driver.channel("ada-and-bo")
    await advance_to(iln, at(9, 10))
    before = len(iln.driver.messages(space))

    reversed_ = await command(
        iln, m["Bo"], "away add", space, start="20 March 2027", end="18 March 2027"
    )
    past = await command(iln, m["Bo"], "away add", space, start="2 March 2027", end="5 March 2027")
    too_long = await command(
        iln, m["Bo"], "away add", space, start="11 March 2027", end="30 August 2027"
    )
    assert all(reply.ephemeral for reply in (reversed_, past, too_long))
    assert "The end date (18 March 2027) is before the start date (20 March 2027)" in (
        reversed_.content
    )
    assert "2 March 2027 – 5 March 2027 is already in the past" in past.content
    assert "longer than a whole round" in too_long.content
    assert "get in touch with the coordinators" in too_long.content

    await iln.run_due()
    assert len(iln.driver.messages(space)) == before  # the partner saw nothing
    listed = await command(iln, m["Bo"], "away list", space)
    assert "You have no time away recorded" in listed.content


async def test_away_list_and_cancel_in_the_members_own_dates(iln: Iln) -> None:
    _, m = await running_round(iln)
    space = iln.driver.channel("chen-and-dara")
    await advance_to(iln, at(9, 20))  # 20:00 UTC on 10 March is 04:00 on 11 March for Chen

    today = await command(iln, m["Chen"], "away add", space, start="today", end="today")
    assert "Away: 11 March 2027 (id " in today.content
    later = await command(
        iln, m["Chen"], "away add", space, start="1 April", end="3 April", note="moving house"
    )
    later_id = int(re.findall(r"\(id (\d+)\)", later.content)[-1])
    listed = await command(iln, m["Chen"], "away list", space)
    assert listed.ephemeral
    assert listed.content.splitlines()[1:] == [
        f"- 11 March 2027 (id {later_id - 1})",
        f"- 1 April 2027 – 3 April 2027 (moving house) (id {later_id})",
    ]

    not_hers = await command(iln, m["Dara"], "away cancel", space, id=later_id)
    assert not_hers.ephemeral and "can't find that away period among yours" in not_hers.content
    cancelled = await command(iln, m["Chen"], "away cancel", space, id=later_id)
    assert cancelled.ephemeral and cancelled.content.startswith("Cancelled.")
    listed = await command(iln, m["Chen"], "away list", space)
    assert "moving house" not in listed.content and "11 March 2027" in listed.content


# Availability asks -------------------------------------------------------------------------


async def test_availability_is_asked_with_every_other_topic_and_its_buttons_survive_a_restart(
    iln: Iln,
) -> None:
    cora, m = await running_round(iln)
    driver = iln.driver
    space = driver.channel("ada-and-bo")
    texts = iln.program.content.messages
    await advance_to(iln, at(14, 7), step=6 * HOUR)
    assert with_button(iln, space, "iln:avail:") == []
    await tick_at(iln, at(14, 8))  # day 14, 09:00 in Lagos and Stockholm: topic 2's day
    [ask] = with_button(iln, space, "iln:avail:")
    assert ask.embeds[0]["title"].startswith("Topic 2:")  # the ask rides on the topic
    assert texts.availability.in_topic in ask.embeds[-1]["description"]
    assert mentioned(ask) == {m["Ada"].id, m["Bo"].id}
    labels = [c["label"] for row in ask.components for c in row["components"]]
    assert labels == ["No changes", "Add dates"]

    await iln.restart()
    none = await driver.click_button(m["Ada"], ask, button_id(ask, "iln:avail:none:"))
    reply = await none.message(timeout=5)
    assert reply.ephemeral and reply.content == texts.availability.no_changes_ack

    add = await driver.click_button(m["Bo"], ask, button_id(ask, "iln:avail:add:"))
    assert (await add.response()).modal is not None
    wrong = await driver.submit_modal(
        m["Bo"], add, {"start": "20 March 2027", "end": "18 March 2027"}
    )
    refused = await wrong.message(timeout=5)
    assert refused.ephemeral and "is before the start date" in refused.content
    add = await driver.click_button(m["Bo"], ask, button_id(ask, "iln:avail:add:"))
    await add.response()
    form = await driver.submit_modal(
        m["Bo"], add, {"start": "20 March", "end": "22 March", "note": "holiday"}
    )
    done = await form.message(timeout=5)
    assert done.ephemeral and done.content == texts.availability.added_ack
    await iln.run_due()
    [noted] = matching(iln, space, [texts.away.noted])
    assert re.search(r"from <t:\d+:D> to <t:\d+:D>", noted.content)  # each reader's own days

    stranger = await driver.click_button(cora, ask, button_id(ask, "iln:avail:none:"))
    refusal = await stranger.message(timeout=5)
    assert refusal.ephemeral and "only its partners can use it" in refusal.content
    with pytest.raises(DriverError):
        await driver.click_button(m["Chen"], ask, button_id(ask, "iln:avail:none:"))

    await advance_to(iln, at(42, 12), step=6 * HOUR)
    assert len(with_button(iln, space, "iln:avail:")) == 2  # with topic 4; none with topic 3


# Check-ins ---------------------------------------------------------------------------------


async def answer_checkin(
    iln: Iln, member: Any, message: Any, rating: str, comment: str = ""
) -> Any:
    """Click the check-in button, then a rating, then submit the comment form."""
    driver = iln.driver
    opened = await driver.click_button(member, message, button_id(message, "iln:checkin:"))
    choices = await opened.message(timeout=5)
    assert choices.ephemeral
    labels = [c["label"] for row in choices.components for c in row["components"]]
    assert labels == ["Great", "OK", "Not working"]
    first = button_id(choices, "iln:checkin:rate:")
    rated = await driver.click_button(member, choices, first.rsplit(":", 1)[0] + f":{rating}")
    await rated.response()
    submitted = await driver.submit_modal(member, rated, {"comment": comment})
    return await submitted.message(timeout=5)


async def test_check_in_answers_reach_only_the_coordinators(iln: Iln) -> None:
    cora, m = await running_round(iln)
    driver = iln.driver
    space = driver.channel("ada-and-bo")
    coordinators = coordinators_channel(iln)
    await advance_to(iln, at(28, 6), step=12 * HOUR)
    assert with_button(iln, space, "iln:checkin:") == []
    await tick_at(iln, at(28, 7))  # day 28, 09:00 in Stockholm (summer time since 28 March)
    [prompt] = with_button(iln, space, "iln:checkin:")
    assert mentioned(prompt) == {m["Ada"].id, m["Bo"].id}
    assert driver.dms(m["Ada"]) == [] and driver.dms(m["Bo"]) == []  # nobody opted in

    comment = "We never find a time that suits us both."
    thanks = await answer_checkin(iln, m["Ada"], prompt, "not_working", comment)
    assert thanks.ephemeral
    assert thanks.content == iln.program.content.messages.checkin.thanks
    await answer_checkin(iln, m["Bo"], prompt, "great")
    await iln.run_due()

    [alert] = [msg for msg in case_posts(iln) if "Ada Okafor" in msg.content]
    assert "Not working" in alert.content and comment in alert.content
    assert not [msg for msg in case_posts(iln) if "Bo Lindqvist" in msg.content]
    bo_sees = driver.visible_messages(m["Bo"], space)
    assert not [msg for msg in bo_sees if "Not working" in str(msg.content)]
    assert not [msg for msg in bo_sees if comment in str(msg.content)]
    assert all(msg.ephemeral_for in (None, m["Bo"].id) for msg in bo_sees)
    assert not driver.can_view(m["Bo"], coordinators)

    health = await command(iln, cora, "pair health", coordinators)
    [field] = [f for f in health.embeds[0]["fields"] if "ada-and-bo" in f["name"]]
    assert "Ada Okafor: not working" in field["value"]
    assert "Bo Lindqvist: great" in field["value"]


async def test_check_in_direct_messages_go_only_to_members_who_opted_in(iln: Iln) -> None:
    _, m = await running_round(iln)
    driver = iln.driver
    space = driver.channel("ada-and-bo")
    opted = await command(iln, m["Ada"], "checkin-dms", space, setting="on")
    assert opted.ephemeral and "direct message" in opted.content

    await advance_to(iln, at(28, 12), step=12 * HOUR)
    [dm] = driver.dms(m["Ada"])
    assert dm.content.startswith("Hello Ada, this is your monthly ILN check-in")
    assert f"/channels/{driver.guild.id}/{space.id}" in dm.content
    assert [driver.dms(m[name]) for name in ("Bo", "Chen", "Dara")] == [[], [], []]
    assert len(with_button(iln, space, "iln:checkin:")) == 1  # the space's own prompt

    thanks = await answer_checkin(iln, m["Ada"], dm, "ok")  # answered from the DM
    assert thanks.ephemeral
    answers = await iln.program.store.activity.checkins(await pid_of(iln, space))
    assert [(a.participant_id, a.rating) for a in answers if a.rating] == [(m["Ada"].id, "ok")]


async def test_a_member_with_closed_direct_messages_gets_one_check_in_in_the_space(
    make_iln: MakeIln,
) -> None:
    """The space has the question already (here on the day's topic): the member whose DMs
    are closed answers there, and the space gets one check-in, not a second copy."""
    iln = await make_iln(config={"program": {"checkin_dm_opt_in_default": True}})
    await iln.start()
    _, m = await running_round(iln)
    driver = iln.driver
    space = driver.channel("chen-and-dara")
    opted_out = await command(iln, m["Chen"], "checkin-dms", space, setting="off")
    assert opted_out.ephemeral
    await driver.set_dm_closed(m["Dara"])

    await advance_to(iln, at(28, 12), step=12 * HOUR)
    assert driver.dms(m["Chen"]) == [] and driver.dms(m["Dara"]) == []
    assert len(driver.dms(m["Ada"])) == 1  # the default is on here
    [asked] = with_button(iln, space, "iln:checkin:")
    assert asked.embeds[0]["title"].startswith("Topic 3:")
    assert mentioned(asked) == {m["Chen"].id, m["Dara"].id}
    assert not [msg for msg in driver.messages(space) if "Hello Dara" in msg.content]
    labels = [c["label"] for row in asked.components for c in row["components"]]
    assert labels == ["Tell us privately"]
    thanks = await answer_checkin(iln, m["Dara"], asked, "great")
    assert thanks.ephemeral


# Pair health -------------------------------------------------------------------------------


async def test_pair_health_lists_the_pairs_most_at_risk_first(iln: Iln) -> None:
    cora, m = await running_round(iln)
    driver = iln.driver
    ada_bo = driver.channel("ada-and-bo")
    await advance_to(iln, at(8, 12))
    await say(iln, m["Ada"], ada_bo)
    await say(iln, m["Bo"], ada_bo)
    await advance_to(iln, at(15, 12))  # Chen and Dara: silent since the start, nudged once

    health = await command(iln, cora, "pair health", coordinators_channel(iln))
    assert health.ephemeral
    fields = health.embeds[0]["fields"]
    assert [f["name"].split(" (")[0] for f in fields] == ["🟠 chen-and-dara", "🟢 ada-and-bo"]
    assert "no contact yet" in fields[0]["value"] and "· 1 nudge" in fields[0]["value"]
    assert "last contact 7 days ago" in fields[1]["value"]
    by_name = await command(iln, cora, "pair health", coordinators_channel(iln), sort="name")
    first_by_name = by_name.embeds[0]["fields"][0]["name"]
    assert first_by_name.endswith("ada-and-bo (ok, 0.12)")
    with pytest.raises(DriverError):  # hidden from partners
        await driver.invoke_slash(m["Ada"], "pair health", {}, channel=ada_bo)


async def test_a_message_that_mentions_the_bot_is_counted_and_never_parsed(
    iln: Iln, caplog: pytest.LogCaptureFixture
) -> None:
    """The bot has no prefix commands, so no word of a message reaches the log."""
    _, m = await running_round(iln)
    space = iln.driver.channel("ada-and-bo")
    await say(iln, m["Ada"], space, f"<@{iln.driver.bot.id}> secretword is what I think")
    assert "secretword" not in caplog.text
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
