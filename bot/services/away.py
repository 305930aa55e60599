"""Away periods (``/away``) and answers to the regular availability ask.

Recording time away tells the partner (a post in each of the member's live spaces) and
pauses the contact rules for the pair; see :mod:`bot.domain.contact`.
"""

from __future__ import annotations

import builtins
import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.away import AwayRejected, validate_away
from bot.domain.calendar import format_local_date
from bot.posts import SpaceTarget
from bot.posts.away import AwayNoted
from bot.services.changes import Changes
from bot.services.contact import require_member
from bot.services.errors import UserFacingError
from bot.services.zones import MemberZones
from bot.store import Scheduled, Store
from bot.store.models import AwayRecord, Partnership, Round, RoundState

log = logging.getLogger(__name__)

LIVE_PARTNERSHIPS = ("confirmed", "active")
CURRENT_ROUNDS = (RoundState.APPLICATIONS_CLOSED, RoundState.RUNNING)


class AwayService:
    def __init__(self, store: Store, clock: Clock, zones: MemberZones, changes: Changes) -> None:
        self._store = store
        self._clock = clock
        self._zones = zones
        self._changes = changes

    async def add(
        self, user_id: int, start_text: str, end_text: str, note: str | None = None
    ) -> AwayRecord:
        """Record time away from the member's own dates; their partner is told in their space."""
        partnerships, round_ = await self._current(user_id)
        zone = await self._zones.one(user_id)
        now = self._clock.now()
        try:
            period = validate_away(
                start_text,
                end_text,
                timezone=zone,
                now=now,
                round_start=round_.starts_on,
                round_end=round_.ends_on,
                note=note,
            )
        except AwayRejected as rejected:
            raise UserFacingError(rejected.message) from None
        stored = await self._store.activity.add_away(
            user_id, period.start, period.end, period.note, now
        )
        posts = [
            Scheduled(
                AwayNoted(
                    partnership_id=p.id,
                    target=SpaceTarget(channel_id=p.channel_id),
                    away_id=stored.id,
                ),
                now,
            )
            for p in partnerships
            if p.state == "active" and p.channel_id is not None
        ]
        await self._store.outbox.enqueue(posts, now)
        self._changes.member(user_id)
        log.info("member %s recorded away period %s", user_id, stored.id)
        return stored

    async def list(self, user_id: int) -> list[AwayRecord]:
        """The member's current and upcoming away periods, soonest first."""
        return await self._store.activity.away_periods([user_id], self._clock.now())

    # The ``list`` method above shadows the builtin inside this class body, so annotations
    # below spell the builtin out.
    async def described(self, user_id: int) -> builtins.list[tuple[AwayRecord, str]]:
        """The member's current and upcoming periods with a line each, in their own dates:
        "12 March 2027 – 20 March 2027 (conference)"."""
        zone = ZoneInfo(await self._zones.one(user_id))
        described = []
        for period in await self.list(user_id):
            first = period.starts_at.astimezone(zone).date()
            last = (period.ends_at - timedelta(microseconds=1)).astimezone(zone).date()
            text = format_local_date(first)
            if last != first:
                text += f" – {format_local_date(last)}"
            if period.note:
                text += f" ({period.note})"
            described.append((period, text))
        return described

    async def cancel(self, user_id: int, away_id: int) -> AwayRecord:
        """Cancel one of the member's own away periods."""
        period = await self._store.activity.away_period(away_id)
        now = self._clock.now()
        if (
            period is None
            or period.participant_id != user_id
            or not await self._store.activity.cancel_away(away_id, user_id, now)
        ):
            raise UserFacingError(
                "I can't find that away period among yours. `/away list` shows them."
            )
        self._changes.member(user_id)
        return period

    async def no_changes(self, user_id: int, partnership_id: int) -> Partnership:
        """A partner answered the availability ask with "no changes"; only noted in the log."""
        partnership = require_member(await self._store.partnerships.get(partnership_id), user_id)
        await self._store.coordination.audit(
            user_id,
            "availability.no_changes",
            {"partnership_id": partnership_id},
            self._clock.now(),
        )
        return partnership

    async def check_member(self, user_id: int, partnership_id: int) -> Partnership:
        """The partnership, when ``user_id`` belongs to it; a polite refusal otherwise."""
        return require_member(await self._store.partnerships.get(partnership_id), user_id)

    async def _current(self, user_id: int) -> tuple[builtins.list[Partnership], Round]:
        """The member's live partnerships in the newest current round, and that round."""
        live = [
            p
            for p in await self._store.partnerships.for_member(user_id)
            if p.state in LIVE_PARTNERSHIPS
        ]
        best: tuple[builtins.list[Partnership], Round] | None = None
        for partnership in live:
            round_ = await self._store.rounds.get(partnership.round_id)
            if round_ is None or round_.state not in CURRENT_ROUNDS:
                continue
            if best is None or round_.starts_on > best[1].starts_on:
                best = ([p for p in live if p.round_id == round_.id], round_)
        if best is None:
            raise UserFacingError(
                "You are not in a current partnership, so there is no time away to record."
            )
        return best
