"""Delivering the outbox: every post and action exactly once, even across restarts and
Discord faults.

Work is queued under a unique key before anything is done. Delivery loads its model,
renders it from the store at send time (so a coordinator's late edit is honoured), sends it
with a nonce derived from the key (Discord drops a resend with the same nonce for a few
minutes), and only then marks it done, together with what it leaves in the store (see
:mod:`bot.store.effects`). Work that fell due while the bot was down simply is due now:
late, never lost, never twice. One item that fails never holds up the others: it is
retried with backoff, and when Discord refuses it in a way retrying cannot fix, it is given
up and the coordinators are told once.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

from bot.clock import Clock
from bot.posts import (
    ActionContext,
    AnnouncementsTarget,
    CaseTarget,
    CoordinatorsTarget,
    DirectTarget,
    ForumTarget,
    PrivateTarget,
    Receipt,
    RenderContext,
    SpaceTarget,
    Target,
    ThreadTarget,
    Work,
    load,
)
from bot.posts.base import Spaces
from bot.posts.reads import Reads
from bot.posts.setup import delivery_failed
from bot.services.changes import Changes
from bot.services.ports import DirectMessagesClosed, DiscordError, DiscordPort, Draft
from bot.store import Scheduled, Store
from bot.store.effects import Effect
from bot.store.models import OutboxItem

log = logging.getLogger(__name__)

FIRST_BACKOFF = timedelta(seconds=30)
# Discord drops a resend with the same nonce only "within the past few minutes"; later, a
# post that may have been sent is looked for instead.
NONCE_WINDOW = timedelta(minutes=2)
MAX_BACKOFF = timedelta(hours=6)
BATCH = 500
DoneListener = Callable[[Work, Receipt], Awaitable[None]]


def nonce_for(key: str) -> str:
    """A stable nonce for a post key, within Discord's 25-character limit."""
    return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff from 30 s, capped at six hours (and never overflowing)."""
    if attempts >= 10:  # 30 s * 2**10 is past the cap already
        return MAX_BACKOFF
    return min(FIRST_BACKOFF * 2**attempts, MAX_BACKOFF)


class Dispatcher:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        port: DiscordPort,
        render: RenderContext,
        spaces: Spaces,
        changes: Changes,
    ) -> None:
        self._store = store
        self._clock = clock
        self._port = port
        self._render = render
        self._spaces = spaces
        self._changes = changes
        self._listeners: list[DoneListener] = []

    def on_done(self, listener: DoneListener) -> None:
        """Call ``listener(work, receipt)`` after each piece of work is recorded as done."""
        self._listeners.append(listener)

    async def deliver(
        self, target: Target, draft: Draft, nonce: str, tried_at: datetime | None = None
    ) -> Receipt:
        """Send a rendered post where its target says. A post tried before, longer ago than
        Discord keeps nonces, may have reached Discord with the bot dying before it knew:
        it is looked for first, so it is never posted twice."""
        if tried_at is not None and self._clock.now() - tried_at >= NONCE_WINDOW:
            found = await self._find(target, draft, tried_at)
            if found is not None:
                log.warning("a post tried at %s had reached Discord; not sent again", tried_at)
                return found
        port = self._port
        match target:
            case SpaceTarget(channel_id=channel_id) | ThreadTarget(thread_id=channel_id):
                return Receipt(await port.send(channel_id, draft, nonce), channel_id)
            case CoordinatorsTarget():
                return Receipt(await port.send_to_coordinators(draft, nonce))
            case AnnouncementsTarget():
                return Receipt(await port.send_announcement(draft, nonce))
            case ForumTarget(title=title):
                thread_id, message_id = await port.open_cohort_thread(title, draft, nonce)
                return Receipt(message_id, thread_id)
            case CaseTarget(subject=subject):
                case = await self._store.cases.by_subject(subject)
                if case is None or case.thread_id is None:
                    # Queued behind the case's opening, which failed for now: wait for it.
                    raise DiscordError(f"the case {subject} has no thread yet", transient=True)
                return Receipt(await port.send(case.thread_id, draft, nonce), case.thread_id)
            case PrivateTarget(user_id=user_id):
                try:
                    return Receipt(await port.send_direct(user_id, draft, nonce))
                except DirectMessagesClosed:
                    thread_id = await self._private_thread(user_id)
                    log.info("DMs closed for %s; posting in their private thread", user_id)
                    return Receipt(await port.send(thread_id, draft, nonce), thread_id)
            case DirectTarget(user_id=user_id, fallback_channel_id=fallback):
                try:
                    return Receipt(await port.send_direct(user_id, draft, nonce))
                except DirectMessagesClosed:
                    if fallback is None:
                        raise
                    log.info("DMs closed for %s; posting in their space instead", user_id)
                    return Receipt(await port.send(fallback, draft, nonce), fallback)
        raise ValueError(f"unknown target {target!r}")

    async def _find(self, target: Target, draft: Draft, since: datetime) -> Receipt | None:
        port = self._port
        match target:
            case SpaceTarget(channel_id=channel_id) | ThreadTarget(thread_id=channel_id):
                found = await port.find_sent(channel_id, draft, since)
                return None if found is None else Receipt(found, channel_id)
            case CaseTarget(subject=subject):
                case = await self._store.cases.by_subject(subject)
                if case is None or case.thread_id is None:
                    return None
                found = await port.find_sent(case.thread_id, draft, since)
                return None if found is None else Receipt(found, case.thread_id)
            case PrivateTarget(user_id=user_id):
                found = await port.find_sent_direct(user_id, draft, since)
                thread_id = await self._store.cases.private_thread(user_id)
                if found is None and thread_id is not None:
                    in_thread = await port.find_sent(thread_id, draft, since)
                    return None if in_thread is None else Receipt(in_thread, thread_id)
                return None if found is None else Receipt(found)
            case CoordinatorsTarget() | AnnouncementsTarget():
                channel_id = await port.program_channel(target.to)
                found = await port.find_sent(channel_id, draft, since)
                return None if found is None else Receipt(found)
            case DirectTarget(user_id=user_id, fallback_channel_id=fallback):
                found = await port.find_sent_direct(user_id, draft, since)
                if found is None and fallback is not None:
                    in_space = await port.find_sent(fallback, draft, since)
                    return None if in_space is None else Receipt(in_space, fallback)
                return None if found is None else Receipt(found)
        return None  # a forum post is found again by its title when it is opened

    async def _private_thread(self, user_id: int) -> int:
        """The member's own private thread, opened the first time it is needed."""
        thread_id = await self._store.cases.private_thread(user_id)
        if thread_id is None:
            thread_id = await self._port.private_thread(user_id)
            await self._store.cases.set_private_thread(user_id, thread_id)
        return thread_id

    async def deliver_due(self) -> int:
        """Do everything due now, oldest first; returns how many were done."""
        done = 0
        while True:
            batch = await self._store.outbox.claim_due(self._clock.now(), BATCH)
            if not batch:
                return done
            context = await self._context_for(batch)
            progressed = False
            for item in batch:
                effects = await self._do(item, context)
                if effects is None:
                    continue
                done += 1
                progressed = True
                context.render.reads.forget(effects)
            if not progressed and await self._reports_due():
                continue  # every piece failed, and a failure's report is due now
            if not progressed or len(batch) < BATCH:
                return done

    async def _reports_due(self) -> bool:
        """Whether anything is due now after a batch in which everything failed: only the
        reports those failures queued can be (a failure is retried later, or never)."""
        due = await self._store.outbox.next_due_at()
        return due is not None and due <= self._clock.now()

    def context(self) -> ActionContext:
        """What a piece of work is performed with, with reads of its own."""
        reads = Reads(self._store)
        return ActionContext(replace(self._render, reads=reads), self.deliver, self._spaces)

    async def _context_for(self, batch: list[OutboxItem]) -> ActionContext:
        """A batch reads what its posts share once (see :mod:`bot.posts.reads`)."""
        context = self.context()
        await context.render.reads.prefetch(
            item.partnership_id for item in batch if item.partnership_id is not None
        )
        return context

    async def _do(self, item: OutboxItem, context: ActionContext) -> Sequence[Effect] | None:
        """Do one piece of work: None when it failed (it is retried later), else what it
        recorded."""
        work = load(item.kind, item.target, item.payload)
        if item.tried_at is not None:  # this try may not be the first: look before sending
            context = replace(
                context,
                render=replace(context.render, first_tried=item.tried_at),
                deliver=partial(self.deliver, tried_at=item.tried_at),
            )
        try:
            receipt = await work.perform(context, nonce_for(item.key))
        except DiscordError as error:
            await self._failed(item, work, error)
            return None
        effects = () if receipt is None else work.effects(receipt, self._clock.now())
        message_id = receipt.message_id if receipt else None
        await self._store.outbox.mark_done(item.key, message_id, self._clock.now(), effects)
        self._changes.applied(effects)
        if receipt is not None:
            for listener in self._listeners:
                await listener(work, receipt)
        return effects

    async def _failed(self, item: OutboxItem, work: Work, error: DiscordError) -> None:
        now = self._clock.now()
        if error.transient or error.fixable:
            retry_at = now + retry_delay(item.attempts)
            level = logging.WARNING if error.transient else logging.ERROR
            log.log(
                level, "%s %s failed (%s); retrying at %s", work.kind, item.key, error, retry_at
            )
            await self._store.outbox.mark_failed(item.key, str(error), retry_at)
            if error.fixable:
                await self._store.outbox.enqueue(self._report(item, work, error), now)
            return
        log.error("%s %s refused for good: %s", work.kind, item.key, error)
        await self._store.outbox.give_up(item.key, str(error), now, self._report(item, work, error))

    def _report(self, item: OutboxItem, work: Work, error: DiscordError) -> list[Scheduled]:
        """Telling the coordinators, once per failing key (never about a failed report)."""
        if not work.alerts_on_failure:
            return []
        return delivery_failed(item.key, work, str(error), self._clock.now())
