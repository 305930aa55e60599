"""Members who leave the server: their partnerships stop and coordinators hear of it."""

from __future__ import annotations

import logging

from bot.clock import Clock
from bot.posts.base import CaseTarget
from bot.posts.cases import on_case
from bot.posts.membership import PartnerLeft, RemoveFromSpace
from bot.services.changes import Changes
from bot.store import Scheduled, Store
from bot.store.models import Partnership, pair_subject

log = logging.getLogger(__name__)


class Departures:
    def __init__(self, store: Store, clock: Clock, changes: Changes) -> None:
        self._store = store
        self._clock = clock
        self._changes = changes

    async def member_left(self, user_id: int) -> list[Partnership]:
        """A member left the server: mark their live partnerships and tell coordinators."""
        now = self._clock.now()
        affected = [
            p
            for p in await self._store.partnerships.for_member(user_id)
            if p.state in ("confirmed", "active")
        ]
        posts: list[Scheduled] = []
        for partnership in affected:
            await self._store.partnerships.mark_left(partnership.id, user_id, now)
            await self._store.partnerships.set_state(partnership.id, "member_left")
            self._changes.partnership(partnership.id)
            subject = pair_subject(partnership.id)
            alert = PartnerLeft(
                partnership_id=partnership.id,
                target=CaseTarget(subject=subject),
                member_id=user_id,
            )
            posts += on_case(
                alert, subject, "partner_left", alert.case_summary(), now, member_id=user_id
            )
            if partnership.channel_id is not None:
                removal = RemoveFromSpace(partnership_id=partnership.id, member_id=user_id)
                posts.append(Scheduled(removal, now))
        if posts:
            await self._store.outbox.enqueue(posts, now)
            log.info("member %s left; %d partnership(s) need a coordinator", user_id, len(affected))
        return affected
