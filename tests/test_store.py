import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.applications import Application, CareerStage, Sector
from bot.posts import ForumTarget, SpaceTarget, load
from bot.posts.contact import Nudge
from bot.posts.topics import CohortThread
from bot.store import Scheduled, Store
from bot.store.db import Database, Migration, bundled_migrations
from bot.store.effects import RecordNudge, SetCohortThread, apply
from bot.store.models import MatchPair, RoundState, SpaceContainer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def application(discord_id: int, name: str, country: str = "BR") -> Application:
    return Application(
        discord_id=discord_id,
        name=name,
        email=f"{name.lower()}@example.org",
        institution="City Library",
        sector=Sector.PUBLIC,
        country=country,
        timezone="America/Sao_Paulo",
        career_stage=CareerStage.EARLY,
        languages=("pt", "en"),
        interests=("makerspaces", "open access"),
        hopes="Learn how others run outreach.",
        partner_sectors=frozenset({Sector.ACADEMIC}),
        partner_career_stages=frozenset({CareerStage.LATE}),
        partner_countries=frozenset(),
        returning_note=None,
    )


@pytest.fixture
async def store(tmp_path: Path) -> Store:
    opened = await Store.open(tmp_path / "iln.sqlite3")
    yield opened
    await opened.close()


async def test_migrations_apply_from_empty_then_change_nothing(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "fresh.sqlite3")
    try:
        versions = [m.version for m in bundled_migrations()]
        assert await db.schema_version() == 0
        assert await db.migrate() == versions
        schema = await db.fetch_all("SELECT name, sql FROM sqlite_master ORDER BY name")
        assert await db.migrate() == []
        assert await db.fetch_all("SELECT name, sql FROM sqlite_master ORDER BY name") == schema
        assert await db.schema_version() == versions[-1]
        pragmas = [
            (await db.fetch_one(f"PRAGMA {name}"))[0]
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        ]
        assert pragmas == ["wal", 1, 5000]
    finally:
        await db.close()


async def test_a_failing_migration_leaves_nothing_behind(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "broken.sqlite3")
    broken = [
        Migration(1, "0001_x.sql", "CREATE TABLE a (id INTEGER); INSERT INTO nowhere VALUES (1);")
    ]
    try:
        with pytest.raises(Exception, match="nowhere"):
            await db.migrate(broken)
        assert await db.schema_version() == 0
        assert await db.fetch_all("SELECT name FROM sqlite_master WHERE name = 'a'") == []
    finally:
        await db.close()


async def test_round_topics_and_containers_round_trip(store: Store) -> None:
    created = await store.rounds.create("2027A", date(2027, 3, 1), date(2027, 7, 1), NOW)
    assert (await store.rounds.get(created.id)) == created
    assert created.state is RoundState.DRAFT and created.created_at == NOW
    assert await store.rounds.set_state(
        created.id, RoundState.DRAFT, RoundState.APPLICATIONS_OPEN, NOW
    )
    assert not await store.rounds.set_state(created.id, RoundState.DRAFT, RoundState.RUNNING, NOW)
    topic = await store.topics.add(
        created.id,
        position=1,
        slug="hello",
        title="Hello",
        summary="s",
        body="b",
        prompts=["one", "two"],
        due_on=date(2027, 3, 1),
        hashtags=["#interlibnet"],
    )
    assert (topic.prompts, topic.hashtags) == (("one", "two"), ("#interlibnet",))
    await store.topics.move(topic.id, date(2027, 3, 3))
    async with store.db.transaction() as tx:
        await apply(tx, [SetCohortThread(topic.id, 99)], NOW)
    thread = CohortThread(target=ForumTarget(title="t"), round_id=created.id, topic_id=topic.id)
    await store.outbox.enqueue([Scheduled(thread, NOW)], NOW)
    await store.outbox.mark_done(thread.key, 7, NOW)  # a topic is posted with its first post
    moved = await store.topics.get(topic.id)
    assert moved is not None
    assert (moved.due_on, moved.cohort_thread_id, moved.posted_at) == (date(2027, 3, 3), 99, NOW)
    container = SpaceContainer(round_id=created.id, number=1, kind="category", channel_id=5)
    await store.rounds.add_container(container)
    assert await store.rounds.containers(created.id) == [container]


async def test_applications_round_trip_and_count_added_and_updated(store: Store) -> None:
    round_ = await store.rounds.create("2027A", date(2027, 3, 1), date(2027, 7, 1), NOW)
    ada, bo = application(1, "Ada"), application(2, "Bo", country="KE")
    assert await store.people.save_applications(round_.id, [ada, bo], NOW) == {
        "added": 2,
        "updated": 0,
    }
    changed = ada.model_copy(update={"hopes": "Something new."})
    assert await store.people.save_applications(round_.id, [changed], NOW) == {
        "added": 0,
        "updated": 1,
    }
    assert await store.people.applications(round_.id) == [changed, bo]
    participant = await store.people.participant(1)
    assert participant is not None and participant.timezone == "America/Sao_Paulo"


