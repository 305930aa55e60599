"""What coordinators decide: matching pins and forbids, and the audit log of their actions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.store._rows import to_json, to_model
from bot.store.db import Database
from bot.store.effects import Effect, apply
from bot.store.models import AuditEntry, MatchPair, utc_text


class CoordinationRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def pin(self, round_id: int, pair: MatchPair) -> bool:
        changed = await self._db.write(
            "INSERT OR IGNORE INTO match_pins (round_id, member_a, member_b) VALUES (?, ?, ?)",
            (round_id, pair.member_a, pair.member_b),
        )
        return changed == 1

    async def pins(self, round_id: int) -> list[MatchPair]:
        rows = await self._db.fetch_all(
            "SELECT member_a, member_b FROM match_pins WHERE round_id = ?"
            " ORDER BY member_a, member_b",
            (round_id,),
        )
        return [to_model(MatchPair, row) for row in rows]

    async def unpin(
        self, round_id: int, pair: MatchPair, audit: Sequence[Effect], now: datetime
    ) -> bool:
        """Remove a pin (with its audit entry); False when there was no such pin."""
        return await self._delete(
            "DELETE FROM match_pins WHERE round_id = ? AND member_a = ? AND member_b = ?",
            (round_id, pair.member_a, pair.member_b),
            audit,
            now,
        )

    async def unforbid(self, pair: MatchPair, audit: Sequence[Effect], now: datetime) -> bool:
        """Remove a forbid (with its audit entry); False when there was no such forbid."""
        return await self._delete(
            "DELETE FROM match_forbids WHERE member_a = ? AND member_b = ?",
            (pair.member_a, pair.member_b),
            audit,
            now,
        )

    async def _delete(
        self, sql: str, params: tuple[object, ...], audit: Sequence[Effect], now: datetime
    ) -> bool:
        async with self._db.transaction() as tx:
            cursor = await tx.execute(sql, params)
            if cursor.rowcount != 1:
                return False
            await apply(tx, audit, now)
            return True

    async def forbid(self, pair: MatchPair, reason: str | None) -> bool:
        changed = await self._db.write(
            "INSERT OR IGNORE INTO match_forbids (member_a, member_b, reason) VALUES (?, ?, ?)",
            (pair.member_a, pair.member_b, reason),
        )
        return changed == 1

    async def forbids(self) -> list[MatchPair]:
        rows = await self._db.fetch_all(
            "SELECT member_a, member_b FROM match_forbids ORDER BY member_a, member_b"
        )
        return [to_model(MatchPair, row) for row in rows]

    async def save_proposal(
        self, round_id: int, inputs_digest: str, result_json: str, now: datetime
    ) -> None:
        await self._db.write(
            "INSERT INTO match_proposals (round_id, inputs_digest, result, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (round_id) DO UPDATE SET"
            " inputs_digest = excluded.inputs_digest, result = excluded.result,"
            " created_at = excluded.created_at",
            (round_id, inputs_digest, result_json, utc_text(now)),
        )

    async def proposal(self, round_id: int) -> tuple[str, str] | None:
        """The saved ``(inputs_digest, result JSON)`` for a round, if any."""
        row = await self._db.fetch_one(
            "SELECT inputs_digest, result FROM match_proposals WHERE round_id = ?", (round_id,)
        )
        return (row["inputs_digest"], row["result"]) if row else None

    async def audit(
        self, actor_id: int, action: str, detail: dict[str, Any], now: datetime
    ) -> None:
        await self._db.write(
            "INSERT INTO audit_log (at, actor_id, action, detail) VALUES (?, ?, ?, ?)",
            (utc_text(now), actor_id, action, to_json(detail)),
        )

    async def audit_log(self, limit: int = 100) -> list[AuditEntry]:
        rows = await self._db.fetch_all(
            "SELECT * FROM audit_log ORDER BY at DESC, id DESC LIMIT ?", (limit,)
        )
        return [to_model(AuditEntry, row, ("detail",)) for row in rows]
