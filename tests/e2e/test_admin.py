"""Coordinators' commands, server set-up, space layout and members who leave."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.harness import MANAGE_MESSAGES, Iln
from tests.e2e.people import confirmed_round, crowd
from tests.emulator import permissions as P
from tests.emulator.driver import DriverError


async def reply(iln: Iln, member: Any, slash: str, channel: Any = None, **options: Any) -> Any:
    result = await iln.driver.invoke_slash(member, slash, options, channel=channel)
    return await result.message(timeout=5)


async def test_only_coordinators_run_coordinator_commands(iln: Iln) -> None:
    moderator_role = await iln.driver.create_role("Moderators", permissions=MANAGE_MESSAGES)
    moderator = await iln.driver.add_member("Mo", [moderator_role])
    answer = await reply(iln, moderator, "round create", name="2027A", start="2027-03-01")
    assert answer.ephemeral
    assert "Only members with the **ILN Coordinators** role" in answer.content
    assert await iln.program.store.rounds.all() == []


async def test_commands_refuse_the_wrong_state_and_bad_input_politely(iln: Iln) -> None:
    cora = await iln.coordinator()
    no_round = await reply(iln, cora, "round start")
    assert no_round.ephemeral and "no current round" in no_round.content.lower()
    bad_date = await reply(iln, cora, "round create", name="2027A", start="next Tuesday-ish")
    assert bad_date.ephemeral and "2026-12-24" in bad_date.content  # lists accepted formats
    past = await reply(iln, cora, "round create", name="2027A", start="2020-01-01")
    assert "already passed" in past.content
    await reply(iln, cora, "round create", name="2027A", start="2027-03-01")
    early = await reply(iln, cora, "round start")
    assert "being prepared" in early.content and "closed for applications" in early.content
    await reply(iln, cora, "round open")
    bad_csv = b"discord_id,name\n12,Ada\n"
    rejected = await reply(iln, cora, "applicants import", file=("export.csv", bad_csv))
    assert rejected.ephemeral and "Nothing was imported" in rejected.content
    assert "row 1" in rejected.content or "missing" in rejected.content


async def test_announcement_mentions_the_waitlist_role_and_notify_me_toggles_it(
    iln: Iln,
) -> None:
    cora = await iln.coordinator()
    reader = await iln.driver.add_member("Rae")
    joined = await reply(iln, reader, "notify-me on")
    assert joined.ephemeral and "mentioned" in joined.content
    role = iln.driver.role("ILN next round")
    assert reader in iln.driver.role_members(role)
    await reply(iln, cora, "round create", name="2027A", start="2027-04-01")
    opened = await reply(iln, cora, "round open")
    [announcement] = iln.driver.messages(iln.driver.channel("iln-announcements"))
    assert f"<@&{role.id}>" in announcement.content
    assert role.id in announcement.mention_roles
    # How to apply, how long the round runs, and when applications really close: the end
    # of the day a week before the start (the config's default), as a Discord timestamp.
    text = announcement.content
    assert "`/apply form`" in text and "four months" in text and "1 April 2027" in text
    closes = datetime(2027, 3, 25, 23, 59, tzinfo=UTC)
    assert f"Applications close on <t:{int(closes.timestamp())}:F>" in text
    # The coordinator is told the same date, and /round status keeps it in view.
    assert f"close on <t:{int(closes.timestamp())}:F>" in opened.content
    status = await reply(iln, cora, "round status")
    [applications] = [f for f in status.embeds[0]["fields"] if f["name"] == "Applications"]
    assert f"closing <t:{int(closes.timestamp())}:F>" in applications["value"]
    await reply(iln, reader, "notify-me off")
    assert reader not in iln.driver.role_members(role)


async def test_missing_permissions_are_reported_once(
    make_iln: Callable[..., Awaitable[Iln]],
) -> None:
    iln = await make_iln()
    iln.emulator.bot_role.permissions &= ~P.PIN_MESSAGES
    await iln.start()
    await iln.restart()
    alerts = iln.driver.messages(iln.driver.channel("iln-coordinators"))
    assert len(alerts) == 1
    assert "Pin Messages: needed to pin each partnership's introduction" in alerts[0].content


async def test_spaces_fill_categories_of_fifty(iln: Iln) -> None:
    await confirmed_round(iln, crowd(104))
    await iln.program.rounds.start(0)
    await iln.run_due()
    categories = {c.name: c for c in iln.driver.channels(type=4)}
    assert set(categories) == {"2027A partners", "2027A partners 2"}
    spaces = [c for c in iln.driver.channels(type=0) if c.name.startswith("person")]
    per_category = [sum(1 for s in spaces if s.parent_id == c.id) for c in categories.values()]
    assert sorted(per_category) == [2, 50]


async def test_near_the_channel_limit_spaces_are_private_threads(
    make_iln: Callable[..., Awaitable[Iln]],
) -> None:
    iln = await make_iln()
    for number in range(485):  # a busy server: 500 channels is Discord's limit
        await iln.driver.create_channel(f"existing-{number}")
    await iln.start()
    cora, members = await confirmed_round(iln, crowd(16))
    await iln.program.rounds.start(0)
    await iln.run_due()
    threads = [t for t in iln.driver.threads() if t.name.startswith("person")]
    assert len(threads) == 8
    assert all(t.type == 12 for t in threads)  # private threads
    first = threads[0]
    partners = [m for m in members.values() if iln.driver.can_view(m, first)]
    assert len(partners) == 2
    assert len(iln.driver.pins(first)) == 1
    # The coordinators' alerts link to these spaces, so coordinators can open them all.
    assert all(iln.driver.can_view(cora, thread) for thread in threads)


async def test_a_partner_leaving_opens_a_case_for_the_coordinators(iln: Iln) -> None:
    _, members = await confirmed_round(iln, crowd(4))
    await iln.program.rounds.start(0)
    await iln.run_due()
    leaver = members["Person000"]
    await iln.driver.remove_member(leaver)
    coordinators = iln.driver.channel("iln-coordinators")

    def case_threads() -> list[Any]:
        return [t for t in iln.driver.threads(coordinators) if iln.driver.messages(t)]

    await iln.driver.wait_for(case_threads, timeout=3)
    [card] = iln.driver.messages(coordinators)
    assert card.embeds[0]["title"].startswith("Case 1 · person000-and-")
    [alert] = iln.driver.messages(case_threads()[0])
    assert "Person000" in alert.content
    [partnership] = await iln.program.store.partnerships.for_member(leaver.id)
    assert partnership.state == "member_left"


async def test_coordinators_manage_topics(iln: Iln) -> None:
    cora, members = await confirmed_round(iln, crowd(2))
    await iln.program.rounds.start(0)
    await iln.run_due()
    listed = await reply(iln, cora, "topic list")
    assert "1. " in listed.content and "(coming" in listed.content
    moved = await reply(iln, cora, "topic-plan move", number=3, to="2027-04-20")
    assert "20 April 2027" in moved.content
    edit = await iln.driver.invoke_slash(cora, "topic-plan edit", {"number": 2})
    await edit.response(timeout=5)
    submitted = await iln.driver.submit_modal(cora, edit, {"title": "Days in our lives"})
    assert "updated" in (await submitted.message(timeout=5)).content
    posted = await reply(iln, cora, "topic-plan post-now", number=2)
    assert "Days in our lives" in posted.content
    [space] = [c for c in iln.driver.channels(type=0) if c.name.startswith("person")]
    titles = [m.embeds[0]["title"] for m in iln.driver.messages(space) if m.embeds]
    assert "Topic 2: Days in our lives" in titles
    await iln.advance(timedelta(days=15), step=timedelta(hours=12))  # topic 2's own date passes
    titles = [m.embeds[0]["title"] for m in iln.driver.messages(space) if m.embeds]
    assert titles.count("Topic 2: Days in our lives") == 1
    partner = next(iter(members.values()))
    # Partners do not even see the coordinators' topic commands (Discord's default
    # permissions), while /topic list and /topic current stay theirs.
    with pytest.raises(DriverError, match="lacks permissions for /topic-plan"):
        await iln.driver.invoke_slash(partner, "topic-plan post-now", {"number": 4}, channel=space)
    assert "1. " in (await reply(iln, partner, "topic list", channel=space)).content


async def test_a_partner_who_leaves_and_rejoins_no_longer_sees_the_space(iln: Iln) -> None:
    _, members = await confirmed_round(iln, crowd(4))
    await iln.program.rounds.start(0)
    await iln.run_due()
    leaver, stayer = members["Person000"], members["Person001"]
    [space] = [c for c in iln.driver.channels(type=0) if iln.driver.can_view(leaver, c)
               and c.name.startswith("person")]  # fmt: skip
    await iln.driver.remove_member(leaver)
    await iln.driver.wait_for(lambda: not any(o.id == leaver.id for o in space.overwrites.values()))
    world = iln.emulator.world
    back = world.add_member(iln.driver.guild, leaver.user, [])
    assert not iln.driver.can_view(back, space)
    assert iln.driver.can_view(stayer, space)


async def test_the_space_of_a_pair_that_lost_a_partner_closes_with_the_round(iln: Iln) -> None:
    cora, members = await confirmed_round(iln, crowd(4))
    await iln.program.rounds.start(0)
    await iln.run_due()
    leaver, stayer = members["Person000"], members["Person001"]
    [space] = [c for c in iln.driver.channels(type=0) if iln.driver.can_view(leaver, c)
               and c.name.startswith("person")]  # fmt: skip
    await iln.driver.remove_member(leaver)
    await iln.driver.wait_for(
        lambda: iln.driver.messages(iln.driver.channel("iln-coordinators")), timeout=3
    )
    await reply(iln, cora, "round end")
    await iln.run_due()
    closing = [m for m in iln.driver.messages(space) if "comes to an end" in m.content]
    assert len(closing) == 1 and [u.id for u in closing[0].mentions] == [stayer.id]
    assert iln.driver.can_view(stayer, space)
    assert not iln.driver.permissions(stayer, space) & P.SEND_MESSAGES  # archived
    [partnership] = await iln.program.store.partnerships.for_member(stayer.id)
    assert partnership.state == "ended"