async def test_partnerships_contact_and_activity_round_trip(store: Store) -> None:
    round_ = await store.rounds.create("2027A", date(2027, 3, 1), date(2027, 7, 1), NOW)
    await store.people.save_applications(
        round_.id, [application(1, "Ada"), application(2, "Bo", "KE")], NOW
    )
    pid = await store.partnerships.create(
        round_.id, "ada-and-bo", [2, 1], score=7.5, reasons=["both like maps"], now=NOW
    )
    await store.partnerships.set_channel(pid, 777)
    await store.partnerships.set_end_choice(pid, 1, "keep_in_touch")
    partnership = await store.partnerships.by_channel(777)
    assert partnership is not None
    assert partnership.member_ids == (1, 2) and partnership.reasons == ("both like maps",)
    assert partnership.members[0].end_choice == "keep_in_touch"
    assert await store.partnerships.past_pairs() == {frozenset({1, 2})}

    assert await store.activity.record_message(pid, 1, 1001, NOW)
    assert not await store.activity.record_message(pid, 1, 1001, NOW)  # same message twice
    assert await store.activity.record_messages([(pid, 2, 1002, NOW + timedelta(hours=1))]) == 1
    await store.activity.log_contact(pid, 2, NOW + timedelta(days=1), "video")
    contacts = await store.activity.contacts(pid)
    assert [(c.participant_id, c.source, c.kind) for c in contacts] == [
        (1, "message", None),
        (2, "message", None),
        (2, "logged", "video"),
    ]
    assert await store.activity.last_message_id(pid) == 1002
    last = await store.activity.last_contacts([pid])
    assert last[(pid, 2)] == NOW + timedelta(days=1)
    # Two messages on one day and a call the next are two days in touch; from a later start,
    # or up to an earlier end, one.
    day = NOW + timedelta(days=1)
    assert await store.activity.contact_day_counts({pid: NOW}, day) == {pid: 2}
    assert await store.activity.contact_day_counts({pid: day}, day) == {pid: 1}
    assert await store.activity.contact_day_counts({pid: NOW}, NOW) == {pid: 1}
    assert await store.activity.contact_day_counts({pid: day + timedelta(seconds=1)}, day) == {}

    away = await store.activity.add_away(1, NOW, NOW + timedelta(days=5), "holiday", NOW)
    assert await store.activity.away_periods([1], NOW) == [away]
    assert await store.activity.cancel_away(away.id, 1, NOW)
    assert await store.activity.away_periods([1], NOW) == []

    assert await store.activity.ask_checkins([(pid, 1, 1)], NOW) == 1
    await store.activity.answer_checkin(pid, 1, 1, "ok", None, NOW)
    later = NOW + timedelta(hours=1)
    await store.activity.answer_checkin(pid, 1, 1, "great", "lovely", later)  # replaces it
    await store.activity.answer_checkin(pid, 2, 1, "ok", None, later)  # asked on answering
    first, second = await store.activity.checkins(pid)
    assert (first.rating, first.comment, first.asked_at, first.answered_at) == (
        "great",
        "lovely",
        NOW,
        later,
    )
    assert (second.participant_id, second.asked_at) == (2, later)
    assert await store.activity.ratings_since([pid], NOW) == {"great": 1, "ok": 1}
    assert await store.activity.ratings_since([pid], later + timedelta(seconds=1)) == {}
    assert await store.activity.ratings_since([pid + 1], NOW) == {}

    await store.activity.save_feedback(pid, 2, 5, None, NOW)
    assert [f.rating for f in await store.activity.feedback(pid)] == [5]


async def test_outbox_keys_are_unique_and_nudges_recorded_with_their_post(store: Store) -> None:
    round_ = await store.rounds.create("2027A", date(2027, 3, 1), date(2027, 7, 1), NOW)
    await store.people.save_applications(
        round_.id, [application(1, "Ada"), application(2, "Bo", "KE")], NOW
    )
    pid = await store.partnerships.create(
        round_.id, "ada-and-bo", [1, 2], score=1, reasons=[], now=NOW
    )
    nudge = Nudge(
        partnership_id=pid,
        target=SpaceTarget(channel_id=5),
        tone="quiet",
        recipients=(1, 2),
        silent=(1, 2),
        days=14,
        number=1,
    )
    post = Scheduled(nudge, NOW, (RecordNudge(pid, "quiet", nudge.key),))
    assert await store.outbox.enqueue([post], NOW) == 1
    assert await store.outbox.enqueue([post], NOW) == 0
    assert [n.kind for n in await store.activity.nudges(pid)] == ["quiet"]
    [due] = await store.outbox.claim_due(NOW)
    assert due.tried_at == NOW  # claimed: a resend after a long outage looks first
    assert due.key == f"p{pid}:nudge:1" and due.kind == "nudge"
    assert load(due.kind, due.target, due.payload) == nudge
    await store.outbox.mark_failed(due.key, "HTTP 503", NOW + timedelta(minutes=1))
    assert await store.outbox.claim_due(NOW) == []
    assert await store.outbox.next_due_at() == NOW + timedelta(minutes=1)
    await store.outbox.mark_done(due.key, 42, NOW)
    sent = await store.outbox.get(due.key)
    assert sent is not None and (sent.message_id, sent.attempts, sent.sent_at) == (42, 1, NOW)


