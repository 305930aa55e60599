"""#welcometomydesk: the bot's reply in a member's desk post (with "Feature my desk"), and
the regular feature in the announcements channel (``desks.feature_every_days``): a jump
link and the author's own caption, never a copy of the photo."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Literal

from bot.domain.wording import MONTHLY, every
from bot.posts._text import hashtags
from bot.posts.base import AnnouncementsTarget, Post, RenderContext, ThreadTarget
from bot.services.ports import ButtonSpec, Draft


@dataclass(frozen=True)
class FeatureDeskButton(ButtonSpec):
    """ "Feature my desk" on the bot's reply in one desk post (only its author may press)."""

    thread_id: int


class DeskWelcome(Post):
    """Thanks the author in their post and offers, by consent, to feature it."""

    kind: Literal["desk_welcome"] = "desk_welcome"
    event: ClassVar[str] = "desk_welcomed"
    target: ThreadTarget
    author_id: int

    @property
    def key(self) -> str:
        return f"desk:{self.target.thread_id}:welcome"

    async def render(self, context: RenderContext) -> Draft | None:
        tags = hashtags([context.config.desks.hashtag, context.config.hashtags.program])
        feature_days = context.config.desks.feature_every_days
        return Draft(
            content=(
                f"Thank you for sharing your workspace, <@{self.author_id}>! "
                f"{every(feature_days).capitalize()} we feature one desk in the announcements "
                "channel, with a link to its post and a caption in its author's words (never "
                "a copy of the photo). If you would like yours to be one of them, press "
                f"**Feature my desk** and write your caption. {tags}"
            ),
            buttons=(FeatureDeskButton(self.target.thread_id),),
            mention_ids=(self.author_id,),
        )


class DeskFeature(Post):
    """The featured desk: recorded as featured when queued (see
    :class:`~bot.store.effects.FeatureDesk`), so nobody is featured twice."""

    kind: Literal["desk_feature"] = "desk_feature"
    event: ClassVar[str] = "desk_featured"
    target: AnnouncementsTarget = AnnouncementsTarget()
    thread_id: int
    slot: date

    @property
    def key(self) -> str:
        return f"desk:feature:{self.slot.isoformat()}"

    async def render(self, context: RenderContext) -> Draft | None:
        desk = await context.store.desks.get(self.thread_id)
        if desk is None or desk.caption is None:
            return None  # the author withdrew their consent meanwhile
        tags = hashtags([context.config.desks.hashtag, context.config.hashtags.program])
        title = _feature_title(context.config.desks.feature_every_days)
        return Draft(
            content=(
                f"**{title}**: <@{desk.author_id}>'s workspace.\n"
                f"> {desk.caption}\n{context.port.channel_link(self.thread_id)}\n"
                f"Share yours in the desk forum with {tags}"
            ),
            mention_ids=(desk.author_id,),
        )


def _feature_title(days: int) -> str:
    """``Desk of the fortnight`` (``week``, ``month``), or ``Featured desk`` for any other
    rhythm."""
    period = {7: "week", 14: "fortnight"}.get(days, "month" if days in MONTHLY else None)
    return f"Desk of the {period}" if period else "Featured desk"
