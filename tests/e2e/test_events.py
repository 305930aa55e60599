"""Live discussions through the real client: a coordinator in UTC+10 schedules an event
for a topic in local time; interested members are reminded a day and an hour before, once
each across a restart; the cohort thread hears the start and the end; move and cancel;
refusals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.discord_adapter import required_permissions
from bot.domain.applications import Application
from bot.store.models import RoundState
from tests.e2e.harness import Iln
from tests.e2e.test_round import command, set_up_round
from tests.emulator import Overwrite
from tests.emulator import permissions as P

EVENTS = "/guilds/{guild_id}/scheduled-events"
EVENT_NAME = "Live discussion: Getting to know you"
BRISBANE = "Australia/Brisbane"  # UTC+10 all year (no daylight saving)


async def live_round(make_iln: Callable[..., Awaitable[Iln]]) -> tuple[Iln, Any, dict[str, Any]]:
    """A running round whose first topic is out, a voice channel, and the bot's role given
    exactly the README's permission integer."""
    iln = await make_iln()
    await iln.driver.set_role_permissions(iln.emulator.bot_role, required_permissions().value)
    await iln.driver.create_voice_channel("Live discussions")
    await iln.start()
    cora, members = await set_up_round(iln)
    await brisbane(iln, cora)
    await iln.advance(timedelta(hours=6))  # topic 1 and its cohort thread are out
    return iln, cora, members


async def brisbane(iln: Iln, cora: Any) -> None:
    """Cora took part in an earlier round from Brisbane, so the program knows her zone."""
    store = iln.program.store
    now = iln.clock.now()
    past = await store.rounds.create("2026B", date(2026, 9, 1), date(2026, 12, 31), now)
    await store.rounds.set_state(past.id, RoundState.DRAFT, RoundState.ENDED, now)
    application = Application(
        discord_id=cora.id,
        name="Cora Nguyen",
        institution="State Library of Queensland",
        sector="public",
        country="AU",
        timezone=BRISBANE,
        career_stage="mid",
        languages=["en"],
    )
    await store.people.save_applications(past.id, [application], now)


def stamp(moment: datetime) -> str:
    return f"<t:{int(moment.timestamp())}:F>"


def reminders(iln: Iln, member: Any) -> list[str]:
    return [
        n.message.content
        for n in iln.driver.notifications(member)
        if (n.message.content or "").count("Reminder: the live discussion")
    ]


async def test_a_live_discussion_from_schedule_to_end(
    make_iln: Callable[..., Awaitable[Iln]],
) -> None:
    iln, cora, m = await live_round(make_iln)
    driver = iln.driver
    voice = driver.channel("Live discussions")
    thread = driver.forum_posts(driver.channel("iln-discussions"))[0]
    announcements = driver.channel("iln-announcements")
    # The first topic shows its hashtags and the program's, and invites desks to the forum.
    topic = driver.messages(thread)[0].embeds[0]["description"]
    assert f"<#{driver.channel('welcometomydesk').id}>" in topic
    assert "#welcometomydesk #librarylife #interlibnet" in topic

    # 19:00 on 3 March in Brisbane is 09:00 UTC.
    reply = await command(
        iln, cora, "event schedule", topic="1", when="2027-03-03 19:00", where=str(voice.id)
    )
    start = datetime(2027, 3, 3, 9, tzinfo=UTC)
    assert reply.ephemeral
    assert stamp(start) in reply.content and f"<t:{int(start.timestamp())}:R>" in reply.content
    assert BRISBANE in reply.content and "your time zone" in reply.content
    event = driver.scheduled_event(EVENT_NAME)
    assert datetime.fromisoformat(event.scheduled_start_time) == start
    assert event.channel_id == voice.id and event.entity_type == 2
    [announced] = [msg for msg in driver.messages(announcements) if EVENT_NAME in msg.content]
    assert stamp(start) in announced.content and "#interlibnet" in announced.content
    assert "@everyone" not in announced.content and not announced.mention_everyone
    assert any(EVENT_NAME in (msg.content or "") for msg in driver.messages(thread))

    await driver.mark_interested(m["Ada"], event)
    await driver.mark_interested(m["Bo"], event)

    # The day before (09:00 UTC on 2 March), then a restart, then the hour before.
    await iln.advance(start - timedelta(days=1, minutes=30) - iln.clock.now())
    assert reminders(iln, m["Ada"]) == []
    await iln.advance(timedelta(hours=1))
    [day] = reminders(iln, m["Ada"])
    assert "starts tomorrow" in day and stamp(start) in day
    await iln.restart()
    await iln.advance(start - timedelta(minutes=30) - iln.clock.now())
    await iln.restart()
    await iln.advance(timedelta(minutes=20), step=timedelta(minutes=5))
    for name in ("Ada", "Bo"):
        got = reminders(iln, m[name])
        assert len(got) == 2, got
        assert "in an hour" in got[1]
    assert reminders(iln, m["Chen"]) == []  # not interested: never pinged

    # The host starts it; Discord ends it when the last person leaves.
    iln.clock.set(start)
    await driver.start_event(event)
    await driver.wait_for(
        lambda: any("has started" in (msg.content or "") for msg in driver.messages(thread)),
        message="the start note",
    )
    await driver.end_event(event)
    await driver.wait_for(
        lambda: any("has ended" in (msg.content or "") for msg in driver.messages(thread)),
        message="the end note",
    )
    notes = [msg.content for msg in driver.messages(thread) if "has started" in msg.content]
    assert len(notes) == 1
    await iln.restart()  # catching up at start-up adds nothing
    ended = [msg for msg in driver.messages(thread) if "has ended" in (msg.content or "")]
    assert len(ended) == 1
    stored = await iln.program.events.upcoming()
    assert stored == []


