"""A partner who left the server."""

from __future__ import annotations

from typing import ClassVar, Literal

from bot.posts._text import full_name
from bot.posts.base import (
    ActionContext,
    CaseTarget,
    CoordinatorsTarget,
    PartnershipPost,
    Receipt,
    RenderContext,
    Work,
)
from bot.posts.cases import for_case
from bot.services.ports import Draft


class RemoveFromSpace(Work):
    """A partner who left the server loses access to the space, so rejoining later does
    not bring it back."""

    kind: Literal["remove_from_space"] = "remove_from_space"
    event: ClassVar[str] = "partner_removed"
    partnership_id: int
    member_id: int

    @property
    def key(self) -> str:
        return f"p{self.partnership_id}:remove:{self.member_id}"

    async def perform(self, context: ActionContext, nonce: str) -> Receipt | None:
        removed = await context.spaces.remove(self.partnership_id, self.member_id)
        return Receipt() if removed else None


class PartnerLeft(PartnershipPost):
    """A follow-up in the pair's case."""

    kind: Literal["partner_left"] = "partner_left"
    event: ClassVar[str] = "coordinator_alerted"
    target: CaseTarget | CoordinatorsTarget = CoordinatorsTarget()
    member_id: int

    @property
    def name(self) -> str:
        return f"left:{self.member_id}"

    async def render(self, context: RenderContext) -> Draft | None:
        partnership = await context.reads.partnership(self.partnership_id)
        if partnership is None:
            return None
        person = await context.reads.participant(self.member_id)
        text = context.messages.coordinator.partner_left.format(
            member_name=full_name(person, self.member_id),
            partnership_name=partnership.name,
        )
        return await for_case(context, self.target, Draft(content=text))

    def case_summary(self) -> str:
        return f"<@{self.member_id}> left the server"
