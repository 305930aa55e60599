"""People own their data, as services against a real SQLite file: the schema walk, the
export, an erasure that leaves no trace, the keyed hashes the matcher consults, retention,
and files readable by their owner only (the end-to-end layer is tests/e2e/test_privacy.py)."""

from __future__ import annotations

import json
import stat
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.domain.privacy import (
    ERASED,
    PrivacyRules,
    Redaction,
    erasure_reference,
    kept_apart,
    pair_token,
)
from bot.posts.privacy import ErasureNotice, PartnerErased
from bot.services.errors import UserFacingError
from bot.services.history import past_partners
from bot.services.program import ProgramContent
from bot.store import Store
from bot.store.db import Database
from bot.store.models import MatchPair, RoundState, pair_subject
from bot.store.privacy import (
    INTERNAL_COLUMNS,
    INTERNAL_TABLES,
    KEPT_ROWS,
    PERSON_COLUMNS,
    PURGE_RULES,
    UNLINKED,
    WRITTEN_ABOUT,
    key_path,
)
from tests.helpers import dump, traces
from tests.test_cases import application
from tests.test_contact_service import ANA, BO, CHEN, SPACE, World, at, build

CORA = 7  # a coordinator
ANA_NAMES = ("Ana Silva", "Ana")
# Integer columns that are not people (ids of rows, channels, messages; counts; flags).
NOT_PEOPLE = {
    "id", "round_id", "partnership_id", "channel_id", "message_id", "thread_id", "case_id",
    "topic_id", "cohort_thread_id", "discord_event_id", "number", "position", "sequence",
    "attempts", "revision", "checkin_dm_opt_in", "share_email", "rating",
}  # fmt: skip


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[World, int]]:
    built = await build(tmp_path)
    w, _ = built
    round_ = (await w.store.rounds.all())[-1]
    await w.store.people.save_applications(
        round_.id,
        [
            application(ANA, "Ana Silva", "BR", preferred_name="Ana"),
            application(BO, "Bo Chen", "GB"),
            application(CHEN, "Chen Li", "SG"),
        ],
        w.clock.now(),
    )
    yield built
    await w.contact_log.close()
    await w.store.close()


async def everything_about_ana(w: World, pid: int) -> None:
    """Ana leaves a trace in every part of the program."""
    store, now = w.store, w.clock.now()
    round_ = (await store.rounds.all())[-1]
    await w.write(ANA, at(1, 10), 1)
    await w.write(BO, at(1, 11), 2)
    await store.activity.log_contact(pid, ANA, at(2), "video")
    await store.activity.answer_checkin(pid, ANA, 1, "not_working", "Ana Silva is tired", now)
    await store.activity.answer_checkin(pid, BO, 1, "ok", None, now)
    await store.activity.save_feedback(pid, ANA, 4, "Thanks Bo", now)
    await store.activity.add_away(ANA, at(3), at(6), "Visiting family", now)
    await w.program.cases.write(ANA, "Ana", "Bo is quiet; can you help?", "message", required=True)
    await w.program.cases.write(BO, "Bo", "All fine on my side", "message", required=True)
    await w.program.pairs.note(str(pid), "Ana Silva said she is busy in March", CORA)
    await store.desks.add(4242, ANA, now, [])
    await store.desks.consent(4242, "My desk in Recife", now)
    await store.people.join_waitlist(ANA, now)
    await store.cases.answer_unmatched(round_.id, ANA, "keep", now)
    await store.cases.set_private_thread(ANA, 6101)
    await store.coordination.forbid(MatchPair.of(ANA, CHEN), "Ana asked not to")
    await store.coordination.audit(CORA, "pair.note", {"pair": "ana-and-bo", "to": ANA}, now)
    await w.run()


# The schema walk ----------------------------------------------------------------------------


async def test_every_integer_column_is_known_to_be_a_person_or_not(tmp_path: Path) -> None:
    """A new column that may hold a person's id fails here until someone says what it is:
    a person column (then export and erasure walk it), or not."""
    store = await Store.open(tmp_path / "iln.sqlite3")
    try:
        schema = await store.privacy.schema()
    finally:
        await store.close()
    unknown = [
        f"{table}.{column}"
        for table, columns in schema.items()
        for column, kind in columns
        if kind == "INTEGER" and column not in PERSON_COLUMNS | NOT_PEOPLE
    ]
    assert unknown == []
    columns = {table: {c for c, _ in cols} for table, cols in schema.items()}
    for table, column in UNLINKED:
        assert column in columns[table], (table, column)
    for table, emptied in {**KEPT_ROWS, **INTERNAL_COLUMNS, **WRITTEN_ABOUT}.items():
        assert set(emptied) <= columns[table], table
    assert set(columns) >= INTERNAL_TABLES
    assert {rule.table for rule in PURGE_RULES} <= set(columns)
    for rule in PURGE_RULES:
        assert rule.setting in PrivacyRules().periods()


