"""#welcometomydesk: members post a photo of their workspace in the desk forum; the bot
answers each new post with "Feature my desk"; every fortnight one post whose author
pressed it (and wrote a caption) is featured in the announcements channel, never the same
person twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

from bot.clock import Clock
from bot.config import DeskSettings
from bot.posts.base import ThreadTarget
from bot.posts.desks import DeskFeature, DeskWelcome
from bot.services.errors import UserFacingError
from bot.services.ports import DiscordError, DiscordPort
from bot.store import Scheduled, Store
from bot.store.effects import FeatureDesk
from bot.store.models import DeskPost

log = logging.getLogger(__name__)

CAPTION_LIMIT = 200
# Fortnights are counted from a Monday, so every feature falls on the same weekday.
EPOCH = date(1970, 1, 5)


class DeskService:
    def __init__(self, store: Store, clock: Clock, port: DiscordPort) -> None:
        self._store = store
        self._clock = clock
        self._port = port

    async def posted(self, thread_id: int, author_id: int, at: datetime) -> bool:
        """A new post in the desk forum: remembered, and answered once."""
        welcome = DeskWelcome(target=ThreadTarget(thread_id=thread_id), author_id=author_id)
        return await self._store.desks.add(thread_id, author_id, at, [Scheduled(welcome, at)])

    async def catch_up(self) -> int:
        """Answer posts made while the bot was away; returns how many were new."""
        try:
            posts = await self._port.desk_posts()
        except DiscordError as error:
            log.warning("could not list the desk forum's posts: %s", error)
            return 0
        known = await self._store.desks.known([post.thread_id for post in posts])
        added = 0
        for post in posts:
            if post.thread_id not in known:
                added += await self.posted(post.thread_id, post.author_id, post.at)
        return added

    async def authored(self, thread_id: int, member_id: int) -> DeskPost:
        """The desk post, when ``member_id`` wrote it; a polite refusal otherwise."""
        desk = await self._store.desks.get(thread_id)
        if desk is None:
            raise UserFacingError("I do not know this desk post; please try again later.")
        if desk.author_id != member_id:
            raise UserFacingError("Only the person who shared this desk can choose to feature it.")
        return desk

    async def consent(self, thread_id: int, member_id: int, caption: str) -> DeskPost:
        desk = await self.authored(thread_id, member_id)
        words = " ".join(caption.split())
        if not words:
            raise UserFacingError("Please write a caption: a line or two about your desk.")
        if len(words) > CAPTION_LIMIT:
            raise UserFacingError(f"Please keep the caption to {CAPTION_LIMIT} characters.")
        await self._store.desks.consent(desk.thread_id, words, self._clock.now())
        fresh = await self._store.desks.get(thread_id)
        assert fresh is not None
        return fresh

    async def withdraw(self, thread_id: int, member_id: int) -> bool:
        desk = await self.authored(thread_id, member_id)
        return await self._store.desks.withdraw(desk.thread_id)


class DeskFeatures:
    """The planner of the fortnightly feature: due at ``feature_hour_utc`` on the first day
    of each fortnight. At start-up the current fortnight's slot is due at once, so a feature
    missed while the bot was down goes out late, once (the slot is recorded with the post
    featured, which also keeps its author from being featured again)."""

    def __init__(self, store: Store, clock: Clock, settings: DeskSettings) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._next: datetime | None = None

    def slot_at(self, number: int) -> datetime:
        day = EPOCH + timedelta(days=number * self._settings.feature_every_days)
        return datetime.combine(day, time(self._settings.feature_hour_utc), tzinfo=UTC)

    def slot_number(self, moment: datetime) -> int:
        """The latest slot at or before ``moment``."""
        every = self._settings.feature_every_days
        number = (moment.astimezone(UTC).date() - EPOCH).days // every
        return number if self.slot_at(number) <= moment else number - 1

    def next_due(self) -> datetime | None:
        return self._next if self._next is not None else self._clock.now()

    async def plan(self, now: datetime) -> int:
        if self._next is None:
            self._next = self.slot_at(self.slot_number(now))
        queued = 0
        while self._next <= now:
            number = self.slot_number(self._next)
            queued += await self._feature(self.slot_at(number).date(), now)
            self._next = self.slot_at(number + 1)
        return queued

    async def _feature(self, slot: date, now: datetime) -> int:
        if await self._store.desks.featured_in(slot) is not None:
            return 0
        desk = await self._store.desks.next_to_feature()
        if desk is None:
            return 0
        feature = DeskFeature(thread_id=desk.thread_id, slot=slot)
        log.info("featuring desk post %s for the fortnight of %s", desk.thread_id, slot)
        return await self._store.outbox.enqueue(
            [Scheduled(feature, now, (FeatureDesk(desk.thread_id, slot),))], now
        )
