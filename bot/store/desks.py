"""#welcometomydesk: members' desk posts and their consent to be featured."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.store._rows import id_list, to_model
from bot.store.db import Database
from bot.store.effects import Scheduled, insert_work
from bot.store.models import DeskPost, utc_text


class DeskRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self, thread_id: int, author_id: int, posted_at: datetime, queue: Sequence[Scheduled]
    ) -> bool:
        """A new desk post, with the work it makes; False (nothing queued) when known."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "INSERT OR IGNORE INTO desk_posts (thread_id, author_id, posted_at)"
                " VALUES (?, ?, ?)",
                (thread_id, author_id, utc_text(posted_at)),
            )
            if cursor.rowcount != 1:
                return False
            await insert_work(tx, queue, posted_at)
        return True

    async def get(self, thread_id: int) -> DeskPost | None:
        row = await self._db.fetch_one("SELECT * FROM desk_posts WHERE thread_id = ?", (thread_id,))
        return to_model(DeskPost, row) if row else None

    async def known(self, thread_ids: Sequence[int]) -> set[int]:
        rows = await self._db.fetch_all(
            "SELECT thread_id FROM desk_posts WHERE thread_id IN (SELECT value FROM json_each(?))",
            (id_list(thread_ids),),
        )
        return {int(row[0]) for row in rows}

    async def consent(self, thread_id: int, caption: str, now: datetime) -> bool:
        """The author agrees to be featured with ``caption`` (or changes it)."""
        changed = await self._db.write(
            "UPDATE desk_posts SET consented_at = COALESCE(consented_at, ?), caption = ?"
            " WHERE thread_id = ?",
            (utc_text(now), caption, thread_id),
        )
        return changed == 1

    async def withdraw(self, thread_id: int) -> bool:
        changed = await self._db.write(
            "UPDATE desk_posts SET consented_at = NULL, caption = NULL"
            " WHERE thread_id = ? AND consented_at IS NOT NULL",
            (thread_id,),
        )
        return changed == 1

    async def next_to_feature(self) -> DeskPost | None:
        """The longest-consenting post not featured yet, by someone never featured."""
        row = await self._db.fetch_one(
            "SELECT * FROM desk_posts AS d WHERE d.consented_at IS NOT NULL"
            " AND d.featured_at IS NULL AND NOT EXISTS (SELECT 1 FROM desk_posts AS f"
            " WHERE f.author_id = d.author_id AND f.featured_at IS NOT NULL)"
            " ORDER BY d.consented_at, d.thread_id LIMIT 1"
        )
        return to_model(DeskPost, row) if row else None

    async def featured_in(self, slot: date) -> DeskPost | None:
        row = await self._db.fetch_one(
            "SELECT * FROM desk_posts WHERE feature_slot = ?", (slot.isoformat(),)
        )
        return to_model(DeskPost, row) if row else None

    async def featured(self) -> list[DeskPost]:
        rows = await self._db.fetch_all(
            "SELECT * FROM desk_posts WHERE featured_at IS NOT NULL ORDER BY featured_at"
        )
        return [to_model(DeskPost, row) for row in rows]