async def test_a_new_table_with_a_person_column_is_exported_and_erased(
    world: tuple[World, int],
) -> None:
    w, _ = world
    async with w.store.db.transaction() as tx:
        await tx.execute("CREATE TABLE badges (participant_id INTEGER, badge TEXT)")
        await tx.execute("INSERT INTO badges VALUES (?, 'first post')", (ANA,))
    held = await w.store.privacy.held(ANA, internal=True)
    assert held["tables"]["badges"] == [{"participant_id": ANA, "badge": "first post"}]
    await w.program.privacy.erase(ANA, "member", 0)
    assert dump(w.store.db.path)["badges"] == []  # type: ignore[arg-type]


# Export -------------------------------------------------------------------------------------


async def test_the_export_holds_what_the_store_holds_about_them_and_no_one_else(
    world: tuple[World, int],
) -> None:
    w, pid = world
    await everything_about_ana(w, pid)
    data = await w.program.privacy.export(ANA)
    document = json.loads(data.document)
    tables = document["tables"]
    assert tables["participants"][0]["email"] is None
    assert tables["participants"][0]["name"] == "Ana Silva"
    [app] = tables["applications"]
    assert app["languages"] == ["en"] and app["hopes"] == "To learn."
    contact = await w.store.activity.contacts(pid)
    assert [e["at"] for e in tables["contact_events"]] == [
        c.at.isoformat() for c in contact if c.participant_id == ANA
    ]
    assert [c["comment"] for c in tables["checkins"]] == ["Ana Silva is tired"]
    assert tables["feedback"][0]["rating"] == 4
    assert tables["away_periods"][0]["note"] == "Visiting family"
    assert tables["desk_posts"][0]["caption"] == "My desk in Recife"
    assert tables["match_forbids"][0]["reason"] == "Ana asked not to"
    [partnership] = document["partnerships"]
    assert partnership["partners"] == [{"discord_id": BO, "name": "Bo Chen"}]
    [case] = document["cases"]
    bodies = [e.get("body") for e in case["events"]]
    assert "Bo is quiet; can you help?" in bodies
    assert "All fine on my side" not in json.dumps(document)  # Bo's own words
    assert case["notes"][0]["text"] == "Ana Silva said she is busy in March"
    assert document["audit_log_about_you"][0]["detail"]["to"] == ANA
    assert any("Partnership **ana-and-bo**" in line for line in data.summary)
    assert data.summary[:3] == (
        "Partnership **ana-and-bo** (2027A, active) with Bo Chen",
        "Your name, e-mail and settings",
        "1 application",
    )
    assert "2 times you posted in your space or logged contact (when, never what)" in data.summary


async def test_internal_notes_stay_out_when_the_program_says_so(
    world: tuple[World, int],
) -> None:
    w, pid = world
    await everything_about_ana(w, pid)
    rules = PrivacyRules(export_internal_notes=False)
    held = await w.store.privacy.held(ANA, internal=rules.export_internal_notes)
    text = json.dumps(held)
    assert "Ana Silva said she is busy" not in text and "Ana asked not to" not in text
    assert "match_forbids" not in held["tables"] and "audit_log_about_you" not in held
    assert "Bo is quiet; can you help?" in text  # what she wrote is hers


async def test_someone_the_bot_does_not_know_is_told_so(world: tuple[World, int]) -> None:
    w, _ = world
    with pytest.raises(UserFacingError, match="holds nothing about you"):
        await w.program.privacy.export(555)
    before = dump(w.store.db.path)  # type: ignore[arg-type]
    with pytest.raises(UserFacingError, match="holds nothing about you"):
        await w.program.privacy.erase(555, "member", 0)
    assert dump(w.store.db.path) == before  # type: ignore[arg-type]


# Erasure ------------------------------------------------------------------------------------