async def test_the_next_due_instant_is_asked_again_after_any_write(store: Store) -> None:
    topic = CohortThread(target=ForumTarget(title="Topic 1"), topic_id=1, round_id=1)
    later = NOW + timedelta(days=1)
    assert await store.outbox.next_due_at() is None
    assert await store.outbox.enqueue([Scheduled(topic, later)], NOW) == 1
    assert await store.outbox.next_due_at() == later
    reads = store.db.writes
    assert await store.outbox.next_due_at() == later and store.db.writes == reads
    with pytest.raises(RuntimeError):  # a change seen inside a transaction, then undone
        async with store.db.transaction() as tx:
            await tx.execute("UPDATE outbox SET due_at = ?", (NOW.isoformat(),))
            assert await store.outbox.next_due_at() == NOW
            raise RuntimeError
    assert await store.outbox.next_due_at() == later
    async with store.db.rehearsal() as tx:
        await tx.execute("DELETE FROM outbox")
        assert await store.outbox.next_due_at() is None
    assert await store.outbox.next_due_at() == later
    await store.db.write("UPDATE outbox SET sent_at = ?", (NOW.isoformat(),))
    assert await store.outbox.next_due_at() is None


async def test_coordination_and_waitlist_round_trip(store: Store) -> None:
    round_ = await store.rounds.create("2027A", date(2027, 3, 1), date(2027, 7, 1), NOW)
    assert await store.coordination.pin(round_.id, MatchPair.of(9, 3))
    assert await store.coordination.pins(round_.id) == [MatchPair(member_a=3, member_b=9)]
    assert await store.coordination.forbid(MatchPair.of(4, 5), "asked not to")
    assert await store.coordination.forbids() == [MatchPair(member_a=4, member_b=5)]
    await store.coordination.audit(3, "match.pin", {"pair": [3, 9]}, NOW)
    [entry] = await store.coordination.audit_log()
    assert (entry.action, entry.detail) == ("match.pin", {"pair": [3, 9]})
    assert await store.people.join_waitlist(8, NOW)
    assert not await store.people.join_waitlist(8, NOW)
    assert [w.discord_id for w in await store.people.waitlist()] == [8]
    assert await store.people.leave_waitlist(8)


async def test_backup_holds_the_same_rows(store: Store, tmp_path: Path) -> None:
    await store.rounds.create("2027A", date(2027, 3, 1), date(2027, 7, 1), NOW)
    copy_path = tmp_path / "backup" / "copy.sqlite3"
    await store.db.backup(copy_path)
    copy = await Store.open(copy_path, migrate=False)
    try:
        assert await copy.rounds.all() == await store.rounds.all()
        assert await copy.db.schema_version() == await store.db.schema_version()
    finally:
        await copy.close()


async def test_queued_work_from_before_typed_posts_loads_after_the_upgrade(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "old.sqlite3")
    try:
        await db.migrate([m for m in bundled_migrations() if m.version <= 3])
        rows = [
            ("p1:nudge:1", "nudge", {"to": "space", "channel_id": 5},
             {"template": "nudge", "partnership_id": 1, "kind": "one_sided", "recipients": [2],
              "silent": [2], "days": 15, "number": 1}),
            ("r1:cohort_thread:3", "cohort_thread",
             {"to": "forum", "topic_id": 3, "title": "2027A: Hello"},
             {"template": "cohort_thread", "topic_id": 3}),
            ("r1:applications_open", "announcement", {"to": "announcements"},
             {"template": "applications_open", "round_id": 1}),
            ("p1:escalation:2", "escalation", {"to": "coordinators"},
             {"template": "escalation", "partnership_id": 1, "days": 30, "nudges": 2,
              "away_summary": "no one away", "silent": [2]}),
        ]  # fmt: skip
        stamps = (NOW.isoformat(), NOW.isoformat())
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO rounds VALUES (1, '2027A', 'running', '2027-03-01', '2027-07-01',"
                " '', '')"
            )
            await tx.execute(
                "INSERT INTO partnerships (id, round_id, name, state, created_at)"
                " VALUES (1, 1, 'a-and-b', 'active', '')"
            )
            await tx.executemany(
                "INSERT INTO outbox (key, partnership_id, kind, target, payload, due_at,"
                " created_at) VALUES (?, json_extract(?, '$.partnership_id'), ?, ?, ?, ?, ?)",
                [
                    (key, json.dumps(data), kind, json.dumps(target), json.dumps(data), *stamps)
                    for key, kind, target, data in rows
                ],
            )
        await db.migrate()
        store = Store(db)
        loaded = [load(i.kind, i.target, i.payload) for i in await store.outbox.claim_due(NOW)]
        assert sorted(work.key for work in loaded) == sorted(key for key, *_ in rows)
        nudge = next(work for work in loaded if isinstance(work, Nudge))
        assert (nudge.tone, nudge.recipients, nudge.days) == ("one_sided", (2,), 15)
    finally:
        await db.close()
