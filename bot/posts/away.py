"""Time away: the note to the partner, the welcome back, and the regular availability ask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar, Literal

from bot.content import pick
from bot.domain.calendar import Series
from bot.domain.wording import cadence
from bot.posts._text import discord_time, mentions, varied
from bot.posts.base import PartnershipPost, RenderContext, SpaceTarget
from bot.posts.contact import live_partnership
from bot.services.ports import ButtonSpec, Draft
from bot.store.models import Partnership


@dataclass(frozen=True)
class NoChangesButton(ButtonSpec):
    partnership_id: int


@dataclass(frozen=True)
class AddDatesButton(ButtonSpec):
    partnership_id: int


class AwayNoted(PartnershipPost):
    """Tells the partner, in each of the member's spaces, when the member will be away."""

    kind: Literal["away_noted"] = "away_noted"
    event: ClassVar[str] = "away_noted"
    target: SpaceTarget
    away_id: int

    @property
    def key(self) -> str:
        return f"away:{self.away_id}:noted:{self.partnership_id}"

    async def render(self, context: RenderContext) -> Draft | None:
        partnership = await live_partnership(context, self.partnership_id)
        period = await context.store.activity.away_period(self.away_id)
        if partnership is None or period is None or period.cancelled_at is not None:
            return None
        # The period runs from the member's first day away to the end of their last; the
        # partner reads both days in their own zone.
        last = period.ends_at - timedelta(seconds=1)
        text = context.messages.away.noted.format(
            member_mention=f"<@{period.participant_id}>",
            start=discord_time(period.starts_at, "D"),
            end=discord_time(last, "D"),
            note=f"Note: {period.note}" if period.note else "",
        )
        return Draft(content=text.strip(), mention_ids=(period.participant_id,))


class WelcomeBack(PartnershipPost):
    kind: Literal["welcome_back"] = "welcome_back"
    event: ClassVar[str] = "welcome_back_posted"
    target: SpaceTarget
    away_id: int

    @property
    def key(self) -> str:
        return f"away:{self.away_id}:back:{self.partnership_id}"

    async def render(self, context: RenderContext) -> Draft | None:
        partnership = await live_partnership(context, self.partnership_id)
        period = await context.store.activity.away_period(self.away_id)
        if partnership is None or period is None or period.cancelled_at is not None:
            return None
        if period.participant_id not in partnership.member_ids:
            return None
        text = pick(context.messages.away.welcome_back, f"away:{period.id}").format(
            member_mention=f"<@{period.participant_id}>"
        )
        return Draft(content=text, mention_ids=(period.participant_id,))


class AvailabilityAsk(PartnershipPost):
    kind: Literal["availability_ask"] = "availability_ask"
    event: ClassVar[str] = "availability_asked"
    target: SpaceTarget
    sequence: int

    @property
    def name(self) -> str:
        return f"availability:{self.sequence}"

    async def render(self, context: RenderContext) -> Draft | None:
        partnership = await live_partnership(context, self.partnership_id)
        if partnership is None:
            return None
        if await superseded(context, partnership, Series.AVAILABILITY, self.sequence):
            return None
        members = partnership.current_member_ids
        text = varied(context.messages.availability.ask, f"p{partnership.id}", self.sequence)
        every = context.config.round.availability_every_days
        return Draft(
            content=text.format(mentions=mentions(members), cadence=cadence(every)),
            buttons=(NoChangesButton(partnership.id), AddDatesButton(partnership.id)),
            mention_ids=members,
        )


async def superseded(
    context: RenderContext, partnership: Partnership, series: Series, sequence: int
) -> bool:
    """Whether a later ask of the same series is already due: after downtime only the
    latest one goes out, so a pair is not asked the same question twice in a row."""
    latest = context.schedule.latest(partnership.id, series, context.as_of())
    return latest is not None and latest > sequence