async def test_erasure_leaves_no_trace_and_the_partner_is_told(world: tuple[World, int]) -> None:
    w, pid = world
    await everything_about_ana(w, pid)
    done = await w.program.privacy.erase(ANA, "member", 0)
    path = w.store.db.path
    assert path is not None
    assert traces(path, ANA, ANA_NAMES) == []
    assert done.ended == 1 and done.reference == erasure_reference(
        bytes.fromhex(key_path(path).read_text()), ANA
    )
    partnership = await w.store.partnerships.get(pid)
    assert partnership is not None
    assert (partnership.name, partnership.state, partnership.member_ids) == (
        f"partnership-{pid}",
        "ended",
        (BO,),
    )
    # The round keeps its counts: Ana's contact and answers stay, without her.
    assert len(await w.store.activity.contacts(pid)) == 3
    assert sorted(c.rating or "" for c in await w.store.activity.checkins(pid)) == [
        "not_working",
        "ok",
    ]
    assert all(c.comment is None for c in await w.store.activity.checkins(pid) if c.rating != "ok")
    # Bo keeps what is his, his partner's erasure told without a reason, and a case.
    assert await w.store.people.participant(BO) is not None
    [told] = await w.store.outbox.by_kind("partner_erased")
    notice = PartnerErased.model_validate({**told.payload, "target": told.target})
    assert notice.target.model_dump() == {"to": "space", "channel_id": SPACE}
    case = await w.store.cases.by_subject(pair_subject(pid))
    assert case is not None and case.state == "open" and case.title == f"partnership-{pid}"
    [event] = [e for e in await w.store.cases.events(case.id) if e.kind == "erased"]
    assert f"<@{BO}> may need a new partner" in event.summary
    [bo_says] = [e for e in await w.store.cases.events(case.id) if e.kind == "message"]
    assert bo_says.body == "All fine on my side"
    [entry] = [e for e in await w.store.coordination.audit_log() if e.action == "privacy.erase"]
    assert entry.actor_id == 0 and entry.detail["reference"] == done.reference
    [coordinators] = await w.store.outbox.by_kind("erasure_notice")
    assert ErasureNotice.model_validate(coordinators.payload).ended == 1


async def test_what_others_wrote_loses_her_and_a_partnership_its_names(
    world: tuple[World, int],
) -> None:
    w, pid = world
    await everything_about_ana(w, pid)
    await w.program.privacy.erase(ANA, "member", 0)
    [note] = await w.store.cases.notes(pid)
    assert note.text == f"{ERASED} said she is busy in March"
    entries = [e.detail for e in await w.store.coordination.audit_log()]
    assert {"pair": f"partnership-{pid}", "to": ERASED} in entries


async def test_a_pair_they_were_in_or_kept_out_of_is_never_made_again(
    world: tuple[World, int],
) -> None:
    w, pid = world
    await everything_about_ana(w, pid)
    await w.program.privacy.erase(ANA, "member", 0)
    assert await w.store.partnerships.past_pairs() == set()  # no ids are kept
    # Ana comes back (the same Discord account): Bo and Chen are never her partners.
    kept = await past_partners(w.store, [ANA, BO, CHEN, 555])
    assert kept == {frozenset({ANA, BO}), frozenset({ANA, CHEN})}
    key_path(w.store.db.path).unlink()  # type: ignore[arg-type]
    with pytest.raises(UserFacingError, match=r"privacy key .* is missing"):
        await past_partners(w.store, [ANA, BO])


def test_pair_tokens_are_keyed_symmetric_and_found_among_many() -> None:
    key, other_key = b"k" * 32, b"o" * 32
    assert pair_token(key, 1, 2) == pair_token(key, 2, 1) != pair_token(other_key, 1, 2)
    assert pair_token(key, 1, 2) != pair_token(key, 1, 3)
    assert len(pair_token(key, 1, 2)) == 64
    people = range(10**17, 10**17 + 2000)
    tokens = {pair_token(key, 10**17 + 5, 10**17 + 1999), pair_token(key, 3, 4)}
    assert kept_apart(key, people, tokens) == {frozenset({10**17 + 5, 10**17 + 1999})}
    assert kept_apart(other_key, people, tokens) == set()


