"""Every kind of post, rendered from a real store, within Discord's limits and the
program's wording rules (no raw ISO codes, no "1 days", no frozen local times).

A new kind fails ``test_every_kind_has_a_sample`` until it gets a sample here.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.config import Config
from bot.domain.applications import Application
from bot.posts import (
    CaseTarget,
    DirectTarget,
    ForumTarget,
    Post,
    PrivateTarget,
    SpaceTarget,
    ThreadTarget,
    Work,
    kinds,
    limits,
)
from bot.posts.away import AvailabilityAsk, AwayNoted, WelcomeBack
from bot.posts.cases import CaseCard, CaseFollowUp, CaseReply, OpenCase, case_card
from bot.posts.checkins import CheckinAlert, CheckinDm, CheckinPrompt
from bot.posts.closing import Closing, EndReminder
from bot.posts.contact import Escalation, Nudge
from bot.posts.desks import DeskFeature, DeskWelcome
from bot.posts.digest import WeeklyDigest
from bot.posts.events import EventNote, EventReminder, SyncEvent
from bot.posts.membership import PartnerLeft, RemoveFromSpace
from bot.posts.outreach import UnmatchedNotice
from bot.posts.pairs import PairEnded
from bot.posts.privacy import ErasureNotice, PartnerErased
from bot.posts.rounds import ApplicationsOpen
from bot.posts.setup import DeliveryFailed, MissingPermissions
from bot.posts.spaces import ArchiveSpace, Intro, OpenSpace
from bot.posts.topics import CohortThread, TopicPost
from bot.services.ports import Draft
from bot.services.program import Program
from bot.simulation.recorder import RecordingDiscord
from bot.store import Scheduled, Store
from bot.store.models import pair_subject

START = date(2027, 3, 1)
LONG = "Maximiliana Wilhelmina Anastasia de la Fuente-Oyelaran " * 4
ANA, BO, CARA = 101, 102, 103


@dataclass
class World:
    program: Program
    round_id: int
    partnership_id: int
    topic_id: int
    away_id: int
    space: SpaceTarget
    event_id: int
    event_start: datetime
    desk_thread: int
    event_key: str

    @property
    def case(self) -> CaseTarget:
        return CaseTarget(subject=pair_subject(self.partnership_id))


def application(discord_id: int, name: str, country: str, zone: str) -> Application:
    return Application(
        discord_id=discord_id,
        name=name,
        institution="Bibliothèque nationale " * 9,
        sector="academic",
        country=country,
        timezone=zone,
        career_stage="mid",
        languages=["en", "fr", "ar", "zh", "sw"],
        interests=[f"interest number {n} about libraries" for n in range(9)],
        hopes="To learn. " * 99,
        returning_note="Do more. " * 99,
        email=f"partner.{discord_id}@example.org",
        share_email=True,
        other_contact="Signal, WhatsApp or a video call; " + "ask me " * 20,
    )


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = ManualClock(datetime(2027, 2, 1, tzinfo=UTC))
    store = await Store.open(tmp_path / "posts.sqlite3")
    config = Config(discord={"guild_id": 1, "coordinator_role": "Coordinators"})
    port = RecordingDiscord(clock, lambda event: None)
    program = Program(config, store, clock, port)
    try:
        round_ = await program.rounds.create("2027A", START, None, 0)
        await program.rounds.open_applications(0)
        await store.people.save_applications(
            round_.id,
            [
                application(ANA, "Ana " + LONG, "NZ", "Pacific/Kiritimati"),
                application(BO, "李小龍 " + LONG, "US", "Pacific/Pago_Pago"),
                application(CARA, "Cara " + LONG, "KE", "Africa/Nairobi"),
            ],
            clock.now(),
        )
        reasons = [f"a long reason number {n}: " + "x" * 300 for n in range(20)]
        pid = await store.partnerships.create(
            round_.id, "ana-and-li", [ANA, BO], score=1.0, reasons=reasons, now=clock.now()
        )
        category = await port.ensure_container("2027A", 1, "channel")
        space = await port.ensure_space(category, "channel", "ana-and-li", "m", [ANA, BO])
        await store.partnerships.set_channel(pid, space)
        await store.partnerships.set_state(pid, "active")
        clock.set(clock.now() + timedelta(days=40))
        away = await store.activity.add_away(
            BO, clock.now(), clock.now() + timedelta(days=3), "n" * 200, clock.now()
        )
        await store.activity.answer_checkin(pid, ANA, 1, "not_working", "c" * 1000, clock.now())
        topic = (await store.topics.for_round(round_.id))[0]
        event = await store.events.create(
            round_id=round_.id,
            topic_id=topic.id,
            starts_at=clock.now() + timedelta(days=2),
            ends_at=clock.now() + timedelta(days=2, hours=24),
            place_kind="external",
            channel_id=None,
            location="https://meet.example.org/" + "x" * 70,
            actor=0,
            now=clock.now(),
            queue=lambda e: [],
        )
        sync = SyncEvent(event_id=event.id, revision=1, change="scheduled")
        await store.outbox.enqueue([Scheduled(sync, clock.now())], clock.now())
        await program.dispatcher.deliver_due()
        stored = await store.events.get(event.id)
        assert stored is not None and stored.discord_event_id is not None
        for member in range(1, 121):  # more than one message can mention
            port.mark_interested(stored.discord_event_id, 10**17 + member)
        desk = port.open_desk_post(ANA, clock.now())
        await store.desks.add(desk, ANA, clock.now(), [])
        await store.desks.consent(desk, "c" * 200, clock.now())
        # A case with a long message in it, its thread open, and many events and notes.
        await program.cases.write(ANA, "Ana", "m" * 1500, "message", required=True)
        for number in range(8):
            await program.pairs.note(str(pid), f"note {number} " + "n" * 990, 7)
        await program.run_due()
        case = await store.cases.by_subject(pair_subject(pid))
        assert case is not None and case.thread_id is not None
        [message] = [e for e in await store.cases.events(case.id) if e.kind == "message"]
        yield World(
            program,
            round_.id,
            pid,
            topic.id,
            away.id,
            SpaceTarget(channel_id=space),
            event.id,
            event.starts_at,
            desk,
            message.outbox_key,
        )
    finally:
        await store.close()


SAMPLES: dict[type[Work], Callable[[World], Work]] = {
    OpenSpace: lambda w: OpenSpace(partnership_id=w.partnership_id),
    ArchiveSpace: lambda w: ArchiveSpace(partnership_id=w.partnership_id),
    Intro: lambda w: Intro(partnership_id=w.partnership_id, target=w.space),
    # The topic with both asks riding on it: its longest form.
    TopicPost: lambda w: TopicPost(
        partnership_id=w.partnership_id,
        target=w.space,
        topic_id=w.topic_id,
        availability=1,
        checkin=1,
    ),
    CohortThread: lambda w: CohortThread(
        target=ForumTarget(title="2027A: Getting to know you"),
        round_id=w.round_id,
        topic_id=w.topic_id,
    ),
    EndReminder: lambda w: EndReminder(partnership_id=w.partnership_id, target=w.space),
    Closing: lambda w: Closing(partnership_id=w.partnership_id, target=w.space),
    ApplicationsOpen: lambda w: ApplicationsOpen(round_id=w.round_id),
    MissingPermissions: lambda w: MissingPermissions(problems=tuple("p" * 90 for _ in range(40))),
    DeliveryFailed: lambda w: DeliveryFailed(
        partnership_id=w.partnership_id,
        target=w.case,
        failed_key="p1:intro",
        failed_kind="intro",
        error="e" * 900,
    ),
    Nudge: lambda w: Nudge(
        partnership_id=w.partnership_id,
        target=w.space,
        tone="quiet",
        recipients=(ANA, BO),
        silent=(ANA, BO),
        days=1,
        number=3,
    ),
    Escalation: lambda w: Escalation(
        partnership_id=w.partnership_id,
        target=w.case,
        days=30,
        nudges=1,
        away_summary="a" * 900,
        silent=(ANA,),
        number=1,
    ),
    AwayNoted: lambda w: AwayNoted(
        partnership_id=w.partnership_id, target=w.space, away_id=w.away_id
    ),
    WelcomeBack: lambda w: WelcomeBack(
        partnership_id=w.partnership_id, target=w.space, away_id=w.away_id
    ),
    AvailabilityAsk: lambda w: AvailabilityAsk(
        partnership_id=w.partnership_id, target=w.space, sequence=1
    ),
    CheckinPrompt: lambda w: CheckinPrompt(
        partnership_id=w.partnership_id, target=w.space, sequence=1
    ),
    CheckinDm: lambda w: CheckinDm(
        partnership_id=w.partnership_id,
        target=DirectTarget(user_id=ANA, fallback_channel_id=w.space.channel_id),
        sequence=1,
        member_id=ANA,
    ),
    CheckinAlert: lambda w: CheckinAlert(
        partnership_id=w.partnership_id, target=w.case, member_id=ANA, sequence=1
    ),
    PartnerLeft: lambda w: PartnerLeft(partnership_id=w.partnership_id, member_id=BO),
    RemoveFromSpace: lambda w: RemoveFromSpace(partnership_id=w.partnership_id, member_id=BO),
    SyncEvent: lambda w: SyncEvent(event_id=w.event_id, revision=1, change="scheduled"),
    EventNote: lambda w: EventNote(event_id=w.event_id, note="scheduled", place="announcements"),
    EventReminder: lambda w: EventReminder(
        event_id=w.event_id, window="day", starts_at=w.event_start
    ),
    DeskWelcome: lambda w: DeskWelcome(target=ThreadTarget(thread_id=w.desk_thread), author_id=ANA),
    DeskFeature: lambda w: DeskFeature(thread_id=w.desk_thread, slot=date(2027, 3, 15)),
    OpenCase: lambda w: OpenCase(subject=w.case.subject),
    CaseCard: lambda w: CaseCard(subject=w.case.subject, after="sample"),
    CaseFollowUp: lambda w: CaseFollowUp(target=w.case, key_name=w.event_key),
    CaseReply: lambda w: CaseReply(
        target=PrivateTarget(user_id=ANA), subject=w.case.subject, event_key=w.event_key
    ),
    UnmatchedNotice: lambda w: UnmatchedNotice(
        target=PrivateTarget(user_id=CARA), round_id=w.round_id, cause="language"
    ),
    PairEnded: lambda w: PairEnded(partnership_id=w.partnership_id, target=w.space),
    PartnerErased: lambda w: PartnerErased(partnership_id=w.partnership_id, target=w.space),
    ErasureNotice: lambda w: ErasureNotice(
        reference="0123456789abcdef",
        at=datetime(2027, 3, 9, tzinfo=UTC),
        by_coordinator=True,
        ended=3,
        threads=tuple(10**18 + n for n in range(60)),
    ),
    WeeklyDigest: lambda w: WeeklyDigest(
        week_of=date(2027, 3, 8),
        open_cases=tuple(f"<#1234567890123> case {n} " + "x" * 200 for n in range(40)),
        opened=3,
        handled=1,
        pairs=300,
        quiet=tuple(f"pair {n} " + "q" * 200 for n in range(40)),
        checkins={"great": 10, "ok": 2, "not_working": 1},
    ),
}


def test_every_kind_has_a_sample() -> None:
    assert set(SAMPLES) == set(kinds())


POSTS = [kind for kind in kinds() if issubclass(kind, Post)]


@pytest.mark.parametrize("kind", POSTS, ids=lambda kind: kind.__name__)
async def test_each_post_reaches_discord_within_its_limits(world: World, kind: type[Post]) -> None:
    """Rendered from people with very long names, long answers and zones on both sides of
    the date line, then sent the way the outbox sends it."""
    post = SAMPLES[kind](world)
    assert isinstance(post, Post)
    dispatcher = world.program.dispatcher
    receipt = await post.perform(dispatcher.context(), "nonce")
    assert receipt is not None and receipt.message_id is not None, f"{kind.__name__} sent nothing"
    port = world.program.port
    assert isinstance(port, RecordingDiscord)
    sent = port.message(receipt.message_id).draft
    assert limits.problems(sent) == []
    assert "{" not in sent.content, "a template field was left unfilled"
    assert wording_problems(sent) == [], kind.__name__


# Country and language codes of the sample people, which must read as names.
CODES = r"NZ|US|KE|en|fr|ar|zh|sw"
COUNTED = r"day|week|month|nudge|reminder|space|partnership|pair|post|hour|action|escalation"
WORDING_RULES = {
    "a raw ISO code": re.compile(rf"(?<![\w/.@-])({CODES})(?![\w/.@-])"),
    'a "1 days" plural': re.compile(rf"(?<![\d.,])1 ({COUNTED})s\b"),
    'a "(s)" plural': re.compile(r"\w\(s\)"),
    "a frozen local time": re.compile(r"(?<![+-])\b\d{1,2}:\d{2}\b"),  # not UTC+14:00
    'a "0 days ago"': re.compile(r"\b0 days\b"),
}


def texts_of(draft: Draft) -> list[str]:
    """Everything a reader sees: the content, and each embed's title, text and fields."""
    texts = [draft.content]
    for embed in draft.embeds:
        texts += [embed.get("title", ""), embed.get("description", "")]
        texts.append((embed.get("footer") or {}).get("text", ""))
        fields: list[dict[str, Any]] = embed.get("fields", [])
        texts += [part for field in fields for part in (field["name"], field["value"])]
    return [text for text in texts if text]


