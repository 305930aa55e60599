"""The contact services against a real SQLite file, a manual clock and a recording Discord port."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.config import Config
from bot.posts.away import AddDatesButton, NoChangesButton
from bot.posts.checkins import CheckinButton
from bot.services.errors import UserFacingError
from bot.services.ports import DirectMessagesClosed, Draft, SeenMessage, SpaceKind
from bot.services.program import Program, ProgramContent
from bot.store import Store
from bot.store.models import RoundState, utc_text

ANA, BO, CHEN, STRANGER = 101, 102, 103, 999
SPACE = 5001
ROUND_START = date(2027, 3, 1)  # London is on UTC until 28 March
CONTENT = ProgramContent.load()


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    """``day`` days after the round starts (day 0 = 1 March 2027), UTC."""
    return datetime(2027, 3, 1, hour, minute, tzinfo=UTC) + timedelta(days=day)


@dataclass
class FakePort:
    """Records what would reach Discord; history is scripted per space."""

    sent: list[tuple[str, int, Draft]] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    closed_dms: set[int] = field(default_factory=set)
    history: dict[int, list[SeenMessage]] = field(default_factory=dict)
    history_calls: int = 0
    removed: list[tuple[int, int]] = field(default_factory=list)
    next_id: int = 9_000_000
    case_threads: set[int] = field(default_factory=set)

    def _record(self, where: str, target: int, post: Draft, nonce: str) -> int:
        assert nonce not in self.nonces, "a post was sent twice"
        self.nonces.add(nonce)
        self.sent.append((where, target, post))
        self.next_id += 1
        return self.next_id

    async def find_sent(self, channel_id: int, draft: Draft, since: datetime) -> int | None:
        return None  # nothing these tests send reaches Discord before a crash

    async def find_sent_direct(self, user_id: int, draft: Draft, since: datetime) -> int | None:
        return None

    async def free_channel_slots(self) -> int:
        return 400

    async def ensure_container(self, round_name: str, number: int, kind: SpaceKind) -> int:
        return 7000 + number

    async def ensure_space(
        self, container_id: int, kind: SpaceKind, name: str, marker: str, members: Sequence[int]
    ) -> int:
        raise AssertionError("tests give every partnership its space up front")

    async def send(self, channel_id: int, post: Draft, nonce: str) -> int:
        where = "case" if channel_id in self.case_threads else "space"
        return self._record(where, channel_id, post, nonce)

    async def open_case(self, title: str, marker: str, post: Draft, nonce: str) -> tuple[int, int]:
        card = self._record("card", 0, post, nonce)
        self.case_threads.add(card)
        return card, card

    async def edit_case_card(self, thread_id: int, post: Draft) -> None:
        return None

    async def private_thread(self, user_id: int) -> int:
        return 6000 + user_id

    async def send_direct(self, user_id: int, post: Draft, nonce: str) -> int:
        if user_id in self.closed_dms:
            raise DirectMessagesClosed(user_id)
        return self._record("dm", user_id, post, nonce)

    async def send_to_coordinators(self, post: Draft, nonce: str) -> int:
        return self._record("coordinators", 0, post, nonce)

    async def send_announcement(self, post: Draft, nonce: str) -> int:
        return self._record("announcements", 0, post, nonce)

    async def open_cohort_thread(self, title: str, post: Draft, nonce: str) -> tuple[int, int]:
        return 8000, self._record("forum", 8000, post, nonce)

    async def close_space(
        self, space_id: int, kind: SpaceKind, members: Sequence[int], keep_open: bool
    ) -> None:
        return None

    async def remove_member(self, space_id: int, kind: SpaceKind, member_id: int) -> None:
        self.removed.append((space_id, member_id))

    async def history_after(self, space_id: int, after_message_id: int | None) -> list[SeenMessage]:
        self.history_calls += 1
        return [m for m in self.history.get(space_id, []) if m.message_id > (after_message_id or 0)]

    async def set_waitlist_role(self, user_id: int, on: bool) -> bool:
        return True

    async def waitlist_role(self) -> int:
        return 1

    def channel_link(self, channel_id: int) -> str:
        return f"https://discord.com/channels/1/{channel_id}"

    def texts(self, where: str | None = None) -> list[str]:
        return [post.content for kind, _, post in self.sent if where in (None, kind)]


# Availability asks on days 3, 17, 31, ... (each on its own: folding reaches two days) and
# check-ins on days 28, 56, ... (riding on that day's topic): the days these tests expect
# nudges on (14, 21, 37, 44) carry no other post, so a nudge is not held back for one
# (test_a_nudge_waits_for_a_day_without_other_posts shows that rule).
SCHEDULE = {"availability_offset_days": 3, "availability_every_days": 14, "fold_within_days": 2}
CONFIG = Config(discord={"guild_id": 1, "coordinator_role": "Coordinators"}, round=SCHEDULE)


class World:
    """The program over one database file, with a recording port; its round has one topic
    (posted on day 0) and the contact feature is what these tests look at."""

    def __init__(self, store: Store, clock: ManualClock, port: FakePort, config: Config) -> None:
        self.store, self.clock, self.port, self.config = store, clock, port, config
        self.program = Program(config, store, clock, port, CONTENT)
        self.contact_log = self.program.contact_log
        self.pair_health = self.program.pair_health
        self.departures = self.program.departures
        self.away = self.program.away
        self.checkins = self.program.checkins

    async def run(self, when: datetime | None = None) -> None:
        """Move the clock (if given) and do what is due, as the waker would."""
        if when is not None:
            self.clock.set(when)
        await self.program.run_due()

    async def write(self, member: int, when: datetime, message_id: int) -> None:
        self.clock.set(max(when, self.clock.now()))
        assert await self.contact_log.record_message(SPACE, member, message_id, when)
        await self.contact_log.flush()

    async def outbox_keys(self) -> list[str]:
        return await outbox_keys(self.store)

    async def keys_of(self, kind: str) -> list[str]:
        return [item.key for item in await self.store.outbox.by_kind(kind)]


async def add_person(store: Store, discord_id: int, name: str, zone: str) -> None:
    async with store.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO participants (discord_id, name, timezone, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (discord_id, name, zone, utc_text(at(-30)), utc_text(at(-30))),
        )


async def build(
    tmp_path: Path,
    zones: tuple[str, str] = ("Europe/London", "Europe/London"),
    config: Config = CONFIG,
) -> tuple[World, int]:
    """A running round with one active partnership (Ana and Bo) in space ``SPACE``."""
    store = await Store.open(tmp_path / "t.sqlite3")
    clock = ManualClock(at(-10))
    await add_person(store, ANA, "Ana Silva", zones[0])
    await add_person(store, BO, "Bo Chen", zones[1])
    await add_person(store, CHEN, "Chen Li", "Europe/London")
    round_ = await store.rounds.create("2027A", ROUND_START, date(2027, 7, 1), clock.now())
    for old, new in [
        (RoundState.DRAFT, RoundState.APPLICATIONS_OPEN),
        (RoundState.APPLICATIONS_OPEN, RoundState.APPLICATIONS_CLOSED),
        (RoundState.APPLICATIONS_CLOSED, RoundState.RUNNING),
    ]:
        assert await store.rounds.set_state(round_.id, old, new, clock.now())
    await store.topics.add(
        round_.id,
        position=1,
        slug="hello",
        title="Getting to know you",
        summary="s",
        body="b",
        prompts=["p1", "p2", "p3"],
        due_on=ROUND_START,
    )
    pid = await store.partnerships.create(
        round_.id, "ana-and-bo", [ANA, BO], score=1.0, reasons=[], now=clock.now()
    )
    await store.partnerships.set_channel(pid, SPACE)
    await store.partnerships.set_state(pid, "active")
    clock.set(at(0))
    world = World(store, clock, FakePort(), config)
    await world.contact_log.start()
    return world, pid


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[World, int]]:
    built = await build(tmp_path)
    yield built
    await built[0].contact_log.close()
    await built[0].store.close()


# Recording messages ----------------------------------------------------------------------


async def test_only_partners_in_their_space_are_recorded(world: tuple[World, int]) -> None:
    w, pid = world
    assert await w.contact_log.record_message(SPACE, ANA, 1, at(0, 10))
    assert not await w.contact_log.record_message(SPACE, STRANGER, 2, at(0, 10))
    assert not await w.contact_log.record_message(4242, ANA, 3, at(0, 10))
    await w.contact_log.flush()
    events = await w.store.activity.contacts(pid)
    assert [(e.participant_id, e.message_id, e.source) for e in events] == [(ANA, 1, "message")]


async def test_the_background_writer_flushes_without_being_asked(
    world: tuple[World, int],
) -> None:
    w, pid = world
    for n in range(450):
        await w.contact_log.record_message(SPACE, ANA if n % 2 else BO, 100 + n, at(0, 12))
    for _ in range(100):
        if len(await w.store.activity.contacts(pid)) == 450:
            break
        await _sleep(0.02)
    assert len(await w.store.activity.contacts(pid)) == 450


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def test_close_writes_what_is_still_buffered(world: tuple[World, int]) -> None:
    w, pid = world
    await w.contact_log.record_message(SPACE, ANA, 1, at(0, 10))
    await w.contact_log.close()
    assert len(await w.store.activity.contacts(pid)) == 1


# Nudges ----------------------------------------------------------------------------------


async def test_quiet_pair_is_nudged_on_day_14_not_day_13(world: tuple[World, int]) -> None:
    w, pid = world
    await w.write(ANA, at(0, 10), 1)
    await w.write(BO, at(0, 10), 2)
    await w.run(at(14, 9, 59))  # 13 days 23 h 59 min of silence
    assert await w.keys_of("nudge") == []
    await w.run(at(14, 10))
    assert await w.keys_of("nudge") == [f"p{pid}:nudge:1"]
    nudge = next(post for kind, _, post in w.port.sent if "14 days" in post.content)
    assert f"<@{ANA}>" in nudge.content and f"<@{BO}>" in nudge.content
    assert "Getting to know you" in nudge.content or "{" not in nudge.content
    assert set(nudge.mention_ids) == {ANA, BO}
    [row] = await w.store.activity.nudges(pid)
    assert row.kind == "quiet" and row.at == at(14, 10)


async def test_a_pair_that_keeps_talking_is_looked_at_only_when_someone_can_turn_silent(
    world: tuple[World, int],
) -> None:
    w, pid = world
    planner = w.program.contact_planner
    await w.write(ANA, at(0, 10), 1)
    await w.write(BO, at(0, 10), 2)
    await w.run(at(0, 11))
    assert planner.next_due() == at(14, 10)
    await w.write(ANA, at(5, 10), 3)  # Bo's silence began first: still day 14
    assert planner.next_due() == at(14, 10)
    await w.write(BO, at(6, 10), 4)  # now Ana's, on day 5
    assert planner.next_due() == at(19, 10)
    w.clock.set(at(6, 12))
    await w.contact_log.log_contact(BO, "video")  # a call counts for both
    assert planner.next_due() == at(20, 12)
    await w.run(at(20, 11, 59))
    assert await w.keys_of("nudge") == []
    await w.run(at(20, 12))
    assert await w.keys_of("nudge") == [f"p{pid}:nudge:1"]


async def test_contact_heard_before_a_due_look_is_still_looked_at_when_due(
    world: tuple[World, int],
) -> None:
    w, pid = world
    await w.write(ANA, at(0, 10), 1)
    await w.write(BO, at(0, 10), 2)
    await w.run(at(0, 11))
    await w.write(ANA, at(14, 11), 3)  # the look on day 14 at 10:00 has not run yet
    assert w.program.contact_planner.next_due() == at(14, 10)  # Bo is silent all the same
    await w.run()
    [row] = await w.store.activity.nudges(pid)
    assert row.kind == "one_sided"


async def test_one_sided_nudge_mentions_only_the_silent_partner(
    world: tuple[World, int],
) -> None:
    w, pid = world
    await w.write(BO, at(0, 10), 1)
    await w.write(ANA, at(10, 10), 2)
    await w.run(at(14, 10))
    [row] = await w.store.activity.nudges(pid)
    assert row.kind == "one_sided"
    [text] = [post.content for _, _, post in w.port.sent if "14 days" in post.content]
    assert f"<@{BO}>" in text and f"<@{ANA}>" not in text


async def test_an_away_partner_pauses_nudges(world: tuple[World, int]) -> None:
    w, pid = world
    await w.write(ANA, at(0, 10), 1)
    await w.write(BO, at(0, 10), 2)
    w.clock.set(at(10, 8))
    period = await w.away.add(BO, "12 March 2027", "20 March 2027", "Conference in Lyon")
    await w.run(at(14, 10))
    await w.run(at(19, 10))  # 20 March, Bo's last day away
    assert await w.keys_of("nudge") == []
    assert f"away:{period.id}:noted:{pid}" in await w.outbox_keys()
    noted = next(post.content for _, _, post in w.port.sent if "marked as away" in post.content)
    first, last = (int(stamp) for stamp in re.findall(r"<t:(\d+):D>", noted))
    london = ZoneInfo("Europe/London")
    assert datetime.fromtimestamp(first, london).date() == date(2027, 3, 12)
    assert datetime.fromtimestamp(last, london).date() == date(2027, 3, 20)
    assert "Conference in Lyon" in noted
    # Back on 21 March: welcomed at 09:00, and a full fortnight before any nudge.
    await w.run(at(20, 8, 59))
    assert f"away:{period.id}:back:{pid}" not in await w.outbox_keys()
    await w.run(at(20, 9))
    assert f"away:{period.id}:back:{pid}" in await w.outbox_keys()
    await w.run(at(33, 17))
    assert await w.keys_of("nudge") == []
    await w.run(at(34, 9))
    assert await w.keys_of("nudge") == [f"p{pid}:nudge:1"]


async def test_nudge_waits_for_the_partners_daytime(tmp_path: Path) -> None:
    w, pid = await build(tmp_path, zones=("America/New_York", "America/New_York"))
    try:
        await w.write(ANA, at(0, 10), 1)
        await w.write(BO, at(0, 10), 2)
        await w.run(at(14, 10))  # 06:00 in New York (daylight time began on 14 March)
        assert await w.keys_of("nudge") == []
        await w.run(at(14, 12, 59))
        assert await w.keys_of("nudge") == []
        await w.run(at(14, 13))  # 09:00 EDT
        assert await w.keys_of("nudge") == [f"p{pid}:nudge:1"]
    finally:
        await w.contact_log.close()
        await w.store.close()


async def test_at_most_one_nudge_a_week_then_one_escalation(world: tuple[World, int]) -> None:
    w, pid = world
    await w.write(ANA, at(0, 10), 1)
    await w.write(BO, at(0, 10), 2)
    await w.run(at(14, 10))
    for hours in range(6, 7 * 24, 6):
        await w.run(at(14, 10) + timedelta(hours=hours))
    assert await w.keys_of("nudge") == [f"p{pid}:nudge:1"]
    await w.run(at(21, 10))
    assert await w.keys_of("nudge") == [f"p{pid}:nudge:1", f"p{pid}:nudge:2"]
    w.clock.set(at(26, 10))
    await w.away.add(BO, "5 April 2027", "8 April 2027")
    await w.run(at(28, 9, 59))
    assert await w.keys_of("escalation") == []
    await w.run(at(28, 10))
    assert await w.keys_of("escalation") == [f"p{pid}:escalation:1"]
    [alert] = w.port.texts("case")
    assert "**ana-and-bo** has had no contact for 28 days, and 2 reminders did not" in alert
    assert "Bo Chen away 5 April 2027 – 8 April 2027" in alert
    # Coordinators own it now: no more nudges or alerts while the silence lasts.
    for day in range(29, 35):
        await w.run(at(day, 10))
    assert await w.keys_of("nudge") == [f"p{pid}:nudge:1", f"p{pid}:nudge:2"]
    assert await w.keys_of("escalation") == [f"p{pid}:escalation:1"]


async def test_contact_from_both_partners_starts_the_count_over(
    world: tuple[World, int],
) -> None:
    w, pid = world
    await w.write(ANA, at(0, 10), 1)
    await w.write(BO, at(0, 10), 2)
    await w.run(at(14, 10))
    await w.run(at(21, 10))
    await w.write(ANA, at(22, 10), 3)  # one partner writing does not reset the count
    [row] = await w.pair_health.rows()
    assert row.nudges == 2
    await w.write(BO, at(23, 10), 4)
    await w.run(at(23, 11))
    [row] = await w.pair_health.rows()
    assert (row.nudges, row.escalated) == (0, False)
    await w.run(at(37, 10))  # fourteen days after Bo's message: a fresh first nudge
    await w.run(at(44, 10))  # and a second one a week later, not an escalation
    assert await w.keys_of("nudge") == [f"p{pid}:nudge:{n}" for n in (1, 2, 3, 4)]
    assert await w.keys_of("escalation") == []
    await w.run(at(51, 10))
    assert await w.keys_of("escalation") == [f"p{pid}:escalation:1"]


async def test_logged_contact_counts_for_both_partners(world: tuple[World, int]) -> None:
    w, pid = world
    await w.run(at(13, 10))
    w.clock.set(at(13, 20))
    logged = await w.contact_log.log_contact(ANA, "video", "12 March 2027")
    assert logged.day == date(2027, 3, 12)
    await w.run(at(14, 10))
    assert await w.keys_of("nudge") == []  # the call on day 11 counts for Ana and Bo
    events = await w.store.activity.contacts(pid)
    assert {(e.participant_id, e.kind, e.source) for e in events} == {
        (ANA, "video", "logged"),
        (BO, "video", "logged"),
    }


@pytest.mark.parametrize(
    ("user", "kind", "when", "problem"),
    [
        (ANA, "video", "tomorrow", "still ahead"),
        (ANA, "video", "20 February 2027", "started on 1 March 2027"),
        (ANA, "carrier pigeon", None, "Please choose one of"),
        (ANA, "phone", "31/31/2027", "31/31/2027"),
        (CHEN, "email", None, "not in an active partnership"),
    ],
)
async def test_contact_log_refusals(
    world: tuple[World, int], user: int, kind: str, when: str | None, problem: str
) -> None:
    w, _ = world
    w.clock.set(at(5, 12))
    with pytest.raises(UserFacingError, match=problem):
        await w.contact_log.log_contact(user, kind, when)


# Calendar posts, check-ins ---------------------------------------------------------------


async def test_availability_ask_has_its_buttons(world: tuple[World, int]) -> None:
    w, pid = world
    await w.write(ANA, at(2, 10), 1)
    await w.write(BO, at(2, 10), 2)
    await w.run(at(3, 8, 59))
    assert await w.keys_of("availability_ask") == []
    await w.run(at(3, 9))
    assert await w.keys_of("availability_ask") == [f"p{pid}:availability:1"]
    [(_, channel, post)] = [sent for sent in w.port.sent if sent[2].buttons]
    assert channel == SPACE
    assert post.buttons == (NoChangesButton(pid), AddDatesButton(pid))


async def test_not_working_checkin_alerts_coordinators_privately(
    world: tuple[World, int],
) -> None:
    w, pid = world
    for day in range(0, 28, 5):
        await w.write(ANA, at(day, 10), 10 + day)
        await w.write(BO, at(day, 11), 100 + day)
    await w.run(at(28, 9))
    prompt = next(post for _, _, post in w.port.sent if post.buttons and "check-in" in post.content)
    assert prompt.buttons == (CheckinButton(pid, 1),)
    await w.checkins.answer(BO, pid, 1, "great", None)
    await w.checkins.answer(ANA, pid, 1, "not_working", "We never  find a time.")
    with pytest.raises(UserFacingError):
        await w.checkins.answer(CHEN, pid, 1, "great", None)
    await w.run()
    [alert] = w.port.texts("case")
    assert "Ana Silva" in alert and "ana-and-bo" in alert
    assert "Not working" in alert and "We never find a time." in alert
    assert all("never find" not in text for text in w.port.texts("space"))
    answers = {c.participant_id: c.rating for c in await w.store.activity.checkins(pid)}
    assert answers == {ANA: "not_working", BO: "great"}


async def test_a_checkin_dm_to_closed_dms_is_not_repeated_in_the_space(
    world: tuple[World, int],
) -> None:
    """The space has the question already: a member whose DMs are closed answers there,
    and the space gets one check-in, not a second copy with a link to itself."""
    w, pid = world
    await w.checkins.set_dm_opt_in(BO, True)
    await w.checkins.set_dm_opt_in(ANA, True)
    w.port.closed_dms.add(BO)
    await w.run(at(28, 9))
    assert set(await w.keys_of("checkin_dm")) == {
        f"p{pid}:checkin:1:dm:{ANA}",
        f"p{pid}:checkin:1:dm:{BO}",
    }
    asks = [(kind, target) for kind, target, post in w.port.sent if "check-in" in post.content]
    assert sorted(asks) == [("dm", ANA), ("space", SPACE)]
    # The check-in rides on that day's topic: one post in the space, with its button.
    [prompt] = [
        post
        for kind, _, post in w.port.sent
        if kind == "space" and CheckinButton(pid, 1) in post.buttons
    ]
    assert BO in prompt.mention_ids
    item = await w.store.outbox.get(f"p{pid}:checkin:1:dm:{BO}")
    assert item is not None and item.sent_at is not None and item.message_id is None


async def test_checkin_dms_follow_the_configured_default(tmp_path: Path) -> None:
    config = Config(
        discord={"guild_id": 1, "coordinator_role": "Coordinators"},
        program={"checkin_dm_opt_in_default": True},
    )
    w, pid = await build(tmp_path, config=config)
    try:
        await w.checkins.set_dm_opt_in(ANA, False)
        await w.run(at(28, 9))
        assert await w.keys_of("checkin_dm") == [f"p{pid}:checkin:1:dm:{BO}"]
    finally:
        await w.contact_log.close()
        await w.store.close()


# Backfill, exactly once ------------------------------------------------------------------


async def test_backfill_after_three_days_down_records_exactly_the_missed_messages(
    tmp_path: Path,
) -> None:
    w, pid = await build(tmp_path)
    await w.write(ANA, at(1, 10), 11)
    await w.write(BO, at(1, 11), 12)
    await w.contact_log.close()
    await w.store.close()
    # Three days down; meanwhile the partners and a moderator talked in the space.
    missed = [
        SeenMessage(13, ANA, at(2, 9)),
        SeenMessage(14, STRANGER, at(2, 10)),
        SeenMessage(15, BO, at(3, 18)),
        SeenMessage(16, ANA, at(4, 8)),
    ]
    port = w.port
    port.history[SPACE] = [SeenMessage(11, ANA, at(1, 10)), SeenMessage(12, BO, at(1, 11)), *missed]
    store = await Store.open(tmp_path / "t.sqlite3")
    clock = ManualClock(at(4, 12))
    again = World(store, clock, port, CONFIG)
    try:
        await again.contact_log.start()
        assert await again.contact_log.backfill() == 3
        assert await again.contact_log.backfill() == 0
        ids = [e.message_id for e in await store.activity.contacts(pid)]
        assert ids == [11, 12, 13, 15, 16]
    finally:
        await again.contact_log.close()
        await store.close()


async def test_planning_is_exactly_once_across_runs_and_restarts(tmp_path: Path) -> None:
    w, pid = await build(tmp_path)
    await w.checkins.set_dm_opt_in(ANA, True)
    await w.write(ANA, at(0, 10), 1)
    await w.write(BO, at(0, 10), 2)
    for _ in range(3):
        await w.run(at(29, 10))
    first = await w.outbox_keys()
    assert f"p{pid}:nudge:1" in first and f"p{pid}:checkin:1" in first
    assert f"p{pid}:availability:1" in first and f"p{pid}:checkin:1:dm:{ANA}" in first
    sent = len(w.port.sent)
    await w.contact_log.close()
    await w.store.close()

    store = await Store.open(tmp_path / "t.sqlite3")
    program = Program(CONFIG, store, ManualClock(at(29, 11)), w.port, CONTENT)
    try:
        for _ in range(3):
            await program.run_due()
        # The calendar may add its own posts (topics); ours are all still there, once each.
        again = await outbox_keys(store)
        assert [k for k in again if k in first or ":nudge:" in k or ":checkin:" in k] == [
            k for k in first if k in again
        ]
        assert len(await store.activity.nudges(pid)) == 1
        again_sent = [p.content for _, _, p in w.port.sent[sent:]]
        assert not [text for text in again_sent if "check-in" in text or " days" in text]
    finally:
        await store.close()


async def outbox_keys(store: Store) -> list[str]:
    rows = await store.db.fetch_all("SELECT key FROM outbox ORDER BY key")
    return [row["key"] for row in rows]


# Health and leaving ----------------------------------------------------------------------


async def test_health_rows_sorted_by_risk(tmp_path: Path) -> None:
    w, pid = await build(tmp_path)
    try:
        await add_person(w.store, STRANGER, "Dee Okafor", "Africa/Lagos")
        round_ = await w.store.rounds.by_name("2027A")
        assert round_ is not None
        quiet_pid = await w.store.partnerships.create(
            round_.id, "chen-and-dee", [CHEN, STRANGER], score=1.0, reasons=[], now=at(-10)
        )
        await w.store.partnerships.set_channel(quiet_pid, 5002)
        await w.store.partnerships.set_state(quiet_pid, "active")
        await w.write(ANA, at(20, 10), 1)
        await w.write(BO, at(21, 10), 2)
        w.clock.set(at(22, 10))
        await w.away.add(BO, "30 March 2027", "2 April 2027", None)
        # The quiet pair's nudge goes out on a day without other posts (not day 28, a
        # topic day).
        await w.run(at(27, 12))
        await w.run(at(28, 9))
        await w.checkins.answer(ANA, pid, 1, "ok", None)
        rows = await w.pair_health.rows()
        assert [row.name for row in rows] == ["chen-and-dee", "ana-and-bo"]
        quiet, busy = rows
        assert quiet.label == "at risk" and quiet.last_contact is None and quiet.nudges == 1
        assert busy.label == "ok" and busy.days_since_contact == 6
        assert busy.away == "Bo Chen away 30 March 2027 – 2 April 2027"
        assert busy.checkins == ("Ana Silva: ok", "Bo Chen: not answered")
        assert busy.contacts_per_fortnight == 0.99  # two days in touch in four weeks
        assert [r.name for r in await w.pair_health.rows(sort="name")] == [
            "ana-and-bo",
            "chen-and-dee",
        ]
    finally:
        await w.contact_log.close()
        await w.store.close()


async def test_member_leaving_alerts_coordinators(world: tuple[World, int]) -> None:
    w, pid = world
    [left] = await w.departures.member_left(BO)
    assert left.id == pid
    partnership = await w.store.partnerships.get(pid)
    assert partnership is not None and partnership.state == "member_left"
    assert not await w.contact_log.record_message(SPACE, ANA, 1, at(0, 10))
    await w.run(at(0, 1))
    [alert] = w.port.texts("case")
    assert "**Bo Chen** has left the server" in alert and "ana-and-bo" in alert
    assert w.port.removed == [(SPACE, BO)]  # so rejoining does not bring the space back
    assert await w.departures.member_left(BO) == []


async def test_after_downtime_asks_are_planned_late_but_only_the_latest_is_posted(
    world: tuple[World, int],
) -> None:
    w, pid = world
    await w.write(ANA, at(20, 10), 1)
    await w.write(BO, at(20, 10), 2)
    await w.run(at(22, 12))  # down since before day 3: asks 1 (day 3) and 2 (day 17) are due
    assert await w.keys_of("availability_ask") == [
        f"p{pid}:availability:1",
        f"p{pid}:availability:2",
    ]
    asks = [post for _, _, post in w.port.sent if post.buttons]
    assert len(asks) == 1  # the first one is superseded, so it is skipped, not sent twice
    item = await w.store.outbox.get(f"p{pid}:availability:1")
    assert item is not None and item.sent_at is not None and item.message_id is None


async def test_an_ask_tried_before_a_crash_renders_as_it_did_then(
    world: tuple[World, int],
) -> None:
    """Its first try may have reached Discord: rendered as of that try (not skipped as
    superseded by the later ask due meanwhile), it is what the look before resending finds."""
    w, pid = world
    w.clock.set(at(3, 23))
    await w.program.calendar.plan(w.clock.now())
    tried = await w.store.outbox.claim_due(w.clock.now())  # the bot died sending these
    assert f"p{pid}:availability:1" in [item.key for item in tried]
    await w.write(ANA, at(20, 10), 1)
    await w.write(BO, at(20, 10), 2)
    await w.run(at(22, 12))
    asks = [post for _, _, post in w.port.sent if post.buttons]
    assert len(asks) == 2  # the first as first tried (the fake Discord never got it), then 2
    item = await w.store.outbox.get(f"p{pid}:availability:1")
    assert item is not None and item.message_id is not None


def test_the_health_csv_is_safe_to_open_in_a_spreadsheet() -> None:
    import csv
    import io

    from bot.domain.spreadsheet import FORMULA_TRIGGERS
    from bot.services.contact import PairHealth, health_csv

    row = PairHealth(
        partnership_id=1,
        name="=cmd|' /C calc'!A0",
        state="active",
        channel_id=None,
        members=("-2+3", "@SUM(A1)"),
        last_contact=None,
        days_since_contact=None,
        contacts_per_fortnight=0.0,
        nudges=0,
        escalated=False,
        away="\tnobody",
        checkins=(),
        risk=0.5,
        label="watch",
    )
    cells = [c for r in csv.reader(io.StringIO(health_csv([row]))) for c in r if c]
    assert not [cell for cell in cells if cell.startswith(FORMULA_TRIGGERS)]
