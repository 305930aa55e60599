"""The outbox: every post and action the bot makes, keyed so it happens exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.store._rows import to_model
from bot.store.db import Database
from bot.store.effects import Effect, Scheduled, apply, insert_work
from bot.store.models import OutboxItem, utc_text

OUTBOX_JSON = ("target", "payload")
PENDING = "sent_at IS NULL AND gave_up_at IS NULL"
ERROR_TEXT_LIMIT = 500


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        # (db.writes when read, MIN(due_at)): asked after every wake-up, changed by few.
        self._next_due: tuple[int, datetime | None] | None = None

    async def enqueue(self, items: Sequence[Scheduled], now: datetime) -> int:
        """Queue work whose key is new (and what it records); returns how many were new."""
        if not items:
            return 0
        async with self._db.transaction() as tx:
            return await insert_work(tx, items, now)

    async def record(self, effects: Sequence[Effect], now: datetime) -> None:
        """Record ``effects`` (state, audit, work to queue) in one transaction."""
        async with self._db.transaction() as tx:
            await apply(tx, effects, now)

    async def get(self, key: str) -> OutboxItem | None:
        row = await self._db.fetch_one("SELECT * FROM outbox WHERE key = ?", (key,))
        return to_model(OutboxItem, row, OUTBOX_JSON) if row else None

    async def claim_due(self, now: datetime, limit: int = 500) -> list[OutboxItem]:
        """Work due by ``now``, not done and not given up, oldest first, noting in the same
        statement that sending it is about to be tried (``tried_at``, kept from the first
        try)."""
        rows = await self._db.write_returning(
            "UPDATE outbox SET tried_at = COALESCE(tried_at, ?) WHERE key IN"
            f" (SELECT key FROM outbox WHERE {PENDING} AND due_at <= ? ORDER BY due_at, rowid"
            " LIMIT ?) RETURNING *, rowid AS position",
            (utc_text(now), utc_text(now), limit),
        )
        rows.sort(key=lambda row: (row["due_at"], row["position"]))
        return [to_model(OutboxItem, row, OUTBOX_JSON) for row in rows]

    async def waiting(self, now: datetime) -> int:
        """How much work is due and not yet done."""
        row = await self._db.fetch_one(
            f"SELECT COUNT(*) FROM outbox WHERE {PENDING} AND due_at <= ?", (utc_text(now),)
        )
        return int(row[0]) if row else 0

    async def next_due_at(self) -> datetime | None:
        """When the earliest pending work is due (None: none is pending); asked again of
        the database only after something was written."""
        writes = self._db.writes
        if self._next_due is not None and self._next_due[0] == writes:
            return self._next_due[1]
        row = await self._db.fetch_one(f"SELECT MIN(due_at) FROM outbox WHERE {PENDING}")
        due = datetime.fromisoformat(row[0]) if row and row[0] else None
        self._next_due = (writes, due)
        return due

    async def mark_done(
        self,
        key: str,
        message_id: int | None,
        now: datetime,
        effects: Sequence[Effect] = (),
    ) -> None:
        """Record the work as done, with what it leaves behind, in one transaction."""
        done = (
            "UPDATE outbox SET sent_at = ?, message_id = ?, last_error = NULL WHERE key = ?",
            (utc_text(now), message_id, key),
        )
        if not effects:
            await self._db.write(*done)
            return
        async with self._db.transaction() as tx:
            await tx.execute(*done)
            await apply(tx, effects, now)

    async def mark_failed(self, key: str, error: str, retry_at: datetime) -> None:
        await self._db.write(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, due_at = ? WHERE key = ?",
            (error[:ERROR_TEXT_LIMIT], utc_text(retry_at), key),
        )

    async def give_up(
        self, key: str, error: str, now: datetime, report: Sequence[Scheduled] = ()
    ) -> None:
        """Stop trying ``key``; ``report`` (telling coordinators) is queued with it."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, gave_up_at = ?"
                " WHERE key = ?",
                (error[:ERROR_TEXT_LIMIT], utc_text(now), key),
            )
            await insert_work(tx, report, now)

    async def by_kind(self, kind: str) -> list[OutboxItem]:
        rows = await self._db.fetch_all(
            "SELECT * FROM outbox WHERE kind = ? ORDER BY due_at, key", (kind,)
        )
        return [to_model(OutboxItem, row, OUTBOX_JSON) for row in rows]
