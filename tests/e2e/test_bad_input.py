"""Bad input, as people type it, to every command option and form field: each gets a clear,
private refusal, and the database is left exactly as it was."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.e2e.harness import MANAGE_MESSAGES, Iln
from tests.e2e.people import FOUR, confirmed_round

# (who, command, options, what the refusal says)
CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("cora", "round create", {"name": "!!2027", "start": "2027-09-01"}, "A round name is"),
    ("cora", "round create", {"name": "2027B", "start": "soonish"}, "2026-12-24"),
    ("cora", "round create", {"name": "2027B", "start": "2020-01-01"}, "already passed"),
    ("cora", "round create", {"name": "2027B", "start": "9999-12-31"}, "within two years"),
    ("cora", "round create", {"name": "2027B", "start": "30 February 2028"}, "real date"),
    ("cora", "round create", {"name": "2027A", "start": "2027-09-01"}, "already a round"),
    ("cora", "round start", {}, "is running"),
    ("cora", "round open", {}, "is running"),
    ("cora", "round close-applications", {}, "is running"),
    ("cora", "topic-plan add", {"on": "the day after"}, "2026-12-24"),
    ("cora", "topic-plan add", {"on": "2031-01-01"}, "within the round"),
    ("cora", "topic-plan edit", {"number": 99}, "no topic 99"),
    ("cora", "topic-plan move", {"number": 1, "to": "2027-03-20"}, "already been posted"),
    ("cora", "topic-plan move", {"number": 5, "to": "2031-01-01"}, "within the round"),
    ("cora", "topic-plan move", {"number": 5, "to": "notadate"}, "2026-12-24"),
    ("cora", "topic-plan post-now", {"number": 99}, "no topic 99"),
    ("cora", "match pin", {"first": "Ada", "second": "Bo"}, "before it starts"),
    ("cora", "match forbid", {"first": "Ada", "second": "Ada"}, "two different people"),
    ("cora", "match run", {}, "before it starts"),
    ("cora", "match confirm", {}, "before it starts"),
    ("ada", "away add", {"start": "soon", "end": "later"}, "Start date"),
    ("ada", "away add", {"start": "12 March 2027", "end": "10 March 2027"}, "before the start"),
    ("ada", "away add", {"start": "9999-12-30", "end": "9999-12-31"}, "after this round"),
    ("ada", "away add", {"start": "1 Jan 2027", "end": "2 Jan 2027"}, "in the past"),
    ("ada", "away add", {"start": "1 March 2027", "end": "30 Dec 2027"}, "longer than a whole"),
    ("ada", "away cancel", {"id": 9999}, "can't find"),
    ("ada", "contact", {"kind": "video", "date": "tomorrow"}, "still ahead"),
    ("ada", "contact", {"kind": "email", "date": "32 March"}, "isn't a real date"),
    ("ada", "contact", {"kind": "phone", "date": "1 January 2026"}, "started on"),
    ("stranger", "contact", {"kind": "video"}, "not in an active partnership"),
    ("stranger", "away add", {"start": "10 March", "end": "12 March"}, "not in a current"),
    ("stranger", "checkin-dms", {"setting": "on"}, "participant"),
    # A moderator may see coordinator commands (Discord's default permissions), yet not run them.
    ("mod", "round create", {"name": "2027B", "start": "2027-09-01"}, "Only members"),
    ("mod", "pair health", {}, "Only members"),
    ("mod", "topic-plan add", {"on": "2027-04-01"}, "Only members"),
]


def snapshot(iln: Iln) -> Any:
    """Every row of every table, to compare before and after."""

    async def read() -> dict[str, list[tuple[Any, ...]]]:
        db = iln.program.store.db
        tables = await db.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {
            t["name"]: [tuple(row) for row in await db.fetch_all(f"SELECT * FROM {t['name']}")]
            for t in tables
        }

    return read()


@pytest.fixture
async def people(iln: Iln) -> dict[str, Any]:
    """A round running for a week: Ada and Bo in a space; topic 1 is posted."""
    cora, members = await confirmed_round(iln, FOUR)
    await iln.program.rounds.start(0)
    await iln.advance(timedelta(days=7), step=timedelta(hours=12))
    stranger = await iln.driver.add_member("Sam Stranger")
    moderators = await iln.driver.create_role("Moderators", permissions=MANAGE_MESSAGES)
    mod = await iln.driver.add_member("Mo Moderator", [moderators])
    return {"cora": cora, "ada": members["Ada"], "bo": members["Bo"], "stranger": stranger,
            "mod": mod}  # fmt: skip


@pytest.mark.parametrize(("who", "command", "options", "says"), CASES)
async def test_bad_input_is_refused_privately_and_changes_nothing(
    iln: Iln, people: dict[str, Any], who: str, command: str, options: dict[str, Any], says: str
) -> None:
    resolved = {
        key: people[value.lower()] if key in ("first", "second") else value
        for key, value in options.items()
    }
    before = await snapshot(iln)
    space = iln.driver.channel("ada-and-bo") if who in ("ada", "bo") else None
    result = await iln.driver.invoke_slash(people[who], command, resolved, channel=space)
    answer = await result.message(timeout=5)
    assert answer.ephemeral
    assert says in answer.content, answer.content
    assert "something went wrong" not in answer.content
    await iln.program.contact_log.flush()
    assert await snapshot(iln) == before


async def test_a_feedback_rating_that_is_no_rating_is_refused_privately(
    iln: Iln, people: dict[str, Any]
) -> None:
    cora, ada = people["cora"], people["ada"]
    await (await iln.driver.invoke_slash(cora, "round end", {})).message(timeout=5)
    await iln.run_due()
    space = iln.driver.channel("ada-and-bo")
    [closing] = [m for m in iln.driver.messages(space) if "comes to an end" in m.content]
    button = closing.components[0]["components"][0]["custom_id"]
    before = await snapshot(iln)
    for rating, says in (("x", "number from 1 to 5"), ("9", "number from 1 to 5")):
        form = await iln.driver.click_button(ada, closing, button)
        await form.response()
        answer = await (
            await iln.driver.submit_modal(ada, form, {"rating": rating, "comment": ""})
        ).message()
        assert answer.ephemeral and says in answer.content
    assert await snapshot(iln) == before
