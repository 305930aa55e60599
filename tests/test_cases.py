"""Cases, pairs and the digest as services: a real SQLite file, a manual clock and a
recording port (the end-to-end layer is tests/e2e/test_cases.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands
from pydantic import ValidationError

from bot.config import Config
from bot.domain.applications import Application
from bot.posts.base import CoordinatorsTarget, DirectTarget, PrivateTarget, SpaceTarget
from bot.posts.cases import CaseReply, OpenCase, failure_subject
from bot.posts.checkins import CheckinDm
from bot.posts.setup import DeliveryFailed
from bot.posts.topics import TopicPost
from bot.services.errors import UserFacingError
from bot.store.models import member_subject, pair_subject
from cogs._shared import NotACoordinator, coordinator_only
from tests.test_contact_service import ANA, BO, CHEN, STRANGER, World, at, build

EVE, FAY = 104, 105


def application(member: int, name: str, country: str, **wishes: Any) -> Application:
    return Application(
        discord_id=member,
        name=name,
        institution="Library",
        sector=wishes.pop("sector", "public"),
        country=country,
        timezone="Europe/London",
        career_stage=wishes.pop("stage", "mid"),
        languages=wishes.pop("languages", ["en"]),
        interests=["open access"],
        hopes="To learn.",
        **wishes,
    )


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[World, int]]:
    built = await build(tmp_path)
    w, _ = built
    round_ = (await w.store.rounds.all())[-1]
    await w.store.people.save_applications(
        round_.id,
        [
            application(ANA, "Ana Silva", "BR"),
            application(BO, "Bo Chen", "GB"),
            application(CHEN, "Chen Li", "SG"),
            application(EVE, "Eve Mwangi", "KE", partner_sectors=["academic"]),
            application(FAY, "Fay Wong", "SG", sector="academic"),
        ],
        w.clock.now(),
    )
    yield built
    await w.contact_log.close()
    await w.store.close()


# Cases --------------------------------------------------------------------------------------


async def test_a_partner_writes_to_the_pair_case_anyone_else_to_their_own(
    world: tuple[World, int],
) -> None:
    w, pid = world
    cases = w.program.cases
    pair = await cases.write(ANA, "Ana", "Hello", "message", required=True)
    person = await cases.write(STRANGER, "Sam Stranger", "Can I join?", "message", required=True)
    assert (pair.subject, pair.title) == (pair_subject(pid), "ana-and-bo")
    assert (person.subject, person.title) == (member_subject(STRANGER), "Sam Stranger")
    with pytest.raises(UserFacingError, match="cannot be empty"):
        await cases.write(ANA, "Ana", "   ", "message", required=True)
    with pytest.raises(UserFacingError, match="1500 characters"):
        await cases.write(ANA, "Ana", "x" * 1501, "message", required=True)
    await w.run()
    assert len(w.port.texts("card")) == 2
    listed = await w.store.cases.listed("open", 0)
    assert [c.id for c in listed] == [pair.id, person.id]  # oldest first
    assert all(c.thread_id is not None for c in listed)


async def test_new_trouble_reopens_a_handled_case_but_a_coordinators_note_does_not(
    world: tuple[World, int],
) -> None:
    w, pid = world
    cases = w.program.cases
    case = await cases.write(ANA, "Ana", "Help?", "message", required=True)
    await cases.take(case.id, 7)
    await cases.handle(case.id, 7, "  Talked to Ana.  ")
    handled = await cases.get(case.id)
    assert (handled.state, handled.handled_by, handled.handled_note) == (
        "handled",
        7,
        "Talked to Ana.",
    )
    await w.program.pairs.note(str(pid), "Just a note.", 7)
    assert (await cases.get(case.id)).state == "handled"
    w.clock.set(w.clock.now() + timedelta(days=3))
    await w.program.checkins.answer(BO, pid, 1, "not_working", None)
    reopened = await cases.get(case.id)
    assert reopened.state == "open" and reopened.handled_at is None
    assert reopened.opened_at == w.clock.now() and reopened.assignee_id == 7
    kinds = [e.kind for e in await w.store.cases.events(case.id)]
    assert kinds == ["message", "taken", "handled", "note", "checkin"]
    await w.run()
    assert len(w.port.texts("card")) == 1, "one case, one card, however often it reopens"


async def test_replies_go_to_the_person_who_wrote_unless_told(world: tuple[World, int]) -> None:
    w, _ = world
    cases = w.program.cases
    await cases.write(BO, "Bo", "Ana is quiet.", "message", required=True)
    await w.run()
    [case] = await w.store.cases.listed("open", 0)
    assert case.thread_id is not None
    _, to = await cases.reply(case.thread_id, 7, None, "Thanks, Bo.")
    assert to == BO
    _, to = await cases.reply(case.thread_id, 7, ANA, "Hello Ana.")
    assert to == ANA
    with pytest.raises(UserFacingError, match="not part of case"):
        await cases.reply(case.thread_id, 7, CHEN, "Hi.")
    with pytest.raises(UserFacingError, match="inside a case's thread"):
        await cases.reply(12345, 7, None, "Hi.")
    await w.run()
    assert [text for text in w.port.texts("dm") if "coordinators have answered" in text] == [
        f"<@{BO}> Hello Bo, the ILN coordinators have answered you:\n\nThanks, Bo.\n\n"
        "To write back, use `/ask-coordinators` on the ILN server.",
        f"<@{ANA}> Hello Ana, the ILN coordinators have answered you:\n\nHello Ana.\n\n"
        "To write back, use `/ask-coordinators` on the ILN server.",
    ]
    actions = [e.action for e in await w.store.coordination.audit_log()]
    assert actions.count("case.reply") == 2


async def test_a_reply_to_someone_without_dms_goes_to_their_own_private_thread(
    world: tuple[World, int],
) -> None:
    w, _ = world
    w.port.closed_dms.add(ANA)
    cases = w.program.cases
    await cases.write(ANA, "Ana", "Help?", "message", required=True)
    await w.run()
    [case] = await w.store.cases.listed("open", 0)
    for text in ("One.", "Two."):
        await cases.reply(case.thread_id, 7, None, text)
        await w.run()
    assert await w.store.cases.private_thread(ANA) == 6000 + ANA
    private = [target for where, target, _ in w.port.sent if where == "space"]
    assert private == [6000 + ANA, 6000 + ANA]  # never the space Ana shares with Bo


def test_what_discord_refuses_is_told_in_the_case_it_belongs_to() -> None:
    space = SpaceTarget(channel_id=1)
    assert failure_subject(TopicPost(partnership_id=3, target=space, topic_id=1)) == "p3"
    dm = CheckinDm(partnership_id=3, target=DirectTarget(user_id=9), sequence=1, member_id=9)
    assert failure_subject(dm) == "p3"
    reply = CaseReply(target=PrivateTarget(user_id=9), subject="m9", event_key="k")
    assert failure_subject(reply) == "m9"
    assert failure_subject(OpenCase(subject="p3")) is None  # the case machinery: plainly
    alert = DeliveryFailed(failed_key="k", failed_kind="intro", error="e")
    assert alert.target == CoordinatorsTarget()


# Pairs --------------------------------------------------------------------------------------


async def test_people_and_pairs_are_found_by_id_mention_or_name(world: tuple[World, int]) -> None:
    w, pid = world
    pairs = w.program.pairs
    assert await pairs.find_member(str(ANA)) == ANA
    assert await pairs.find_member(f"<@{BO}>") == BO
    assert await pairs.find_member("eve mwangi") == EVE
    assert await pairs.find_member("Fay") == FAY
    with pytest.raises(UserFacingError, match="could not find anyone"):
        await pairs.find_member("Zed")
    assert (await pairs.find_pair(f"#{pid}")).id == pid
    assert (await pairs.find_pair("ANA-AND-BO")).id == pid
    assert await pairs.pair_choices("ana") == [("ana-and-bo (active)", str(pid))]
    available = dict(await pairs.member_choices("", "available"))
    assert set(available.values()) == {str(CHEN), str(EVE), str(FAY)}
    assert "Chen Li (no partner)" in available


async def test_rematch_offers_who_would_take_part_first_under_the_hard_rules(
    world: tuple[World, int],
) -> None:
    w, pid = world
    round_ = (await w.store.rounds.all())[-1]
    await w.store.cases.answer_unmatched(round_.id, FAY, "trio", w.clock.now())
    await w.store.cases.answer_unmatched(round_.id, EVE, "talk", w.clock.now())
    rematch = await w.program.pairs.rematch(str(BO))
    assert rematch.partnership.id == pid
    # Fay said she would join a trio, so she comes first; Eve asked to talk first.
    assert [(p.member_id, p.answer) for p in rematch.proposals] == [
        (FAY, "trio"),
        (CHEN, None),
        (EVE, "talk"),
    ]
    with pytest.raises(UserFacingError, match="no partnership in 2027A"):
        await w.program.pairs.rematch(str(EVE))


async def test_a_rematch_ends_the_old_partnership_and_opens_a_new_one(
    world: tuple[World, int],
) -> None:
    w, pid = world
    await w.departures.member_left(ANA)
    created = await w.program.pairs.make(BO, EVE, 7, replacing_for=BO)
    assert created.name == "bo-and-eve" and created.state == "confirmed"
    old = await w.store.partnerships.get(pid)
    assert old is not None and old.state == "ended"
    keys = await w.outbox_keys()
    assert f"p{created.id}:open_space" in keys and f"p{pid}:ended_early" in keys
    [entry] = [e for e in await w.store.coordination.audit_log() if e.action == "pair.rematch"]
    assert entry.actor_id == 7 and entry.detail["partnership"] == created.id
    with pytest.raises(UserFacingError, match="already in"):
        await w.program.pairs.make(BO, FAY, 7)


async def test_pair_add_checks_the_hard_rules_and_keeps_the_override(
    world: tuple[World, int],
) -> None:
    w, _ = world
    with pytest.raises(UserFacingError, match=r"same country \(Singapore\)"):
        await w.program.pairs.make(CHEN, FAY, 7)
    created = await w.program.pairs.make(CHEN, FAY, 7, override="They asked for it.")
    assert "paired by a coordinator" in created.reasons
    [entry] = [e for e in await w.store.coordination.audit_log() if e.action == "pair.add"]
    assert entry.detail["override"] == "They asked for it."


async def test_someone_from_the_waitlist_brings_their_last_application(
    world: tuple[World, int],
) -> None:
    w, _ = world
    old_round = await w.store.rounds.create(
        "2026B", datetime(2026, 9, 1).date(), datetime(2026, 12, 31).date(), w.clock.now()
    )
    await w.store.people.save_applications(
        old_round.id, [application(STRANGER, "Sam Old", "NZ")], w.clock.now()
    )
    await w.store.people.join_waitlist(STRANGER, w.clock.now())
    rematch = await w.program.pairs.rematch(str(BO))
    assert STRANGER in [p.member_id for p in rematch.proposals]
    created = await w.program.pairs.make(BO, STRANGER, 7, replacing_for=BO)
    round_ = (await w.store.rounds.all())[-1]
    assert await w.store.people.application(created.round_id, STRANGER) is not None
    assert created.round_id != old_round.id and round_.name == "2027A"


async def test_ending_early_tells_the_space_and_archives_it(world: tuple[World, int]) -> None:
    w, pid = world
    await w.program.pairs.end("ana-and-bo", "They asked.", 7)
    with pytest.raises(UserFacingError, match="ended already"):
        await w.program.pairs.end(str(pid), "Again.", 7)
    await w.run()
    [notice] = [t for t in w.port.texts("space") if "ended this partnership early" in t]
    assert "They asked." not in notice
    assert f"p{pid}:archive_space" in await w.outbox_keys()


async def test_a_mid_round_partnership_starts_with_the_current_topic_only(
    world: tuple[World, int],
) -> None:
    w, _ = world
    round_ = (await w.store.rounds.all())[-1]
    for position, day in ((2, 14), (3, 28)):
        await w.store.topics.add(
            round_.id,
            position=position,
            slug=f"t{position}",
            title=f"Topic {position}",
            summary="s",
            body="b",
            prompts=["p1", "p2", "p3"],
            due_on=(at(day)).date(),
        )
    w.program.changes.round(round_.id)
    w.clock.set(at(20, 10))
    await w.run()
    created = await w.program.pairs.make(CHEN, EVE, 7)
    await w.store.partnerships.set_channel(created.id, 5002)
    await w.store.partnerships.set_state(created.id, "active")
    w.program.changes.partnership(created.id)
    await w.run(at(30, 12))
    topics = [k for k in await w.outbox_keys() if k.startswith(f"p{created.id}:topic:")]
    latest = sorted(t.id for t in await w.store.topics.for_round(round_.id))
    assert topics == [f"p{created.id}:topic:{latest[1]}", f"p{created.id}:topic:{latest[2]}"]


# The digest ---------------------------------------------------------------------------------


def berlin(day: int, hour: int) -> datetime:
    return datetime(2027, 3, day, hour, tzinfo=UTC)


async def test_the_digest_is_weekly_at_the_local_hour_and_late_only_by_a_day(
    tmp_path: Path,
) -> None:
    config = Config(
        discord={"guild_id": 1, "coordinator_role": "C"},
        program={"timezone": "Europe/Berlin"},
        coordinators={"digest_weekday": "Monday", "digest_hour": 9},
    )
    w, _ = await build(tmp_path, config=config)
    try:
        digest = w.program.digest
        # Monday 22 March 09:00 in Berlin is 08:00 UTC; on 29 March summer time makes it 07:00.
        assert digest.slot_after(berlin(21, 12)) == berlin(22, 8)
        assert digest.slot_after(berlin(22, 8)) == berlin(29, 7)
        await w.run(berlin(1, 7))
        assert digest.next_due() == berlin(1, 8)
        await w.run(berlin(2, 7))  # down over the slot, back 23 hours later: sent late
        assert await w.keys_of("weekly_digest") == ["digest:2027-03-01"]
        await w.run(berlin(10, 12))  # down two days past the next slot: skipped
        assert await w.keys_of("weekly_digest") == ["digest:2027-03-01"]
        assert digest.next_due() == berlin(15, 8)
        await w.run(berlin(15, 8))
        assert await w.keys_of("weekly_digest") == ["digest:2027-03-01", "digest:2027-03-15"]
        [embed] = [post.embeds[0] for _, _, post in w.port.sent if post.embeds][-1:]
        assert embed["title"] == "Weekly digest, week of 15 March 2027"
        assert [f["name"] for f in embed["fields"]] == ["Cases", "Quiet pairs", "Check-in answers"]
    finally:
        await w.contact_log.close()
        await w.store.close()


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ({"digest_weekday": "someday"}, "coordinators.digest_weekday"),
        ({"digest_hour": 24}, "coordinators.digest_hour"),
        ({"digest": "sometimes"}, "coordinators.digest"),
    ],
)
def test_the_coordinators_section_is_validated(section: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError) as error:
        Config(discord={"guild_id": 1, "coordinator_role": "C"}, coordinators=section)
    assert problem in ".".join(str(p) for p in error.value.errors()[0]["loc"]) or problem in str(
        error.value
    )


# coordinator_only ---------------------------------------------------------------------------


class _Interaction:
    """What the check reads of an interaction: its client's config and its user's roles."""

    def __init__(self, roles: list[str]) -> None:
        self.user = type("U", (), {"roles": [type("R", (), {"name": n})() for n in roles]})()
        config = Config(discord={"guild_id": 1, "coordinator_role": "Coordinators"})
        self.client = type("C", (), {"config": config})()


async def test_coordinator_only_covers_commands_group_instances_and_group_classes() -> None:
    seen: list[str] = []

    @coordinator_only()
    @app_commands.command(name="one")
    async def one(interaction: discord.Interaction[Any]) -> None:
        """One."""

    group = coordinator_only()(app_commands.Group(name="two", description="Two"))

    @coordinator_only()
    class Three(commands.GroupCog, group_name="three"):
        async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
            seen.append("own check")
            return True

    for hidden in (one, group):
        assert hidden.default_permissions == discord.Permissions(manage_messages=True)
    assert Three.__discord_app_commands_default_permissions__ == discord.Permissions(
        manage_messages=True
    )
    member, coordinator = _Interaction(["Members"]), _Interaction(["Coordinators"])
    assert await one.checks[0](coordinator)  # type: ignore[arg-type]
    with pytest.raises(NotACoordinator):
        await one.checks[0](member)  # type: ignore[arg-type]
    assert await group.interaction_check(coordinator)  # type: ignore[arg-type]
    with pytest.raises(NotACoordinator):
        await group.interaction_check(member)  # type: ignore[arg-type]
    cog = object.__new__(Three)
    assert await Three.interaction_check(cog, coordinator)  # type: ignore[arg-type]
    assert seen == ["own check"], "the class's own check still runs"
    with pytest.raises(NotACoordinator):
        await Three.interaction_check(cog, member)  # type: ignore[arg-type]
    assert seen == ["own check"]
