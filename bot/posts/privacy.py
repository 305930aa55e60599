"""What an erasure tells people: the partners who stay, and the coordinators.

Neither names the erased person: the work stays in the outbox after it is done, and an
erasure leaves no row that names them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar, Literal

from bot.posts._text import discord_time, mentions
from bot.posts.base import (
    CoordinatorsTarget,
    PartnershipPost,
    Post,
    PrivateTarget,
    Receipt,
    RenderContext,
    SpaceTarget,
)
from bot.posts.spaces import ArchiveSpace
from bot.services.ports import Draft
from bot.store.effects import Effect, Enqueue, Scheduled

THREADS_SHOWN = 20


class PartnerErased(PartnershipPost):
    """A kind notice to the partners who stay, never saying why: in the space, which is
    then archived on the usual terms, or privately to each when the space is not open
    yet."""

    kind: Literal["partner_erased"] = "partner_erased"
    event: ClassVar[str] = "partner_erased_told"
    target: SpaceTarget | PrivateTarget

    @property
    def name(self) -> str:
        if isinstance(self.target, PrivateTarget):
            return f"partner_erased:to:{self.target.user_id}"
        return "partner_erased"

    async def render(self, context: RenderContext) -> Draft | None:
        partnership = await context.reads.partnership(self.partnership_id)
        if partnership is None:
            return None
        if isinstance(self.target, PrivateTarget):
            told: tuple[int, ...] = (self.target.user_id,)
        else:
            told = partnership.current_member_ids
        if not told:
            return None
        text = context.messages.privacy.partner_left.format(mentions=mentions(told))
        return Draft(content=text, mention_ids=told)

    def effects(self, receipt: Receipt, now: datetime) -> Sequence[Effect]:
        if isinstance(self.target, PrivateTarget):
            return ()
        return (Enqueue((Scheduled(ArchiveSpace(partnership_id=self.partnership_id), now),)),)


class ErasureNotice(Post):
    """Tells the coordinators an erasure happened, by its reference only, and which case
    threads may still quote the person (the bot's earlier posts stay in Discord)."""

    kind: Literal["erasure_notice"] = "erasure_notice"
    event: ClassVar[str] = "coordinators_told_of_erasure"
    target: CoordinatorsTarget = CoordinatorsTarget()
    reference: str
    at: datetime
    by_coordinator: bool
    ended: int
    threads: tuple[int, ...] = ()

    @property
    def key(self) -> str:
        return f"privacy:erased:{self.reference}:{int(self.at.timestamp())}"

    async def render(self, context: RenderContext) -> Draft | None:
        who = "a coordinator, at the member's request" if self.by_coordinator else "the member"
        lines = [
            f"A member's personal data was erased {discord_time(self.at, 'f')}, "
            f"asked for by {who} (reference `{self.reference}`, in `/audit`)."
        ]
        if self.ended:
            lines.append(
                f"Their partnership{'s' if self.ended > 1 else ''} ended; the partner was "
                "told kindly, and the pair's case says who may need a new partner."
            )
        if self.threads:
            threads = ", ".join(f"<#{thread}>" for thread in self.threads[:THREADS_SHOWN])
            if len(self.threads) > THREADS_SHOWN:
                threads += f" and {len(self.threads) - THREADS_SHOWN} more"
            lines.append(
                f"The bot's earlier posts stay in Discord, and these case threads may quote "
                f"them: {threads}. Delete what the request covers."
            )
        lines.append("Their own messages in Discord are theirs; the bot did not touch them.")
        return Draft(content="\n".join(lines))
