"""A partnership's private space: opening it, the introduction, and archiving it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal

from bot.domain.applications import Application
from bot.domain.calendar import format_local_date
from bot.domain.places import country_name
from bot.posts._text import (
    EMBED_COLOUR,
    flag,
    join_names,
    local_time,
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
    """Both partners introduced, why they were matched, and the guidelines; pinned."""

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
        header = context.messages.intro.header.format(
            names=names, round_name=round_.name, end_date=format_local_date(round_.ends_on)
        )
        embeds = []
        for member_id in partnership.member_ids:
            application = await store.people.application(round_.id, member_id)
            if application is not None:
                embeds.append(_partner_embed(context, application))
        if partnership.reasons:
            embeds.append(
                {
                    "title": context.messages.intro.why_matched_title,
                    "description": "\n".join(f"- {r}" for r in partnership.reasons)[:4096],
                    "color": EMBED_COLOUR,
                }
            )
        guidelines = context.messages.guidelines
        embeds.append(
            {"title": guidelines.title, "description": guidelines.body, "color": EMBED_COLOUR}
        )
        return Draft(
            content=f"{mentions(partnership.member_ids)}\n{header}",
            embeds=tuple(embeds),
            pin=True,
            mention_ids=partnership.member_ids,
        )


def _partner_embed(context: RenderContext, application: Application) -> dict[str, Any]:
    stage = application.career_stage.value.replace("_", " ")
    fields = []
    if application.called != application.name:
        fields.append(("Full name", application.name))
    fields += [
        (
            "Role",
            f"{stage.capitalize()}-career, {application.sector.value} library"
            if stage != "student"
            else f"Student, {application.sector.value} libraries",
        ),
        ("Institution", application.institution),
        ("Country", f"{flag(application.country)} {country_name(application.country)}"),
        ("Local time", local_time(application.timezone, context.clock.now())),
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
