"""Members who leave the server: their partnerships stop and coordinators hear of it."""

from __future__ import annotations

import logging

from bot.clock import Clock
from bot.services.contact.recording import ContactLog
from bot.store import NewPost, Store
from bot.store.models import Partnership

log = logging.getLogger(__name__)


class Departures:
    """Handles members leaving the server."""

    def __init__(self, store: Store, clock: Clock, contact_log: ContactLog) -> None:
        self._store = store
        self._clock = clock
        self._log = contact_log

    async def member_left(self, user_id: int) -> list[Partnership]:
        """A member left the server: mark their live partnerships and tell coordinators."""
        now = self._clock.now()
        affected = [
            p
            for p in await self._store.partnerships.for_member(user_id)
            if p.state in ("confirmed", "active")
        ]
        posts = []
        for partnership in affected:
            await self._store.partnerships.mark_left(partnership.id, user_id, now)
            await self._store.partnerships.set_state(partnership.id, "member_left")
            if partnership.channel_id is not None:
                self._log.forget(partnership.channel_id)
            posts.append(
                NewPost(
                    key=f"p{partnership.id}:left:{user_id}",
                    kind="partner_left",
                    partnership_id=partnership.id,
                    target={"to": "coordinators"},
                    payload={
                        "template": "partner_left",
                        "partnership_id": partnership.id,
                        "member_id": user_id,
                    },
                    due_at=now,
                )
            )
        if posts:
            await self._store.outbox.enqueue(posts, now)
            log.info("member %s left; %d partnership(s) need a coordinator", user_id, len(posts))
        return affected
