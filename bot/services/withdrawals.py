"""``/apply withdraw``: before matching the application is withdrawn; after it, the
coordinators hear of it in the person's case (they end or change the partnership)."""

from __future__ import annotations

import logging
from typing import Literal

from bot.clock import Clock
from bot.services.cases import CaseService
from bot.services.errors import UserFacingError
from bot.services.rounds import RoundService
from bot.store import Store
from bot.store.effects import Audit
from bot.store.models import LIVE_STATES, Round

log = logging.getLogger(__name__)

Outcome = Literal["withdrawn", "told"]


class WithdrawalService:
    def __init__(
        self, store: Store, clock: Clock, rounds: RoundService, cases: CaseService
    ) -> None:
        self._store = store
        self._clock = clock
        self._rounds = rounds
        self._cases = cases

    async def check(self, user_id: int) -> Round:
        """The round the person can withdraw from; a polite refusal when there is none."""
        round_ = await self._rounds.current()
        applied = await self._store.people.application(round_.id, user_id) is not None
        if not applied and not await self._partnered(round_, user_id):
            raise UserFacingError(
                f"You have no application in **{round_.name}**, so there is nothing to withdraw."
            )
        return round_

    async def withdraw(self, user_id: int, display_name: str, message: str | None) -> Outcome:
        round_ = await self.check(user_id)
        now = self._clock.now()
        matched = bool(await self._store.partnerships.for_round(round_.id))
        if not matched:
            # Before matching: the application goes (and with it any pin). The message is
            # not kept: nobody needs to act on it.
            audit = Audit(user_id, "apply.withdraw", {"round": round_.name})
            if not await self._store.people.withdraw(round_.id, user_id, [audit], now):
                raise UserFacingError("Your application was withdrawn already.")
            log.info("member %s withdrew from %s", user_id, round_.name)
            return "withdrawn"
        await self._cases.write(user_id, display_name, message, "withdraw", required=False)
        if not await self._partnered(round_, user_id):
            await self._store.cases.answer_unmatched(round_.id, user_id, "withdrawn", now)
        return "told"

    async def _partnered(self, round_: Round, user_id: int) -> bool:
        return any(
            p.round_id == round_.id and p.state in LIVE_STATES
            for p in await self._store.partnerships.for_member(user_id)
        )
