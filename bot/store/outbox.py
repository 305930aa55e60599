"""The outbox: every post the bot makes, keyed so it happens exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from bot.store._rows import id_list, to_json, to_model
from bot.store.db import Database
from bot.store.models import OutboxItem, utc_text

OUTBOX_JSON = ("target", "payload")


class NewPost(BaseModel):
    """A post to make; ``key`` names it uniquely ("topic:12:3" is topic 3 in space 12)."""

    model_config = ConfigDict(frozen=True)

    key: str
    kind: str
    target: dict[str, Any]
    payload: dict[str, Any]
    due_at: AwareDatetime
    partnership_id: int | None = None

    @classmethod
    def for_partnership(
        cls,
        partnership_id: int,
        name: str,
        template: str,
        target: dict[str, Any],
        due_at: datetime,
        **details: Any,
    ) -> NewPost:
        """A post about one partnership, keyed ``p{id}:{name}``, rendered by ``template``."""
        return cls(
            key=f"p{partnership_id}:{name}",
            kind=template,
            partnership_id=partnership_id,
            target=target,
            payload={"template": template, "partnership_id": partnership_id, **details},
            due_at=due_at,
        )


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(
        self,
        posts: Sequence[NewPost],
        now: datetime,
        nudge: Literal["quiet", "one_sided", "escalation"] | None = None,
    ) -> int:
        """Queue posts whose key is new; returns how many were queued.

        With ``nudge`` each post is also recorded as a nudge of that kind, in the same
        transaction, so a nudge is never counted without its post or posted uncounted.
        """
        rows = [
            (
                post.key,
                post.partnership_id,
                post.kind,
                to_json(post.target),
                to_json(post.payload),
                utc_text(post.due_at),
                utc_text(now),
            )
            for post in posts
        ]
        async with self._db.transaction() as tx:
            before = tx.total_changes
            await tx.executemany(
                "INSERT OR IGNORE INTO outbox"
                " (key, partnership_id, kind, target, payload, due_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            queued = tx.total_changes - before
            if nudge is not None:
                await tx.executemany(
                    "INSERT OR IGNORE INTO nudges (partnership_id, kind, at, outbox_key)"
                    " VALUES (?, ?, ?, ?)",
                    [(post.partnership_id, nudge, utc_text(now), post.key) for post in posts],
                )
        return queued

    async def get(self, key: str) -> OutboxItem | None:
        row = await self._db.fetch_one("SELECT * FROM outbox WHERE key = ?", (key,))
        return to_model(OutboxItem, row, OUTBOX_JSON) if row else None

    async def sent_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` have been sent, in one query."""
        rows = await self._db.fetch_all(
            "SELECT key FROM outbox WHERE sent_at IS NOT NULL"
            " AND key IN (SELECT value FROM json_each(?))",
            (id_list(keys),),
        )
        return {row["key"] for row in rows}

    async def due(self, now: datetime, limit: int = 500) -> list[OutboxItem]:
        rows = await self._db.fetch_all(
            "SELECT * FROM outbox WHERE sent_at IS NULL AND due_at <= ?"
            " ORDER BY due_at, key LIMIT ?",
            (utc_text(now), limit),
        )
        return [to_model(OutboxItem, row, OUTBOX_JSON) for row in rows]

    async def next_due_at(self) -> datetime | None:
        row = await self._db.fetch_one("SELECT MIN(due_at) FROM outbox WHERE sent_at IS NULL")
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    async def mark_sent(self, key: str, message_id: int | None, now: datetime) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET sent_at = ?, message_id = ?, last_error = NULL WHERE key = ?",
                (utc_text(now), message_id, key),
            )

    async def mark_failed(self, key: str, error: str, retry_at: datetime) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, due_at = ?"
                " WHERE key = ?",
                (error[:500], utc_text(retry_at), key),
            )

    async def for_partnership(self, partnership_id: int) -> list[OutboxItem]:
        rows = await self._db.fetch_all(
            "SELECT * FROM outbox WHERE partnership_id = ? ORDER BY due_at, key",
            (partnership_id,),
        )
        return [to_model(OutboxItem, row, OUTBOX_JSON) for row in rows]

    async def by_kind(self, kind: str) -> list[OutboxItem]:
        rows = await self._db.fetch_all(
            "SELECT * FROM outbox WHERE kind = ? ORDER BY due_at, key", (kind,)
        )
        return [to_model(OutboxItem, row, OUTBOX_JSON) for row in rows]
