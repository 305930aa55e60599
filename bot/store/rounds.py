"""Rounds, their topics and their space containers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.store._rows import id_list, to_json, to_model
from bot.store.db import Database
from bot.store.effects import Scheduled, insert_work
from bot.store.models import Round, RoundState, RoundTopic, SpaceContainer, utc_text


class RoundRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, name: str, starts_on: date, ends_on: date, now: datetime) -> Round:
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "INSERT INTO rounds (name, state, starts_on, ends_on, created_at, updated_at)"
                " VALUES (?, 'draft', ?, ?, ?, ?)",
                (name, starts_on.isoformat(), ends_on.isoformat(), utc_text(now), utc_text(now)),
            )
            round_id = cursor.lastrowid
        created = await self.get(int(round_id or 0))
        assert created is not None
        return created

    async def get(self, round_id: int) -> Round | None:
        row = await self._db.fetch_one("SELECT * FROM rounds WHERE id = ?", (round_id,))
        return to_model(Round, row) if row else None

    async def by_name(self, name: str) -> Round | None:
        row = await self._db.fetch_one("SELECT * FROM rounds WHERE name = ?", (name,))
        return to_model(Round, row) if row else None

    async def all(self) -> list[Round]:
        rows = await self._db.fetch_all("SELECT * FROM rounds ORDER BY starts_on, id")
        return [to_model(Round, row) for row in rows]

    async def in_states(self, states: Sequence[RoundState]) -> list[Round]:
        rows = await self._db.fetch_all(
            "SELECT * FROM rounds WHERE state IN (SELECT value FROM json_each(?))"
            " ORDER BY starts_on, id",
            (id_list(state.value for state in states),),
        )
        return [to_model(Round, row) for row in rows]

    async def set_state(
        self,
        round_id: int,
        expected: RoundState,
        new: RoundState,
        now: datetime,
        queue: Sequence[Scheduled] = (),
    ) -> bool:
        """Move a round from ``expected`` to ``new``, queueing ``queue`` with the move;
        False (and nothing queued) when it was not in ``expected``."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE rounds SET state = ?, updated_at = ? WHERE id = ? AND state = ?",
                (new.value, utc_text(now), round_id, expected.value),
            )
            if cursor.rowcount != 1:
                return False
            await insert_work(tx, queue, now)
            return True

    async def add_container(self, container: SpaceContainer) -> None:
        await self._db.write(
            "INSERT INTO space_containers (round_id, number, kind, channel_id) VALUES (?, ?, ?, ?)",
            (container.round_id, container.number, container.kind, container.channel_id),
        )

    async def containers(self, round_id: int) -> list[SpaceContainer]:
        rows = await self._db.fetch_all(
            "SELECT * FROM space_containers WHERE round_id = ? ORDER BY kind, number", (round_id,)
        )
        return [to_model(SpaceContainer, row) for row in rows]


TOPIC_JSON = ("prompts", "hashtags")


class TopicRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        round_id: int,
        *,
        position: int,
        slug: str,
        title: str,
        summary: str,
        body: str,
        prompts: Sequence[str],
        due_on: date,
        hashtags: Sequence[str] = (),
    ) -> RoundTopic:
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "INSERT INTO topics (round_id, position, slug, title, summary, body, prompts,"
                " due_on, hashtags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    round_id,
                    position,
                    slug,
                    title,
                    summary,
                    body,
                    to_json(list(prompts)),
                    due_on.isoformat(),
                    to_json(list(hashtags)),
                ),
            )
            topic_id = int(cursor.lastrowid or 0)
        topic = await self.get(topic_id)
        assert topic is not None
        return topic

    async def get(self, topic_id: int) -> RoundTopic | None:
        row = await self._db.fetch_one("SELECT * FROM topics WHERE id = ?", (topic_id,))
        return to_model(RoundTopic, row, TOPIC_JSON) if row else None

    async def for_round(self, round_id: int) -> list[RoundTopic]:
        rows = await self._db.fetch_all(
            "SELECT * FROM topics WHERE round_id = ? ORDER BY due_on, position, id", (round_id,)
        )
        return [to_model(RoundTopic, row, TOPIC_JSON) for row in rows]

    async def edit(self, topic_id: int, *, title: str, summary: str, body: str) -> None:
        await self._execute(
            "UPDATE topics SET title = ?, summary = ?, body = ? WHERE id = ?",
            (title, summary, body, topic_id),
        )

    async def move(self, topic_id: int, due_on: date) -> None:
        await self._execute(
            "UPDATE topics SET due_on = ? WHERE id = ?", (due_on.isoformat(), topic_id)
        )

    async def _execute(self, sql: str, params: tuple[object, ...]) -> None:
        await self._db.write(sql, params)
