"""A partnership a coordinator ended early: the kind notice in its space."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar, Literal

from bot.posts._text import mentions
from bot.posts.base import PartnershipPost, Receipt, RenderContext, SpaceTarget
from bot.posts.spaces import ArchiveSpace
from bot.services.ports import Draft
from bot.store.effects import Effect, Enqueue, Scheduled


class PairEnded(PartnershipPost):
    """Never says why (the coordinator's reason is for coordinators); once it is out the
    space is archived on the usual terms."""

    kind: Literal["pair_ended"] = "pair_ended"
    event: ClassVar[str] = "pair_ended_posted"
    target: SpaceTarget

    @property
    def name(self) -> str:
        return "ended_early"

    async def render(self, context: RenderContext) -> Draft | None:
        partnership = await context.reads.partnership(self.partnership_id)
        if partnership is None:
            return None
        current = tuple(m.participant_id for m in partnership.members if m.left_at is None)
        text = context.messages.pairs.ended.format(mentions=mentions(current))
        return Draft(content=text, mention_ids=current)

    def effects(self, receipt: Receipt, now: datetime) -> Sequence[Effect]:
        return (Enqueue((Scheduled(ArchiveSpace(partnership_id=self.partnership_id), now),)),)
