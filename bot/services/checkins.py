"""The regular private check-in: answers go to coordinators only, never to the partner."""

from __future__ import annotations

import logging

from bot.clock import Clock
from bot.domain.checkins import MAX_COMMENT, RATINGS, clean_comment
from bot.posts.base import CaseTarget
from bot.posts.cases import on_case
from bot.posts.checkins import CheckinAlert
from bot.services.contact import require_member
from bot.services.errors import UserFacingError
from bot.store import Store
from bot.store.models import Partnership, pair_subject

log = logging.getLogger(__name__)


class CheckinService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def check_member(self, user_id: int, partnership_id: int) -> Partnership:
        """The partnership, when ``user_id`` belongs to it; a polite refusal otherwise."""
        return require_member(await self._store.partnerships.get(partnership_id), user_id)

    async def answer(
        self,
        user_id: int,
        partnership_id: int,
        sequence: int,
        rating: str,
        comment: str | None = None,
    ) -> None:
        """Store a member's answer (a later answer replaces theirs). "Not working" alerts
        the coordinators privately; the partner never sees either."""
        if rating not in RATINGS:
            raise UserFacingError("Please choose Great, OK or Not working.")
        await self.check_member(user_id, partnership_id)
        comment = clean_comment(comment)
        if comment is not None and len(comment) > MAX_COMMENT:
            raise UserFacingError(
                f"Please keep your comment to {MAX_COMMENT} characters (it is {len(comment)})."
            )
        now = self._clock.now()
        await self._store.activity.answer_checkin(
            partnership_id, user_id, sequence, rating, comment, now
        )
        if rating == "not_working":
            subject = pair_subject(partnership_id)
            alert = CheckinAlert(
                partnership_id=partnership_id,
                target=CaseTarget(subject=subject),
                member_id=user_id,
                sequence=sequence,
            )
            items = on_case(alert, subject, "checkin", alert.case_summary(), now, member_id=user_id)
            await self._store.outbox.enqueue(items, now)
            log.info("check-in %s of partnership %s needs coordinators", sequence, partnership_id)

    async def set_dm_opt_in(self, user_id: int, on: bool) -> None:
        """Whether the member also gets each check-in as a direct message."""
        if not await self._store.activity.set_checkin_dm(user_id, on, self._clock.now()):
            raise UserFacingError(
                "I don't have you as a program participant yet, so there is nothing to change."
            )
