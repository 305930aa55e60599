"""What partners do: contact (who and when, never what), away periods, check-ins, nudges
and end-of-round feedback."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.store._rows import id_list, to_model
from bot.store.db import Database
from bot.store.models import (
    AwayPeriod,
    CheckIn,
    CheckinRating,
    ContactEvent,
    Feedback,
    Nudge,
    utc_text,
)


class ActivityRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # Contact -------------------------------------------------------------------------------

    async def record_message(
        self, partnership_id: int, participant_id: int, message_id: int, at: datetime
    ) -> bool:
        """Log that a partner posted; False when this message was already logged."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "INSERT OR IGNORE INTO contact_events"
                " (partnership_id, participant_id, at, source, message_id)"
                " VALUES (?, ?, ?, 'message', ?)",
                (partnership_id, participant_id, utc_text(at), message_id),
            )
            return cursor.rowcount == 1

    async def record_messages(self, events: Sequence[tuple[int, int, int, datetime]]) -> int:
        """Log many ``(partnership, participant, message, at)`` at once; returns how many new."""
        async with self._db.transaction() as tx:
            before = tx.total_changes
            await tx.executemany(
                "INSERT OR IGNORE INTO contact_events"
                " (partnership_id, participant_id, at, source, message_id)"
                " VALUES (?, ?, ?, 'message', ?)",
                [(pid, member, utc_text(at), mid) for pid, member, mid, at in events],
            )
            return tx.total_changes - before

    async def log_contact(
        self, partnership_id: int, participant_id: int, at: datetime, kind: str
    ) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO contact_events (partnership_id, participant_id, at, source, kind)"
                " VALUES (?, ?, ?, 'logged', ?)",
                (partnership_id, participant_id, utc_text(at), kind),
            )

    async def contacts(self, partnership_id: int) -> list[ContactEvent]:
        rows = await self._db.fetch_all(
            "SELECT * FROM contact_events WHERE partnership_id = ? ORDER BY at, id",
            (partnership_id,),
        )
        return [to_model(ContactEvent, row) for row in rows]

    async def last_contacts(
        self, partnership_ids: Sequence[int]
    ) -> dict[tuple[int, int], datetime]:
        """The latest contact per ``(partnership, participant)`` for many pairs in one query."""
        rows = await self._db.fetch_all(
            "SELECT partnership_id, participant_id, MAX(at) AS last FROM contact_events"
            " WHERE partnership_id IN (SELECT value FROM json_each(?))"
            " GROUP BY partnership_id, participant_id",
            (id_list(partnership_ids),),
        )
        return {
            (row["partnership_id"], row["participant_id"]): datetime.fromisoformat(row["last"])
            for row in rows
        }

    async def last_message_id(self, partnership_id: int) -> int | None:
        row = await self._db.fetch_one(
            "SELECT MAX(message_id) FROM contact_events WHERE partnership_id = ?",
            (partnership_id,),
        )
        return int(row[0]) if row and row[0] is not None else None

    # Away periods --------------------------------------------------------------------------

    async def add_away(
        self,
        participant_id: int,
        starts_at: datetime,
        ends_at: datetime,
        note: str | None,
        now: datetime,
    ) -> AwayPeriod:
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "INSERT INTO away_periods (participant_id, starts_at, ends_at, note, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (participant_id, utc_text(starts_at), utc_text(ends_at), note, utc_text(now)),
            )
            away_id = int(cursor.lastrowid or 0)
        row = await self._db.fetch_one("SELECT * FROM away_periods WHERE id = ?", (away_id,))
        assert row is not None
        return to_model(AwayPeriod, row)

    async def cancel_away(self, away_id: int, participant_id: int, now: datetime) -> bool:
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE away_periods SET cancelled_at = ?"
                " WHERE id = ? AND participant_id = ? AND cancelled_at IS NULL",
                (utc_text(now), away_id, participant_id),
            )
            return cursor.rowcount == 1

    async def away_periods(
        self, participant_ids: Sequence[int], ending_after: datetime
    ) -> list[AwayPeriod]:
        """Live (not cancelled) periods of these people that end after ``ending_after``."""
        rows = await self._db.fetch_all(
            "SELECT * FROM away_periods"
            " WHERE participant_id IN (SELECT value FROM json_each(?))"
            " AND cancelled_at IS NULL AND ends_at > ? ORDER BY starts_at, id",
            (id_list(participant_ids), utc_text(ending_after)),
        )
        return [to_model(AwayPeriod, row) for row in rows]

    # Check-ins -----------------------------------------------------------------------------

    async def ask_checkin(
        self, partnership_id: int, participant_id: int, sequence: int, now: datetime
    ) -> bool:
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "INSERT OR IGNORE INTO checkins"
                " (partnership_id, participant_id, sequence, asked_at) VALUES (?, ?, ?, ?)",
                (partnership_id, participant_id, sequence, utc_text(now)),
            )
            return cursor.rowcount == 1

    async def answer_checkin(
        self,
        partnership_id: int,
        participant_id: int,
        sequence: int,
        rating: CheckinRating,
        comment: str | None,
        now: datetime,
    ) -> bool:
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE checkins SET rating = ?, comment = ?, answered_at = ?"
                " WHERE partnership_id = ? AND participant_id = ? AND sequence = ?",
                (rating, comment, utc_text(now), partnership_id, participant_id, sequence),
            )
            return cursor.rowcount == 1

    async def checkins(self, partnership_id: int) -> list[CheckIn]:
        rows = await self._db.fetch_all(
            "SELECT * FROM checkins WHERE partnership_id = ? ORDER BY sequence, participant_id",
            (partnership_id,),
        )
        return [to_model(CheckIn, row) for row in rows]

    # Nudges --------------------------------------------------------------------------------

    async def nudges(self, partnership_id: int) -> list[Nudge]:
        rows = await self._db.fetch_all(
            "SELECT * FROM nudges WHERE partnership_id = ? ORDER BY at, id", (partnership_id,)
        )
        return [to_model(Nudge, row) for row in rows]

    # Feedback ------------------------------------------------------------------------------

    async def save_feedback(
        self,
        partnership_id: int,
        participant_id: int,
        rating: int,
        comment: str | None,
        now: datetime,
    ) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO feedback (partnership_id, participant_id, rating, comment, at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (partnership_id, participant_id) DO UPDATE"
                " SET rating = excluded.rating, comment = excluded.comment, at = excluded.at",
                (partnership_id, participant_id, rating, comment, utc_text(now)),
            )

    async def feedback(self, partnership_id: int) -> list[Feedback]:
        rows = await self._db.fetch_all(
            "SELECT * FROM feedback WHERE partnership_id = ? ORDER BY participant_id",
            (partnership_id,),
        )
        return [to_model(Feedback, row) for row in rows]
