"""The end of a partnership as partners see it: their choice, and their feedback."""

from __future__ import annotations

from bot.clock import Clock
from bot.services.errors import UserFacingError
from bot.store import Store
from bot.store.models import EndChoice, Partnership

RATING_WORDS = {1: "poor", 2: "fair", 3: "good", 4: "very good", 5: "excellent"}


class ClosingService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def choose(self, user_id: int, partnership_id: int, choice: EndChoice) -> Partnership:
        """Record a partner's wish for after the round; both must want to keep the space."""
        partnership = await self._own(user_id, partnership_id)
        if partnership.state == "ended":
            raise UserFacingError("This partnership has already closed.")
        await self._store.partnerships.set_end_choice(partnership_id, user_id, choice)
        updated = await self._store.partnerships.get(partnership_id)
        assert updated is not None
        return updated

    async def feedback(
        self, user_id: int, partnership_id: int, rating_text: str, comment: str | None
    ) -> int:
        await self._own(user_id, partnership_id)
        try:
            rating = int(rating_text.strip())
        except ValueError:
            rating = 0
        if rating not in RATING_WORDS:
            raise UserFacingError("Please rate the partnership with a number from 1 to 5.")
        await self._store.activity.save_feedback(
            partnership_id, user_id, rating, (comment or "").strip() or None, self._clock.now()
        )
        return rating

    async def check_partner(self, user_id: int, partnership_id: int) -> Partnership:
        """The partnership, when ``user_id`` is one of its partners; a polite refusal otherwise."""
        return await self._own(user_id, partnership_id)

    async def _own(self, user_id: int, partnership_id: int) -> Partnership:
        partnership = await self._store.partnerships.get(partnership_id)
        if partnership is None or user_id not in partnership.member_ids:
            raise UserFacingError("Only the partners of this space can answer this.")
        return partnership
