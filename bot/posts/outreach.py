"""The message to each applicant left without a partner after matching."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from bot.domain.matching import UnmatchedCause
from bot.domain.places import country_name, language_name
from bot.posts._text import join_names, preferred_name
from bot.posts.base import Post, PrivateTarget, RenderContext
from bot.services.ports import ButtonSpec, Draft
from bot.store.models import LIVE_STATES

OutreachChoice = Literal["keep", "trio", "talk"]


@dataclass(frozen=True)
class UnmatchedButton(ButtonSpec):
    """An unmatched applicant's answer: keep me on the list, I would join a trio, or talk to
    a coordinator."""

    round_id: int
    choice: OutreachChoice


class UnmatchedNotice(Post):
    """Why, in plain words, and what they would like to do next; once per applicant and
    round (its key), privately."""

    kind: Literal["unmatched_notice"] = "unmatched_notice"
    event: ClassVar[str] = "unmatched_told"
    target: PrivateTarget
    round_id: int
    cause: UnmatchedCause

    @property
    def key(self) -> str:
        return f"r{self.round_id}:unmatched:{self.target.user_id}"

    async def render(self, context: RenderContext) -> Draft | None:
        member = self.target.user_id
        round_ = await context.reads.round(self.round_id)
        application = await context.store.people.application(self.round_id, member)
        if round_ is None or application is None:
            return None  # withdrew meanwhile
        partnerships = await context.store.partnerships.for_member(member)
        if any(p.round_id == self.round_id and p.state in LIVE_STATES for p in partnerships):
            return None  # a coordinator found them a partner before this went out
        outreach = context.messages.outreach
        if self.cause == "language":
            reason = outreach.reason_language.format(
                languages=join_names([language_name(code) for code in application.languages])
            )
        elif self.cause == "country":
            reason = outreach.reason_country.format(country=country_name(application.country))
        elif self.cause == "history":
            reason = outreach.reason_history
        else:
            reason = outreach.reason_odd_one_out
        person = await context.reads.participant(member)
        text = outreach.unmatched.format(
            member_name=preferred_name(person), round_name=round_.name, reason=reason
        )
        buttons = tuple(UnmatchedButton(self.round_id, c) for c in ("keep", "trio", "talk"))
        # In a private thread (DMs closed) the mention is what tells them it is there.
        return Draft(content=f"<@{member}> {text}", buttons=buttons, mention_ids=(member,))
