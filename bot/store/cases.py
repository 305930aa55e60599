"""Cases, their events and notes, the unmatched applicants' answers, and private threads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from bot.store._rows import id_list, to_model
from bot.store.db import Database
from bot.store.effects import Effect, Scheduled, apply, insert_work
from bot.store.models import (
    Case,
    CaseEvent,
    PartnershipNote,
    UnmatchedAnswer,
    UnmatchedChoice,
    utc_text,
)

CaseFilter = Literal["open", "mine", "all"]


class CaseRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, case_id: int) -> Case | None:
        row = await self._db.fetch_one("SELECT * FROM cases WHERE id = ?", (case_id,))
        return to_model(Case, row) if row else None

    async def by_subject(self, subject: str) -> Case | None:
        row = await self._db.fetch_one("SELECT * FROM cases WHERE subject = ?", (subject,))
        return to_model(Case, row) if row else None

    async def by_thread(self, thread_id: int) -> Case | None:
        row = await self._db.fetch_one("SELECT * FROM cases WHERE thread_id = ?", (thread_id,))
        return to_model(Case, row) if row else None

    async def listed(self, which: CaseFilter, actor_id: int) -> list[Case]:
        """Open cases (``mine``: those assigned to ``actor_id``) or every case; oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM cases WHERE (? = 'all' OR state = 'open')"
            " AND (? != 'mine' OR assignee_id = ?) ORDER BY opened_at, id",
            (which, which, actor_id),
        )
        return [to_model(Case, row) for row in rows]

    async def events(self, case_id: int, limit: int = 50) -> list[CaseEvent]:
        """The case's latest events, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM (SELECT * FROM case_events WHERE case_id = ? ORDER BY at DESC, id DESC"
            " LIMIT ?) ORDER BY at, id",
            (case_id, limit),
        )
        return [to_model(CaseEvent, row) for row in rows]

    async def event(self, outbox_key: str) -> CaseEvent | None:
        row = await self._db.fetch_one(
            "SELECT * FROM case_events WHERE outbox_key = ?", (outbox_key,)
        )
        return to_model(CaseEvent, row) if row else None

    async def counts_since(self, since: datetime) -> tuple[int, int, int]:
        """``(open now, opened or reopened since, handled since)``."""
        row = await self._db.fetch_one(
            "SELECT SUM(state = 'open'), SUM(opened_at >= ?), SUM(handled_at >= ?) FROM cases",
            (utc_text(since), utc_text(since)),
        )
        if row is None:
            return 0, 0, 0
        return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)

    async def change(
        self,
        case_id: int,
        expected_state: str,
        values: dict[str, object],
        queue: Sequence[Scheduled],
        effects: Sequence[Effect],
        now: datetime,
    ) -> bool:
        """Set ``values`` on a case still in ``expected_state``, queueing ``queue`` and
        recording ``effects`` in the same transaction; False (nothing done) otherwise."""
        columns = {"assignee_id", "taken_at", "handled_at", "handled_by", "handled_note"}
        if not set(values) <= columns:
            raise ValueError(f"cannot set {sorted(set(values) - columns)} on a case")
        # Column names come from the fixed set above, never from input.
        assignments = ", ".join(f"{column} = ?" for column in values)
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                f"UPDATE cases SET {assignments}, updated_at = ? WHERE id = ? AND state = ?",
                (*values.values(), utc_text(now), case_id, expected_state),
            )
            if cursor.rowcount != 1:
                return False
            await apply(tx, effects, now)
            await insert_work(tx, queue, now)
            return True

    async def handle(
        self,
        case_id: int,
        actor_id: int,
        note: str | None,
        queue: Sequence[Scheduled],
        effects: Sequence[Effect],
        now: datetime,
    ) -> bool:
        """Mark an open case handled (the assignee stays, for the record)."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE cases SET state = 'handled', handled_at = ?, handled_by = ?,"
                " handled_note = ?, updated_at = ? WHERE id = ? AND state = 'open'",
                (utc_text(now), actor_id, note, utc_text(now), case_id),
            )
            if cursor.rowcount != 1:
                return False
            await apply(tx, effects, now)
            await insert_work(tx, queue, now)
            return True

    # Notes ----------------------------------------------------------------------------------

    async def add_note(
        self,
        partnership_id: int,
        author_id: int,
        text: str,
        queue: Sequence[Scheduled],
        effects: Sequence[Effect],
        now: datetime,
    ) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO partnership_notes (partnership_id, author_id, at, text)"
                " VALUES (?, ?, ?, ?)",
                (partnership_id, author_id, utc_text(now), text),
            )
            await apply(tx, effects, now)
            await insert_work(tx, queue, now)

    async def notes(self, partnership_id: int, limit: int = 20) -> list[PartnershipNote]:
        """The pair's latest notes, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM (SELECT * FROM partnership_notes WHERE partnership_id = ?"
            " ORDER BY at DESC, id DESC LIMIT ?) ORDER BY at, id",
            (partnership_id, limit),
        )
        return [to_model(PartnershipNote, row) for row in rows]

    # Unmatched applicants ---------------------------------------------------------------------

    async def answer_unmatched(
        self,
        round_id: int,
        participant_id: int,
        answer: UnmatchedChoice,
        now: datetime,
        effects: Sequence[Effect] = (),
    ) -> None:
        """Store an unmatched applicant's answer (a later one replaces it)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO unmatched_answers (round_id, participant_id, answer, answered_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (round_id, participant_id) DO UPDATE SET"
                " answer = excluded.answer, answered_at = excluded.answered_at",
                (round_id, participant_id, answer, utc_text(now)),
            )
            await apply(tx, effects, now)

    async def unmatched_answers(self, round_id: int) -> dict[int, UnmatchedAnswer]:
        rows = await self._db.fetch_all(
            "SELECT * FROM unmatched_answers WHERE round_id = ?", (round_id,)
        )
        return {row["participant_id"]: to_model(UnmatchedAnswer, row) for row in rows}

    # Private threads --------------------------------------------------------------------------

    async def private_thread(self, participant_id: int) -> int | None:
        row = await self._db.fetch_one(
            "SELECT thread_id FROM private_threads WHERE participant_id = ?", (participant_id,)
        )
        return int(row[0]) if row else None

    async def set_private_thread(self, participant_id: int, thread_id: int) -> None:
        await self._db.write(
            "INSERT INTO private_threads (participant_id, thread_id) VALUES (?, ?)"
            " ON CONFLICT (participant_id) DO UPDATE SET thread_id = excluded.thread_id",
            (participant_id, thread_id),
        )

    async def open_for_partnerships(self, partnership_ids: Sequence[int]) -> dict[int, Case]:
        """The cases of these partnerships (open or handled), by partnership."""
        rows = await self._db.fetch_all(
            "SELECT * FROM cases WHERE partnership_id IN (SELECT value FROM json_each(?))",
            (id_list(partnership_ids),),
        )
        return {row["partnership_id"]: to_model(Case, row) for row in rows}
