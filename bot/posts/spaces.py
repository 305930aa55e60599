"""A partnership's private space: opening it, the introduction, and archiving it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time
from typing import Any, ClassVar, Literal

from bot.domain.applications import Application, CareerStage, Sector
from bot.domain.calendar import close_instant
from bot.domain.call_hours import call_hours
from bot.domain.events import WORKING_WEEKDAYS
from bot.domain.places import country_name, language_name, timezone_label
from bot.domain.wording import once_every, plural
from bot.posts._text import (
    EMBED_COLOUR,
    discord_time,
    flag,
    join_names,
    mentions,
    preferred_name,
)
from bot.posts.base import (
    ActionContext,
    PartnershipPost,
    Receipt,
    RenderContext,
    SpaceTarget,
    Work,
)
from bot.services.ports import Draft
from bot.store.effects import Effect, Enqueue, Scheduled, SetChannel, SetPartnershipState

FIELD_LIMIT = 1024


class OpenSpace(Work):
    """Create a confirmed partnership's space (adopting one a crash left behind); once it
    exists the partnership is active and its introduction is queued, in one transaction."""

    kind: Literal["open_space"] = "open_space"
    event: ClassVar[str] = "space_opened"
    partnership_id: int

    @property
    def key(self) -> str:
        return f"p{self.partnership_id}:open_space"

    async def perform(self, context: ActionContext, nonce: str) -> Receipt | None:
        channel_id = await context.spaces.open(self.partnership_id)
        return None if channel_id is None else Receipt(channel_id=channel_id)

    def effects(self, receipt: Receipt, now: datetime) -> Sequence[Effect]:
        assert receipt.channel_id is not None
        intro = Intro(
            partnership_id=self.partnership_id, target=SpaceTarget(channel_id=receipt.channel_id)
        )
        return (
            SetChannel(self.partnership_id, receipt.channel_id),
            SetPartnershipState(self.partnership_id, "active"),
            Enqueue((Scheduled(intro, now),)),
        )


class ArchiveSpace(Work):
    """After the close: a read-only archive, or left open when every partner keeps in touch."""

    kind: Literal["archive_space"] = "archive_space"
    event: ClassVar[str] = "space_closed"
    partnership_id: int

    @property
    def key(self) -> str:
        return f"p{self.partnership_id}:archive_space"

    async def perform(self, context: ActionContext, nonce: str) -> Receipt | None:
        await context.spaces.archive(self.partnership_id)
        return Receipt()

    def effects(self, receipt: Receipt, now: datetime) -> Sequence[Effect]:
        return (SetPartnershipState(self.partnership_id, "ended"),)


class Intro(PartnershipPost):
    """Both partners introduced, their best hours for a call, why they were matched, and
    the guidelines; pinned."""

    kind: Literal["intro"] = "intro"
    event: ClassVar[str] = "intro_posted"
    target: SpaceTarget

    @property
    def name(self) -> str:
        return "intro"

    async def render(self, context: RenderContext) -> Draft | None:
        store = context.store
        partnership = await context.reads.partnership(self.partnership_id)
        if partnership is None:
            return None
        round_ = await context.reads.round(partnership.round_id)
        assert round_ is not None
        people = await context.reads.people(partnership.member_ids)
        names = join_names([preferred_name(people.get(m)) for m in partnership.member_ids])
        zones = list((await context.zones.of(partnership.member_ids)).values())
        ends = close_instant(round_.ends_on, context.config.round.post_hour, zones)
        # What the intro shows is worked out from a moment of its own, not from the clock:
        # sent again after an outage, it reads exactly as before and is found, not doubled.
        since = max(datetime.combine(round_.starts_on, time(0), tzinfo=UTC), partnership.created_at)
        intro = context.messages.intro
        header = intro.header.format(
            names=names, round_name=round_.name, end_date=discord_time(ends, "D")
        )
        embeds = []
        for member_id in partnership.member_ids:
            application = await store.people.application(round_.id, member_id)
            if application is not None:
                embeds.append(_partner_embed(application, since))
        embeds.append(
            {
                "title": intro.call_hours_title,
                "description": call_hours_text(context, zones, since),
                "color": EMBED_COLOUR,
            }
        )
        if partnership.reasons:
            embeds.append(
                {
                    "title": intro.why_matched_title,
                    "description": "\n".join(f"- {r}" for r in partnership.reasons)[:4096],
                    "color": EMBED_COLOUR,
                }
            )
        guidelines = context.messages.guidelines
        contact_every = once_every(context.config.nudges.quiet_after_days)
        embeds.append(
            {
                "title": guidelines.title,
                "description": guidelines.body.format(contact_every=contact_every),
                "color": EMBED_COLOUR,
            }
        )
        return Draft(
            content=f"{mentions(partnership.member_ids)}\n{header}",
            embeds=tuple(embeds),
            pin=True,
            mention_ids=partnership.member_ids,
        )


def call_hours_text(context: RenderContext, zones: Sequence[str], since: datetime) -> str:
    """The partners' best hours for a call in the week from ``since``, in each reader's own
    time."""
    found = call_hours(zones, since)
    intro = context.messages.intro
    if found.usual is not None:
        usual = found.usual
        days = (
            "on every working day"
            if found.days >= len(WORKING_WEEKDAYS)
            else f"on {plural(found.days, 'day', words=True)} a week"
        )
        return intro.call_hours.format(
            hours=f"{discord_time(usual.starts_at, 't')} – {discord_time(usual.ends_at, 't')}",
            days=days,
            next=discord_time(usual.starts_at, "R"),
        )
    gap = found.gap
    if gap is None:  # a pair in one zone is always at work together; kept for safety
        return intro.no_call_hours.format(gap="the start of the day")
    shown = discord_time(gap.starts_at, "t")
    if gap.length:
        shown += f" – {discord_time(gap.ends_at, 't')}"
    return intro.no_call_hours.format(gap=shown)


STAGES = {
    CareerStage.EARLY: "Early-career",
    CareerStage.MID: "Mid-career",
    CareerStage.LATE: "Late-career",
}
SECTORS = {
    Sector.PUBLIC: "a public library",
    Sector.ACADEMIC: "an academic library",
    Sector.SCHOOL: "a school library",
    Sector.SPECIAL: "a special library",
    Sector.NATIONAL: "a national library",
    Sector.OTHER: "another kind of library",
}
STUDENT_SECTORS = {
    Sector.PUBLIC: "public libraries",
    Sector.ACADEMIC: "academic libraries",
    Sector.SCHOOL: "school libraries",
    Sector.SPECIAL: "special libraries",
    Sector.NATIONAL: "national libraries",
    Sector.OTHER: "libraries of every kind",
}


def role_phrase(stage: CareerStage, sector: Sector) -> str:
    """``Mid-career, in an academic library``; ``Studying, with an eye on school libraries``."""
    if stage is CareerStage.STUDENT:
        return f"Studying, with an eye on {STUDENT_SECTORS[sector]}"
    return f"{STAGES[stage]}, in {SECTORS[sector]}"


def _partner_embed(application: Application, now: datetime) -> dict[str, Any]:
    fields = []
    if application.called != application.name:
        fields.append(("Full name", application.name))
    fields += [
        ("Role", role_phrase(application.career_stage, application.sector)),
        ("Institution", application.institution),
        ("Country", f"{flag(application.country)} {country_name(application.country)}"),
        ("Time zone", timezone_label(application.timezone, now)),
        ("Languages", join_names([language_name(code) for code in application.languages])),
        ("Interests", ", ".join(application.interests) or "not given"),
        ("Hopes for the partnership", application.hopes or "not given"),
    ]
    if application.returning_note:
        fields.append(("Returning: what I'd like to do differently", application.returning_note))
    contact = contact_lines(application)
    if contact:
        fields.append((f"How to reach {application.called}", "\n".join(contact)))
    return {
        "title": application.called[:256],
        "color": EMBED_COLOUR,
        "fields": [
            {"name": name, "value": value[:FIELD_LIMIT], "inline": len(value) < 40}
            for name, value in fields
        ],
    }


def contact_lines(application: Application) -> list[str]:
    """What the applicant agreed to show their partner, and nothing else: the e-mail only
    when they said yes, other ways to reach them as they wrote them."""
    lines = []
    if application.shared_email:
        lines.append(f"E-mail: {application.shared_email}")
    if application.other_contact:
        lines.append(application.other_contact)
    return lines
