"""AwayService: recording, listing and cancelling time away, and answering the ask."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.services.errors import UserFacingError
from tests.test_contact_service import ANA, BO, CHEN, SPACE, World, at, build


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[World, int]]:
    built = await build(tmp_path, zones=("Europe/London", "Australia/Sydney"))
    yield built
    await built[0].contact_log.close()
    await built[0].store.close()


async def test_away_is_stored_in_the_members_zone_and_the_partner_told(
    world: tuple[World, int],
) -> None:
    w, _ = world
    w.clock.set(at(3, 12))
    period = await w.away.add(BO, "10 March", "12 March", "  Family   visit ")
    # Sydney is UTC+11 in March: 10 March 00:00 there is 9 March 13:00 UTC.
    assert period.starts_at == at(8, 13) and period.ends_at == at(11, 13)
    assert period.note == "Family visit"
    await w.run()
    [(kind, channel, post)] = [s for s in w.port.sent if "marked as away" in s[2].content]
    assert (kind, channel) == ("space", SPACE)
    assert f"<@{BO}>" in post.content
    # Each reader sees the days in their own zone: Discord timestamps, from the first
    # instant away to the last.
    first, last = int(at(8, 13).timestamp()), int(at(11, 13).timestamp()) - 1
    assert f"from <t:{first}:D> to <t:{last}:D>" in post.content
    assert "Family visit" in post.content
    assert [text for _, text in await w.away.described(BO)] == [
        "10 March 2027 – 12 March 2027 (Family visit)"
    ]


@pytest.mark.parametrize(
    ("user", "start", "end", "problem"),
    [
        (ANA, "12 March 2027", "10 March 2027", "before the start date"),
        (ANA, "soon", "10 March", "Start date"),
        (ANA, "1 Jan 2027", "2 Jan 2027", "already in the past"),
        (ANA, "10 March", "30 August", "longer than a whole round"),
        (CHEN, "10 March", "12 March", "not in a current partnership"),
    ],
)
async def test_refusals_are_polite(
    world: tuple[World, int], user: int, start: str, end: str, problem: str
) -> None:
    w, _ = world
    w.clock.set(at(3, 12))
    with pytest.raises(UserFacingError, match=problem):
        await w.away.add(user, start, end)
    assert await w.store.outbox.by_kind("away_noted") == []


async def test_list_and_cancel_only_your_own(world: tuple[World, int]) -> None:
    w, _ = world
    w.clock.set(at(3, 12))
    first = await w.away.add(ANA, "10 March", "12 March")
    second = await w.away.add(ANA, "1 April", "3 April")
    assert [p.id for p in await w.away.list(ANA)] == [first.id, second.id]
    with pytest.raises(UserFacingError, match="can't find"):
        await w.away.cancel(BO, first.id)
    await w.away.cancel(ANA, first.id)
    assert [p.id for p in await w.away.list(ANA)] == [second.id]
    with pytest.raises(UserFacingError, match="can't find"):
        await w.away.cancel(ANA, first.id)
    await w.run()
    noted = [post.content for _, _, post in w.port.sent if "marked as away" in post.content]
    # the cancelled one is not posted
    assert len(noted) == 1 and f"<t:{int(second.starts_at.timestamp())}:D>" in noted[0]


async def test_cancelled_period_gets_no_welcome_back(world: tuple[World, int]) -> None:
    w, pid = world
    w.clock.set(at(3, 12))
    kept = await w.away.add(ANA, "10 March", "12 March")
    dropped = await w.away.add(BO, "10 March", "12 March")
    await w.away.cancel(BO, dropped.id)
    await w.run(at(13, 10))
    keys = {item.key for item in await w.store.outbox.by_kind("welcome_back")}
    assert keys == {f"away:{kept.id}:back:{pid}"}
    assert any(
        "Welcome back" in t or "Good to see" in t or "is over" in t for t in w.port.texts("space")
    )


async def test_no_changes_is_for_the_partners_only(world: tuple[World, int]) -> None:
    w, pid = world
    assert (await w.away.no_changes(ANA, pid)).id == pid
    with pytest.raises(UserFacingError, match="another partnership"):
        await w.away.no_changes(CHEN, pid)
    with pytest.raises(UserFacingError, match="another partnership"):
        await w.away.check_member(CHEN, 9999)
