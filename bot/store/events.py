"""Live discussions: the program's scheduled events and their status."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.store._rows import id_list, to_model
from bot.store.db import Database
from bot.store.effects import Scheduled, insert_work
from bot.store.models import EventStatus, LiveEvent, PlaceKind, utc_text

Queue = Callable[[LiveEvent], Sequence[Scheduled]]
UNFINISHED: tuple[EventStatus, ...] = ("scheduled", "active")


class EventRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        round_id: int,
        topic_id: int,
        starts_at: datetime,
        ends_at: datetime,
        place_kind: PlaceKind,
        channel_id: int | None,
        location: str | None,
        actor: int,
        now: datetime,
        queue: Queue,
    ) -> LiveEvent:
        """A new live discussion, with the work ``queue`` makes for it, in one transaction."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "INSERT INTO live_events (round_id, topic_id, starts_at, ends_at, place_kind,"
                " channel_id, location, created_by, created_at, planned_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (
                    round_id,
                    topic_id,
                    utc_text(starts_at),
                    utc_text(ends_at),
                    place_kind,
                    channel_id,
                    location,
                    actor,
                    utc_text(now),
                    utc_text(now),
                ),
            )
            row = await cursor.fetchone()
            assert row is not None
            event = to_model(LiveEvent, row)
            await insert_work(tx, queue(event), now)
        return event

    async def get(self, event_id: int) -> LiveEvent | None:
        row = await self._db.fetch_one("SELECT * FROM live_events WHERE id = ?", (event_id,))
        return to_model(LiveEvent, row) if row else None

    async def by_discord_id(self, discord_event_id: int) -> LiveEvent | None:
        row = await self._db.fetch_one(
            "SELECT * FROM live_events WHERE discord_event_id = ?", (discord_event_id,)
        )
        return to_model(LiveEvent, row) if row else None

    async def unfinished(self) -> list[LiveEvent]:
        """Events not yet over (scheduled or active), soonest first."""
        return await self._select(
            "status IN (SELECT value FROM json_each(?))", (id_list(UNFINISHED),)
        )

    async def many(self, event_ids: Sequence[int]) -> list[LiveEvent]:
        return await self._select("id IN (SELECT value FROM json_each(?))", (id_list(event_ids),))

    async def for_round(self, round_id: int) -> list[LiveEvent]:
        return await self._select("round_id = ?", (round_id,))

    async def move(
        self, event_id: int, starts_at: datetime, ends_at: datetime, now: datetime, queue: Queue
    ) -> LiveEvent | None:
        """New times for a scheduled event (None when it is no longer scheduled)."""
        return await self._change(
            "starts_at = ?, ends_at = ?, planned_at = ?, revision = revision + 1",
            (utc_text(starts_at), utc_text(ends_at), utc_text(now)),
            event_id,
            ("scheduled",),
            now,
            queue,
        )

    async def cancel(self, event_id: int, now: datetime, queue: Queue) -> LiveEvent | None:
        """Cancel a scheduled event (None when it is no longer scheduled)."""
        return await self._change(
            "status = 'cancelled', revision = revision + 1",
            (),
            event_id,
            ("scheduled",),
            now,
            queue,
        )

    async def set_status(
        self,
        event_id: int,
        status: EventStatus,
        expected: Sequence[EventStatus],
        now: datetime,
        queue: Queue,
    ) -> LiveEvent | None:
        """What Discord says happened (started, ended, cancelled): recorded once, with the
        work it makes; None when the event was not in one of ``expected``."""
        return await self._change("status = ?", (status,), event_id, expected, now, queue)

    async def _change(
        self,
        assignments: str,
        values: tuple[object, ...],
        event_id: int,
        expected: Sequence[EventStatus],
        now: datetime,
        queue: Queue,
    ) -> LiveEvent | None:
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                f"UPDATE live_events SET {assignments} WHERE id = ?"
                " AND status IN (SELECT value FROM json_each(?)) RETURNING *",
                (*values, event_id, id_list(expected)),
            )
            row = await cursor.fetchone()
            if row is None:
                return None
            event = to_model(LiveEvent, row)
            await insert_work(tx, queue(event), now)
        return event

    async def _select(self, where: str, params: tuple[object, ...]) -> list[LiveEvent]:
        rows = await self._db.fetch_all(
            f"SELECT * FROM live_events WHERE {where} ORDER BY starts_at, id",
            params,
        )
        return [to_model(LiveEvent, row) for row in rows]
