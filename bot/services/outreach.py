"""Applicants left without a partner: told once why, privately, after ``/match confirm``;
their answers stored, shown to coordinators and used by ``/pair rematch``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.domain.matching import MatchResult
from bot.posts.base import PrivateTarget
from bot.posts.outreach import OutreachChoice, UnmatchedNotice
from bot.services.cases import CaseService
from bot.services.errors import UserFacingError
from bot.services.ports import DiscordPort
from bot.store import Scheduled, Store
from bot.store.models import LIVE_STATES, Round, UnmatchedAnswer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnmatchedPerson:
    """One line of ``/match unmatched``."""

    member_id: int
    reasons: tuple[str, ...]
    told_at: datetime | None
    answer: UnmatchedAnswer | None
    partnered_in: str | None  # a partnership a coordinator made for them since


def notices(round_: Round, result: MatchResult, now: datetime) -> list[Scheduled]:
    """One private message per unmatched applicant (keyed, so once ever)."""
    return [
        Scheduled(
            UnmatchedNotice(
                target=PrivateTarget(user_id=person.discord_id),
                round_id=round_.id,
                cause=person.cause,
            ),
            now,
        )
        for person in result.unmatched
    ]


class OutreachService:
    def __init__(self, store: Store, clock: Clock, port: DiscordPort, cases: CaseService):
        self._store = store
        self._clock = clock
        self._port = port
        self._cases = cases

    async def check(self, round_id: int, user_id: int) -> Round:
        """The round, when ``user_id`` applied to it and has no partnership in it."""
        round_ = await self._store.rounds.get(round_id)
        if round_ is None or await self._store.people.application(round_id, user_id) is None:
            raise UserFacingError(
                "This message was for applicants of a round you did not apply to, so there "
                "is nothing to answer here."
            )
        for partnership in await self._store.partnerships.for_member(user_id):
            if partnership.round_id == round_id and partnership.state in LIVE_STATES:
                raise UserFacingError(
                    f"Good news: you have a partner in {round_.name} now, in your space "
                    f"**{partnership.name}**. Nothing more to choose here."
                )
        return round_

    async def answer(self, round_id: int, user_id: int, choice: OutreachChoice) -> None:
        """Store the applicant's answer (a later press replaces it); "keep me on the list"
        also puts them on the list that round announcements mention."""
        await self.check(round_id, user_id)
        now = self._clock.now()
        await self._store.cases.answer_unmatched(round_id, user_id, choice, now)
        if choice == "keep":
            await self._store.people.join_waitlist(user_id, now)
            if not await self._port.set_waitlist_role(user_id, True):
                log.info("unmatched applicant %s is not on the server for the role", user_id)

    async def talk(self, round_id: int, user_id: int, display_name: str, text: str | None) -> None:
        """ "Talk to a coordinator": the answer stored and a case opened for them."""
        await self.check(round_id, user_id)
        await self._cases.write(user_id, display_name, text, "talk", required=False)
        await self._store.cases.answer_unmatched(round_id, user_id, "talk", self._clock.now())

    async def unmatched(self, round_: Round, result: MatchResult) -> list[UnmatchedPerson]:
        answers = await self._store.cases.unmatched_answers(round_.id)
        partnerships = await self._store.partnerships.for_round(round_.id, list(LIVE_STATES))
        partnered = {m: p.name for p in partnerships for m in p.member_ids}
        people = []
        for person in result.unmatched:
            notice = UnmatchedNotice(
                target=PrivateTarget(user_id=person.discord_id),
                round_id=round_.id,
                cause=person.cause,
            )
            sent = await self._store.outbox.get(notice.key)
            people.append(
                UnmatchedPerson(
                    member_id=person.discord_id,
                    reasons=tuple(person.reasons),
                    told_at=sent.sent_at if sent else None,
                    answer=answers.get(person.discord_id),
                    partnered_in=partnered.get(person.discord_id),
                )
            )
        return people
