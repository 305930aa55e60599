"""CheckinService: private answers, coordinators' alerts and the DM opt-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.services.errors import UserFacingError
from tests.test_contact_service import ANA, BO, CHEN, STRANGER, World, at, build


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[World, int]]:
    built = await build(tmp_path)
    yield built
    await built[0].contact_log.close()
    await built[0].store.close()


async def test_answers_are_stored_per_member_and_can_change(world: tuple[World, int]) -> None:
    w, pid = world
    await w.run(at(28, 9))
    await w.checkins.answer(ANA, pid, 1, "ok", "  fine,   thanks ")
    await w.checkins.answer(ANA, pid, 1, "great", None)
    answers = await w.store.activity.checkins(pid)
    assert [(c.participant_id, c.rating, c.comment) for c in answers] == [
        (ANA, "great", None),
        (BO, None, None),
    ]
    assert await w.store.outbox.by_kind("checkin_alert") == []


async def test_not_working_alerts_once_and_only_if_still_meant(world: tuple[World, int]) -> None:
    w, pid = world
    await w.run(at(28, 9))
    await w.checkins.answer(BO, pid, 1, "not_working", "No replies.")
    await w.checkins.answer(BO, pid, 1, "not_working", "No replies at all.")
    [item] = await w.store.outbox.by_kind("checkin_alert")
    assert item.target == {"to": "case", "subject": f"p{pid}"}  # the pair's case
    await w.run()
    [alert] = w.port.texts("case")
    assert "Bo Chen" in alert and "No replies at all." in alert
    # Changed to "ok" before the alert went out: nothing reaches coordinators.
    await w.checkins.answer(ANA, pid, 1, "not_working", None)
    await w.checkins.answer(ANA, pid, 1, "ok", None)
    await w.run()
    assert len(w.port.texts("case")) == 1
    assert len(w.port.texts("card")) == 1  # one case, opened once


@pytest.mark.parametrize(
    ("user", "rating", "comment", "problem"),
    [
        (CHEN, "great", None, "another partnership"),
        (ANA, "meh", None, "Great, OK or Not working"),
        (ANA, "ok", "x" * 1001, "1000 characters"),
    ],
)
async def test_refusals(
    world: tuple[World, int], user: int, rating: str, comment: str | None, problem: str
) -> None:
    w, pid = world
    with pytest.raises(UserFacingError, match=problem):
        await w.checkins.answer(user, pid, 1, rating, comment)


async def test_dm_opt_in_needs_a_participant(world: tuple[World, int]) -> None:
    w, _ = world
    await w.checkins.set_dm_opt_in(ANA, True)
    assert (await w.store.people.participant(ANA)).checkin_dm_opt_in  # type: ignore[union-attr]
    with pytest.raises(UserFacingError, match="participant"):
        await w.checkins.set_dm_opt_in(STRANGER, True)