def wording_problems(draft: Draft) -> list[str]:
    """The wording rules a post breaks; Discord timestamps (``<t:…:t>``), mentions and
    links are left out first, since Discord renders those for each reader."""
    found = []
    for text in texts_of(draft):
        shown = re.sub(r"<(t:\d+(:[tTdDfFR])?|@[!&]?\d+|#\d+)>|https?://\S+", " ", text)
        for rule, pattern in WORDING_RULES.items():
            for match in pattern.finditer(shown):
                found.append(f"{rule}: {shown[max(0, match.start() - 30) : match.end() + 30]!r}")
    return found


async def test_the_intro_shows_what_each_partner_agreed_to_share_and_their_call_hours(
    world: World,
) -> None:
    receipt = await Intro(partnership_id=world.partnership_id, target=world.space).perform(
        world.program.dispatcher.context(), "intro"
    )
    assert receipt is not None and receipt.message_id is not None
    port = world.program.port
    assert isinstance(port, RecordingDiscord)
    draft = port.message(receipt.message_id).draft
    text = "\n".join(texts_of(draft))
    assert f"E-mail: partner.{ANA}@example.org" in text and "Signal, WhatsApp" in text
    assert "New Zealand" in text and "United States" in text  # names, not NZ and US
    assert "French" in text and "Swahili" in text
    # Kiritimati (UTC+14) and Pago Pago (UTC-11) share working hours on four days a week:
    # shown as Discord timestamps, so each partner reads them in their own time.
    [hours] = [e["description"] for e in draft.embeds if "<t:" in e.get("description", "")]
    assert re.search(r"<t:\d+:t> – <t:\d+:t>", hours) and "four days a week" in hours