async def test_move_and_cancel_and_who_may(make_iln: Callable[..., Awaitable[Iln]]) -> None:
    iln, cora, m = await live_round(make_iln)
    driver = iln.driver
    announcements = driver.channel("iln-announcements")

    refused = await command(iln, m["Ada"], "event schedule", topic="1", when="2027-03-04 19:00")
    assert refused.ephemeral and "Only members with the **ILN Coordinators** role" in (
        refused.content
    )
    assert driver.scheduled_events() == []

    link = "https://meet.example.org/iln-topic-2"
    await command(
        iln, cora, "event schedule", topic="2", when="10 March 20:00", length="90m", where=link
    )
    [event] = driver.scheduled_events()
    assert event.entity_type == 3 and event.entity_metadata == {"location": link}
    first = datetime(2027, 3, 10, 10, tzinfo=UTC)
    assert datetime.fromisoformat(event.scheduled_end_time) == first + timedelta(minutes=90)
    [ours] = await iln.program.events.upcoming()

    moved = await command(iln, cora, "event move", event=ours[0].id, when="2027-03-11 18:30")
    later = datetime(2027, 3, 11, 8, 30, tzinfo=UTC)
    assert stamp(later) in moved.content
    assert datetime.fromisoformat(event.scheduled_start_time) == later
    assert datetime.fromisoformat(event.scheduled_end_time) == later + timedelta(minutes=90)
    assert any("has moved" in msg.content for msg in driver.messages(announcements))

    listed = await command(iln, m["Chen"], "event list")
    assert stamp(later) in listed.content and "A day in the life" in listed.content

    cancelled = await command(iln, cora, "event cancel", event=ours[0].id)
    assert "Cancelled" in cancelled.content
    assert event.status == 4  # CANCELED, as Discord documents the transition
    assert any("is cancelled" in msg.content for msg in driver.messages(announcements))
    assert len(driver.scheduled_events()) == 1  # canceled, not duplicated or re-created
    again = await command(iln, cora, "event cancel", event=ours[0].id)
    assert "cancelled; it cannot change" in again.content


async def test_a_retried_create_leaves_one_event(
    make_iln: Callable[..., Awaitable[Iln]],
) -> None:
    """Discord creates the event but answers 500: the bot finds it by its marker instead of
    creating a second one."""
    iln, cora, _ = await live_round(make_iln)
    iln.emulator.faults.fail_after_apply("POST", "/guilds/*/scheduled-events", status=500)
    voice = iln.driver.channel("Live discussions")
    await command(
        iln, cora, "event schedule", topic="1", when="2027-03-05 19:00", where=str(voice.id)
    )
    events = iln.driver.scheduled_events(include_finished=False)
    assert [e.name for e in events] == [EVENT_NAME]
    # The creation guard stops discord.py's blind retry; the bot looks before creating.
    assert len(iln.driver.requests("POST", EVENTS)) == 1
    [kept] = await iln.program.events.upcoming()
    assert kept[0].discord_event_id == events[0].id


@pytest.mark.parametrize(
    ("options", "refusal"),
    [
        ({"when": "2027-02-27 19:00"}, "has already passed"),
        ({"when": "2027-03-05 19:00", "length": "25h"}, "at most 24 hours"),
        ({"when": "2027-03-05 19:00", "where": "STAFF"}, "View Channel"),
        ({"when": "2027-03-05 19:00", "topic": "Underwater basket weaving"}, "There is no topic"),
        ({"when": "someday soon"}, "as a day and a time"),
    ],
    ids=["past", "over-24-hours", "hidden-channel", "unknown-topic", "unreadable"],
)
async def test_bad_input_is_refused_politely(
    make_iln: Callable[..., Awaitable[Iln]], options: dict[str, Any], refusal: str
) -> None:
    iln, cora, _ = await live_round(make_iln)
    driver = iln.driver
    hidden = await driver.create_voice_channel(
        "Staff room",
        overwrites=[Overwrite(driver.guild.id, 0, deny=P.VIEW_CHANNEL)],
    )
    given = {"topic": "1", "where": str(driver.channel("Live discussions").id), **options}
    if given["where"] == "STAFF":
        given["where"] = str(hidden.id)
    reply = await command(iln, cora, "event schedule", **given)
    assert reply.ephemeral and refusal in reply.content, reply.content
    assert driver.scheduled_events() == []


async def test_a_start_and_end_missed_while_offline_are_noted_once(
    make_iln: Callable[..., Awaitable[Iln]],
) -> None:
    """The gateway cannot replay what happened between two sessions: at start-up the bot
    asks Discord for each unfinished event's status."""
    iln, cora, _ = await live_round(make_iln)
    driver = iln.driver
    thread = driver.forum_posts(driver.channel("iln-discussions"))[0]
    voice = driver.channel("Live discussions")
    await command(
        iln, cora, "event schedule", topic="1", when="2027-03-02 19:00", where=str(voice.id)
    )
    event = driver.scheduled_event(EVENT_NAME)
    await iln.stop()
    iln.clock.set(datetime(2027, 3, 2, 9, tzinfo=UTC))
    await driver.start_event(event)
    await driver.end_event(event)
    await iln.start()
    await driver.wait_for(
        lambda: any("has ended" in (msg.content or "") for msg in driver.messages(thread)),
        message="the end note after a restart",
    )
    await iln.restart()
    await iln.run_due()
    texts = [msg.content or "" for msg in driver.messages(thread)]
    assert sum("has ended" in text for text in texts) == 1
    assert sum("has started" in text for text in texts) == 0  # it is over: only the end
