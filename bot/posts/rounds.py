"""A round announced to the server."""

from __future__ import annotations

from typing import ClassVar, Literal

from bot.domain.calendar import format_local_date
from bot.posts.base import AnnouncementsTarget, Post, RenderContext
from bot.services.ports import Draft


class ApplicationsOpen(Post):
    """Applications are open: the waitlist role is the only mention it may ping."""

    kind: Literal["applications_open"] = "applications_open"
    event: ClassVar[str] = "applications_announced"
    target: AnnouncementsTarget = AnnouncementsTarget()
    round_id: int

    @property
    def key(self) -> str:
        return f"r{self.round_id}:applications_open"

    async def render(self, context: RenderContext) -> Draft | None:
        round_ = await context.reads.round(self.round_id)
        if round_ is None:
            return None
        role_id = await context.port.waitlist_role()
        text = context.messages.round.applications_open.format(
            role_mention=f"<@&{role_id}>",
            round_name=round_.name,
            close_hint=f"Partnerships start on {format_local_date(round_.starts_on)}.",
        )
        return Draft(content=text, mention_role_ids=(role_id,))