async def test_a_case_card_full_of_long_events_and_notes_fits(world: World) -> None:
    """Long names, a long message, eight long notes: the card fits without being cut."""
    case = await world.program.store.cases.by_subject(world.case.subject)
    assert case is not None
    card = await case_card(world.program.dispatcher.context().render, case)
    assert limits.problems(card) == []
    port = world.program.port
    assert isinstance(port, RecordingDiscord)
    assert case.thread_id is not None
    shown = port.message(case.thread_id).draft
    assert shown.embeds[0]["footer"]["text"] == f"ILN case {world.case.subject}"
    assert [type(b).__name__ for b in shown.buttons] == ["CaseButton"] * 3


def test_fit_shortens_every_text_and_the_embed_total() -> None:
    embed = {
        "title": "t" * 300,
        "description": "d" * 5000,
        "footer": {"text": "f" * 3000},
        "fields": [{"name": "n" * 300, "value": "v" * 2000} for _ in range(30)],
    }
    draft = Draft(content="c" * 2500, embeds=(embed,) * 12)
    assert limits.problems(draft)
    fitted = limits.fit(draft)
    assert limits.problems(fitted) == []
    assert fitted.content.endswith("…") and len(fitted.content) == limits.CONTENT
    assert len(fitted.embeds) == limits.EMBEDS


def test_fit_leaves_a_draft_that_fits_alone() -> None:
    draft = Draft(content="Hello", embeds=({"title": "Hi", "description": "there"},))
    assert limits.fit(draft) is draft


def test_the_wording_rules_catch_what_they_name() -> None:
    draft = Draft(
        content="Local time 17:00, 🇳🇿 NZ, speaks en; 1 days ago, 2 nudge(s)",
        embeds=({"title": "at <t:1:t>, UTC+14:00, 0 days", "description": "1 day, 2 days"},),
    )
    rules = sorted({problem.split(":")[0] for problem in wording_problems(draft)})
    assert rules == sorted(WORDING_RULES)
