"""The regular private check-in: the ask in the space, by direct message to those who want
it, and the coordinators' alert when someone answers "not working"."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import ClassVar, Literal

from bot.domain.calendar import Series
from bot.domain.checkins import RATING_LABELS
from bot.domain.wording import cadence
from bot.posts._text import full_name, mentions, preferred_name
from bot.posts.away import superseded
from bot.posts.base import (
    ActionContext,
    CaseTarget,
    CoordinatorsTarget,
    DirectTarget,
    PartnershipPost,
    Receipt,
    RenderContext,
    SpaceTarget,
)
from bot.posts.cases import for_case
from bot.posts.contact import live_partnership
from bot.services.ports import ButtonSpec, DirectMessagesClosed, Draft

COMMENT_LIMIT = 1000
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckinButton(ButtonSpec):
    """Opens the private answer to check-in ``sequence``."""

    partnership_id: int
    sequence: int


class CheckinPrompt(PartnershipPost):
    kind: Literal["checkin_prompt"] = "checkin_prompt"
    event: ClassVar[str] = "checkin_sent"
    target: SpaceTarget
    sequence: int

    @property
    def name(self) -> str:
        return f"checkin:{self.sequence}"

    async def render(self, context: RenderContext) -> Draft | None:
        partnership = await live_partnership(context, self.partnership_id)
        if partnership is None:
            return None
        if await superseded(context, partnership, Series.CHECKIN, self.sequence):
            return None
        members = partnership.current_member_ids
        every = cadence(context.config.round.checkin_every_days)
        return Draft(
            content=context.messages.checkin.prompt.format(
                mentions=mentions(members), cadence=every
            ),
            buttons=(CheckinButton(partnership.id, self.sequence),),
            mention_ids=members,
        )


class CheckinDm(PartnershipPost):
    """The same question by direct message, for a member who asked for that.

    Only ever a direct message: the question is in the space already (on its own or on a
    topic's post), so a member whose direct messages are closed answers it there, and a
    second copy in the space would only repeat it to both partners."""

    kind: Literal["checkin_dm"] = "checkin_dm"
    event: ClassVar[str] = "checkin_dm_sent"
    target: DirectTarget
    sequence: int
    member_id: int

    @property
    def name(self) -> str:
        return f"checkin:{self.sequence}:dm:{self.member_id}"

    async def render(self, context: RenderContext) -> Draft | None:
        partnership = await live_partnership(context, self.partnership_id)
        if partnership is None:
            return None
        if await superseded(context, partnership, Series.CHECKIN, self.sequence):
            return None
        person = await context.reads.participant(self.member_id)
        assert partnership.channel_id is not None
        text = context.messages.checkin.dm.format(
            member_name=preferred_name(person),
            channel_link=context.port.channel_link(partnership.channel_id),
            cadence=cadence(context.config.round.checkin_every_days),
        )
        return Draft(content=text, buttons=(CheckinButton(partnership.id, self.sequence),))

    async def perform(self, context: ActionContext, nonce: str) -> Receipt | None:
        # A row queued before the question stopped falling back to the space still names
        # the space: it goes to the member's direct messages only, too.
        direct = self.model_copy(update={"target": DirectTarget(user_id=self.target.user_id)})
        try:
            return await PartnershipPost.perform(direct, context, nonce)
        except DirectMessagesClosed:
            log.info(
                "check-in %s: DMs closed for %s; the space has it", self.sequence, self.member_id
            )
            return None


class CheckinAlert(PartnershipPost):
    """A "not working" answer: a follow-up in the pair's case."""

    kind: Literal["checkin_alert"] = "checkin_alert"
    event: ClassVar[str] = "coordinator_alerted"
    target: CaseTarget | CoordinatorsTarget = CoordinatorsTarget()
    member_id: int
    sequence: int

    @property
    def name(self) -> str:
        return f"checkin:{self.sequence}:alert:{self.member_id}"

    async def render(self, context: RenderContext) -> Draft | None:
        partnership = await context.reads.partnership(self.partnership_id)
        if partnership is None:
            return None
        answers = await context.store.activity.checkins(partnership.id)
        answer = next(
            (
                a
                for a in answers
                if a.participant_id == self.member_id and a.sequence == self.sequence
            ),
            None,
        )
        if answer is None or answer.rating != "not_working":
            return None  # the member changed their answer before it went out
        person = await context.reads.participant(self.member_id)
        text = context.messages.checkin.coordinator_alert.format(
            member_name=full_name(person, self.member_id),
            partnership_name=partnership.name,
            rating=RATING_LABELS[answer.rating],
            comment=(answer.comment or "(no comment)")[:COMMENT_LIMIT],
        )
        return await for_case(context, self.target, Draft(content=text))

    def case_summary(self) -> str:
        return f"<@{self.member_id}> answered check-in {self.sequence}: Not working"
