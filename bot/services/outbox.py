"""Delivering the outbox: every post exactly once, even across restarts and Discord faults.

A post is queued under a unique key before anything is sent. Delivery renders it from the
store at send time (so a coordinator's late edit is honoured), sends it with a nonce derived
from the key (Discord drops a resend with the same nonce, which covers a crash between
Discord accepting a post and us recording it), and only then marks it sent. A post that fell
due while the bot was down simply is due now: late, never lost, never twice.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Protocol

from bot.clock import Clock
from bot.services.ports import DirectMessagesClosed, DiscordError, DiscordPort, Post
from bot.store import Store
from bot.store.models import OutboxItem

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)
DeliveryListener = Callable[[OutboxItem, int], Awaitable[None]]


def nonce_for(key: str) -> str:
    """A stable nonce for a post key, within Discord's 25-character limit."""
    return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff from 30 s, capped at six hours."""
    return min(timedelta(seconds=30 * 2**attempts), MAX_BACKOFF)


class Renderer(Protocol):
    async def render(self, item: OutboxItem) -> Post | None:
        """The post for a queued item, or None when it no longer applies."""


class Dispatcher:
    def __init__(self, store: Store, clock: Clock, port: DiscordPort, renderer: Renderer) -> None:
        self._store = store
        self._clock = clock
        self._port = port
        self._renderer = renderer
        self._listeners: list[DeliveryListener] = []

    def on_delivered(self, listener: DeliveryListener) -> None:
        """Call ``listener(item, message_id)`` after each post is recorded as sent."""
        self._listeners.append(listener)

    async def deliver_due(self) -> int:
        """Send everything due now, oldest first; returns how many were sent."""
        sent = 0
        while True:
            batch = await self._store.outbox.due(self._clock.now())
            if not batch:
                return sent
            progressed = False
            for item in batch:
                if await self._deliver(item):
                    sent += 1
                    progressed = True
            if not progressed or len(batch) < 500:
                return sent

    async def _deliver(self, item: OutboxItem) -> bool:
        try:
            post = await self._renderer.render(item)
            message_id = 0 if post is None else await self._send(item, post)
        except DiscordError as error:
            await self._postpone(item, error)
            return False
        await self._store.outbox.mark_sent(item.key, message_id or None, self._clock.now())
        if message_id:
            for listener in self._listeners:
                await listener(item, message_id)
        return True

    async def _send(self, item: OutboxItem, post: Post) -> int:
        nonce = nonce_for(item.key)
        target = item.target
        match target["to"]:
            case "space":
                return await self._port.send(int(target["channel_id"]), post, nonce)
            case "coordinators":
                return await self._port.send_to_coordinators(post, nonce)
            case "announcements":
                return await self._port.send_announcement(post, nonce)
            case "forum":
                thread_id, message_id = await self._port.open_cohort_thread(
                    str(target["title"]), post, nonce
                )
                await self._store.topics.set_cohort_thread(int(target["topic_id"]), thread_id)
                return message_id
            case "dm":
                return await self._send_direct(target, post, nonce)
        raise ValueError(f"unknown outbox target {target!r}")

    async def _send_direct(self, target: dict[str, object], post: Post, nonce: str) -> int:
        try:
            return await self._port.send_direct(int(str(target["user_id"])), post, nonce)
        except DirectMessagesClosed:
            fallback = target.get("fallback_channel_id")
            if fallback is None:
                raise
            log.info("DMs closed for %s; posting in their space instead", target["user_id"])
            return await self._port.send(int(str(fallback)), post, nonce)

    async def _postpone(self, item: OutboxItem, error: DiscordError) -> None:
        retry_at = self._clock.now() + retry_delay(item.attempts)
        level = logging.WARNING if error.transient else logging.ERROR
        log.log(level, "post %s failed (%s); retrying at %s", item.key, error, retry_at)
        await self._store.outbox.mark_failed(item.key, str(error), retry_at)
