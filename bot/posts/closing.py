"""The end of a partnership: the reminder before it, and the close itself."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal

from bot.domain.calendar import close_instant
from bot.domain.wording import span
from bot.posts._text import mentions, when
from bot.posts.base import PartnershipPost, Receipt, RenderContext, SpaceTarget
from bot.posts.spaces import ArchiveSpace
from bot.services.ports import ButtonSpec, Draft
from bot.store.effects import Effect, Enqueue, Scheduled


@dataclass(frozen=True)
class EndChoiceButton(ButtonSpec):
    """A partner's wish for after the round: keep the space, or wrap up."""

    partnership_id: int
    choice: Literal["keep", "wrap"]


@dataclass(frozen=True)
class FeedbackButton(ButtonSpec):
    partnership_id: int


class EndReminder(PartnershipPost):
    kind: Literal["end_reminder"] = "end_reminder"
    event: ClassVar[str] = "end_reminder_posted"
    target: SpaceTarget

    @property
    def name(self) -> str:
        return "end_reminder"

    async def render(self, context: RenderContext) -> Draft | None:
        partnership = await context.reads.partnership(self.partnership_id)
        if partnership is None:
            return None
        round_ = await context.reads.round(partnership.round_id)
        assert round_ is not None
        members = partnership.current_member_ids
        zones = list((await context.zones.of(members)).values())
        ends = close_instant(round_.ends_on, context.config.round.post_hour, zones)
        text = context.messages.end.reminder.format(
            mentions=mentions(members),
            time_left=span(context.config.round.end_reminder_days_before),
            end_date=when(ends, "D"),
        )
        return Draft(
            content=text,
            buttons=(
                EndChoiceButton(partnership.id, "keep"),
                EndChoiceButton(partnership.id, "wrap"),
            ),
            mention_ids=members,
        )


class Closing(PartnershipPost):
    """The last message of the round; once it is out the space is archived (or kept open)."""

    kind: Literal["closing"] = "closing"
    event: ClassVar[str] = "closing_posted"
    target: SpaceTarget

    @property
    def name(self) -> str:
        return "closing"

    async def render(self, context: RenderContext) -> Draft | None:
        partnership = await context.reads.partnership(self.partnership_id)
        if partnership is None:
            return None
        round_ = await context.reads.round(partnership.round_id)
        assert round_ is not None
        end = context.messages.end
        members = partnership.current_member_ids
        parts = [
            end.closing.format(mentions=mentions(members), round_name=round_.name),
            end.kept_open_note if partnership.stays_open else end.archived_note,
            end.feedback_prompt,
            end.notify_me_invite,
        ]
        return Draft(
            content="\n\n".join(parts)[:2000],
            buttons=(FeedbackButton(partnership.id),),
            mention_ids=members,
        )

    def effects(self, receipt: Receipt, now: datetime) -> Sequence[Effect]:
        return (Enqueue((Scheduled(ArchiveSpace(partnership_id=self.partnership_id), now),)),)
