"""Applying, withdrawing and what the program keeps of an application (services)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.config import Config
from bot.domain.applications import Application
from bot.services.errors import UserFacingError
from bot.services.program import Program
from bot.simulation.recorder import RecordingDiscord
from bot.store import Store

NOW = datetime(2027, 2, 1, 9, tzinfo=UTC)
LAN, BO, CY = 11, 12, 13


def application(discord_id: int, **fields: object) -> Application:
    values: dict[str, object] = {
        "discord_id": discord_id,
        "name": "Nguyen Thi Lan",
        "preferred_name": "Lan",
        "email": "lan@example.org",
        "share_email": True,
        "other_contact": "Zalo: lan.lib",
        "institution": "Hanoi Library",
        "sector": "public",
        "country": "VN",
        "timezone": "Asia/Ho_Chi_Minh",
        "career_stage": "early",
        "languages": ("vi", "en"),
        "hopes": "Learn.",
    }
    return Application.model_validate(values | fields)


@pytest.fixture
async def program(tmp_path: Path) -> AsyncIterator[Program]:
    clock = ManualClock(NOW)
    store = await Store.open(tmp_path / "apply.sqlite3")
    config = Config(discord={"guild_id": 1, "coordinator_role": "Coordinators"})
    try:
        yield Program(config, store, clock, RecordingDiscord(clock, lambda event: None))
    finally:
        await store.close()


async def test_applications_are_refused_until_open_with_how_to_hear(program: Program) -> None:
    for asking in (program.matching.open_round(), program.matching.application_of(LAN)):
        with pytest.raises(UserFacingError, match=r"no round open .* `/notify-me on`"):
            await asking
    await program.rounds.create("2027A", date(2027, 3, 1), None, 0)
    with pytest.raises(UserFacingError, match=r"2027A\*\* are not open yet. .*`/notify-me on`"):
        await program.matching.submit(application(LAN))
    await program.rounds.open_applications(0)
    assert (await program.matching.open_round()).name == "2027A"
    await program.rounds.close_applications(0)
    with pytest.raises(UserFacingError, match=r"are closed .* when the next round opens"):
        await program.matching.submit(application(LAN))
    assert await program.store.people.applications(1) == []


async def test_what_is_kept_and_an_import_keeps_the_preferred_name(program: Program) -> None:
    await program.rounds.create("2027A", date(2027, 3, 1), None, 0)
    await program.rounds.open_applications(0)
    sent = application(LAN)
    assert await program.matching.submit(sent) is False
    assert await program.store.people.application(1, LAN) == sent
    header = "discord_id,name,institution,sector,country,timezone,career_stage,languages"
    row = f"{LAN},Nguyen Thi Lan,Hanoi Library,public,Vietnam,Asia/Ho_Chi_Minh,mid,Vietnamese"
    await program.matching.import_csv(header + "\n" + row, 0)
    saved = await program.store.people.application(1, LAN)
    assert saved is not None
    assert (saved.called, saved.career_stage.value) == ("Lan", "mid")
    # The import is the whole application: what it does not say is not shared.
    assert (saved.share_email, saved.shared_email, saved.other_contact) == (False, None, None)


async def test_withdrawing_before_matching_removes_what_only_it_needed(program: Program) -> None:
    await program.rounds.create("2027A", date(2027, 3, 1), None, 0)
    await program.rounds.open_applications(0)
    for member, country, called in ((LAN, "VN", "Lan"), (BO, "SE", "Bo"), (CY, "KE", "Wanjiru")):
        await program.matching.submit(application(member, country=country, preferred_name=called))
    await program.matching.pin(LAN, BO, 0)
    await program.rounds.close_applications(0)
    await program.matching.run(0)
    assert await program.withdrawals.withdraw(BO, "Bo", None) == "withdrawn"
    store = program.store
    assert [a.discord_id for a in await store.people.applications(1)] == [LAN, CY]
    assert await store.coordination.pins(1) == []
    assert await store.people.participant(BO) is None  # nothing else needed the record
    log = await store.coordination.audit_log()
    assert (log[0].actor_id, log[0].action) == (BO, "apply.withdraw")
    with pytest.raises(UserFacingError, match="changed since `/match run`"):
        await program.matching.confirm(0)  # the proposal no longer matches its inputs
    with pytest.raises(UserFacingError, match="no application in \\*\\*2027A\\*\\*"):
        await program.withdrawals.withdraw(BO, "Bo", None)

    await program.matching.run(0)
    await program.matching.confirm(0)
    # After matching the coordinators arrange it: the partnership stays until they do.
    assert await program.withdrawals.withdraw(LAN, "Lan", None) == "told"
    [partnership] = await store.partnerships.for_round(1)
    assert partnership.name == "lan-and-wanjiru"  # named by what people are called
