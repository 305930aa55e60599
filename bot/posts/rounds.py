"""A round announced to the server."""

from __future__ import annotations

from typing import ClassVar, Literal

from bot.domain.calendar import add_months, applications_close, format_local_date
from bot.domain.wording import round_length
from bot.posts._text import when
from bot.posts.base import AnnouncementsTarget, Post, RenderContext
from bot.services.ports import Draft


class ApplicationsOpen(Post):
    """Applications are open: how to apply, for how long the round runs, and when they
    close (``round.applications_close_days_before`` the start, in the program's zone,
    shown as a Discord timestamp). The waitlist role is the only mention it may ping."""

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
        config = context.config
        closes = applications_close(round_.starts_on, config.round, config.program.timezone)
        four_months = add_months(round_.starts_on, 4) == round_.ends_on
        length = round_length(None if four_months else (round_.ends_on - round_.starts_on).days)
        text = context.messages.round.applications_open.format(
            role_mention=f"<@&{role_id}>",
            round_name=round_.name,
            round_length=length,
            starts_on=format_local_date(round_.starts_on),
            close_hint=(
                f"Applications close on {when(closes)}." if closes > context.as_of() else ""
            ),
        )
        return Draft(content=text.rstrip(), mention_role_ids=(role_id,))