def test_a_redaction_takes_out_mentions_ids_names_and_old_pair_names() -> None:
    redaction = Redaction(42, ("Ana Silva", "Ana"), {"ana-and-bo": "partnership-1"})
    text = "<@42> (42) wrote: Ana Silva, ana, in ana-and-bo; Anatole and 420 stay"
    assert redaction.text(text) == (
        f"{ERASED} ({ERASED}) wrote: {ERASED}, {ERASED}, in partnership-1; Anatole and 420 stay"
    )
    assert redaction.value({"pair": [42, 7], "who": "Ana", "ok": True}) == {
        "pair": [ERASED, 7],
        "who": ERASED,
        "ok": True,
    }


# Retention ----------------------------------------------------------------------------------


async def ended_long_ago(w: World, days: int) -> None:
    round_ = (await w.store.rounds.all())[-1]
    await w.store.rounds.set_state(round_.id, RoundState.RUNNING, RoundState.ENDED, at(120))
    w.program.changes.round(round_.id)
    w.clock.set(max(w.clock.now(), at(0) + timedelta(days=days)))


async def test_the_purge_keeps_each_thing_for_its_period_after_the_round(
    world: tuple[World, int],
) -> None:
    w, pid = world
    await everything_about_ana(w, pid)
    ends = date(2027, 7, 1)  # the round's end date
    await ended_long_ago(w, (ends - date(2027, 3, 1)).days + 30)
    await w.run()
    assert len(await w.store.activity.contacts(pid)) == 3  # 90 days are not over
    due = w.program.retention.next_purge()
    assert due is not None and due.date() == ends + timedelta(days=1 + 30)  # away, 30 days
    daily = w.program.retention.next_due()  # the program wakes for a look once a day
    assert daily is not None and daily <= min(due, w.clock.now() + timedelta(days=1))
    await w.run(due)
    assert await w.store.activity.away_periods([ANA], at(-100)) == []
    assert len(await w.store.activity.contacts(pid)) == 3
    contact_due = w.program.retention.next_purge()
    assert contact_due is not None and contact_due.date() == ends + timedelta(days=1 + 90)
    before = dump(w.store.db.path)  # type: ignore[arg-type]
    counts = await w.program.retention.purge(contact_due, dry_run=True)
    assert counts["contact_events"] == 3
    assert dump(w.store.db.path) == before  # type: ignore[arg-type]
    await w.run(contact_due)
    assert await w.store.activity.contacts(pid) == []
    assert len(await w.store.activity.checkins(pid)) == 2  # a year
    assert await w.program.retention.purge(contact_due) == dict.fromkeys(counts, 0)
    year_later = w.clock.now() + timedelta(days=300)
    await w.run(year_later)
    assert await w.store.activity.checkins(pid) == []
    assert await w.store.people.participant(CHEN) is None  # applied, never partnered
    assert await w.store.people.participant(ANA) is not None  # took part
    case = await w.store.cases.by_subject(pair_subject(pid))
    assert case is not None and len(await w.store.cases.notes(pid)) == 1  # still open
    await w.program.cases.handle(case.id, CORA, None)
    await w.run(year_later + timedelta(days=1))
    assert await w.store.cases.by_subject(pair_subject(pid)) is None
    assert await w.store.cases.notes(pid) == []


# Files --------------------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_database_its_wal_and_its_key_are_readable_by_their_owner_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "iln.sqlite3"
    store = await Store.open(path)
    try:
        await store.rounds.create("2027A", date(2027, 3, 1), date(2027, 7, 1), at(0))
        for file in (path, tmp_path / "iln.sqlite3-wal", tmp_path / "iln.sqlite3-shm"):
            assert mode(file) == 0o600, file
        await store.privacy.key(create=True)
        assert mode(key_path(path)) == 0o600
        copy = tmp_path / "backup" / "copy.sqlite3"
        await store.db.backup(copy)
        assert mode(copy) == 0o600
    finally:
        await store.close()


async def test_an_older_database_open_to_others_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    await (await Database.open(path)).close()
    path.chmod(0o644)
    db = await Database.open(path)
    await db.close()
    assert mode(path) == 0o600


def test_the_notice_fits_one_embed_whatever_the_periods() -> None:
    notice = ProgramContent.load().privacy
    for rules in (PrivacyRules(), PrivacyRules(**dict.fromkeys(PrivacyRules().periods(), 3650))):
        text = notice.render(rules.periods())
        assert len(notice.title) <= 256 and len(text) <= 4096
        assert len(notice.title) + len(text) <= 6000
        assert str(rules.contact_events_days) in text and "{" not in text
