"""Contact posts: nudges to a quiet pair, and the coordinators' alert when they go unanswered."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from bot.domain.wording import once_every
from bot.posts._text import full_name, mentions, plural, varied
from bot.posts.base import (
    CaseTarget,
    CoordinatorsTarget,
    PartnershipPost,
    RenderContext,
    SpaceTarget,
)
from bot.posts.cases import for_case
from bot.services.ports import Draft
from bot.store.models import Partnership

MESSAGE_LIMIT = 2000
FALLBACK_TOPIC = "what you are each working on at the moment"


class Nudge(PartnershipPost):
    """``number`` counts the pair's nudges, so each gets the next wording."""

    kind: Literal["nudge"] = "nudge"
    event: ClassVar[str] = "nudge_posted"
    target: SpaceTarget
    tone: Literal["quiet", "one_sided"]
    recipients: tuple[int, ...]
    silent: tuple[int, ...]
    days: int
    number: int

    @property
    def name(self) -> str:
        return f"nudge:{self.number}"

    async def render(self, context: RenderContext) -> Draft | None:
        partnership = await live_partnership(context, self.partnership_id)
        if partnership is None:
            return None
        topic_title = await _current_topic_title(context, partnership)
        series = f"p{self.partnership_id}:nudge"
        nudge = context.messages.nudge
        days = plural(self.days, "day")
        if self.tone == "quiet":
            text = varied(nudge.quiet, series, self.number).format(
                mentions=mentions(self.recipients),
                days=days,
                topic_title=topic_title,
                contact_every=once_every(context.config.nudges.quiet_after_days),
            )
        else:
            text = varied(nudge.one_sided, series, self.number).format(
                silent_mention=mentions(self.recipients), days=days, topic_title=topic_title
            )
        return Draft(content=text, mention_ids=self.recipients)


class Escalation(PartnershipPost):
    """Nudges went unanswered: a follow-up in the pair's case (queued with
    :func:`bot.posts.cases.on_case`; a row queued before cases went to the channel)."""

    kind: Literal["escalation"] = "escalation"
    event: ClassVar[str] = "coordinator_alerted"
    target: CaseTarget | CoordinatorsTarget = CoordinatorsTarget()
    days: int
    nudges: int
    away_summary: str
    silent: tuple[int, ...]
    number: int

    @property
    def name(self) -> str:
        return f"escalation:{self.number}"

    async def render(self, context: RenderContext) -> Draft | None:
        partnership = await context.reads.partnership(self.partnership_id)
        if partnership is None:
            return None
        text = context.messages.coordinator.escalation.format(
            partnership_name=partnership.name,
            days_since_contact=plural(self.days, "day"),
            nudges=plural(self.nudges, "reminder"),
            away_summary=self.away_summary,
        )
        people = await context.reads.people(list(partnership.member_ids))
        names = [full_name(people.get(m), m) for m in partnership.member_ids]
        lines = [text, f"Partners: {', '.join(names)}"]
        if self.silent and len(self.silent) < len(partnership.member_ids):
            quiet = [full_name(people.get(m), m) for m in self.silent]
            lines.append(f"Not heard from: {', '.join(quiet)}")
        if partnership.channel_id is not None:
            lines.append(f"Space: {context.port.channel_link(partnership.channel_id)}")
        return await for_case(context, self.target, Draft(content="\n".join(lines)[:MESSAGE_LIMIT]))

    def case_summary(self) -> str:
        return f"No contact for {plural(self.days, 'day')} after {plural(self.nudges, 'reminder')}"


async def live_partnership(context: RenderContext, partnership_id: int) -> Partnership | None:
    """The partnership while it is active and has its space; posts to it stop otherwise."""
    partnership = await context.reads.partnership(partnership_id)
    if partnership is None or partnership.state != "active" or partnership.channel_id is None:
        return None
    return partnership


async def _current_topic_title(context: RenderContext, partnership: Partnership) -> str:
    """The round's latest posted topic; before any is posted, the first one."""
    topics = await context.reads.topics(partnership.round_id)
    posted = [t for t in topics if t.posted_at is not None]
    if posted:
        return max(posted, key=lambda t: (t.posted_at or datetime.min, t.position)).title
    return topics[0].title if topics else FALLBACK_TOPIC
