"""Partnerships and their members."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.store._rows import id_list, to_json, to_model
from bot.store.db import Database
from bot.store.effects import Effect, apply
from bot.store.models import EndChoice, Partnership, PartnershipState, utc_text


@dataclass(frozen=True)
class NewPartnership:
    name: str
    members: tuple[int, ...]
    score: float = 0.0
    reasons: tuple[str, ...] = ()


class PartnershipRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        round_id: int,
        name: str,
        members: Sequence[int],
        *,
        score: float,
        reasons: Sequence[str],
        now: datetime,
    ) -> int:
        [partnership_id] = await self.create_many(
            round_id, [NewPartnership(name, tuple(members), score, tuple(reasons))], now
        )
        return partnership_id

    async def create_many(
        self,
        round_id: int,
        partnerships: Sequence[NewPartnership],
        now: datetime,
        then: Callable[[list[int]], Sequence[Effect]] | None = None,
    ) -> list[int]:
        """Store partnerships (confirmed) in one transaction, with what ``then`` says they
        record once their ids are known (work to queue, the audit entry)."""
        if any(not 2 <= len(new.members) <= 3 for new in partnerships):
            raise ValueError("a partnership has two members, or three at most")
        async with self._db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO partnerships (round_id, name, state, score, reasons, created_at)"
                " VALUES (?, ?, 'confirmed', ?, ?, ?)",
                [
                    (round_id, new.name, new.score, to_json(list(new.reasons)), utc_text(now))
                    for new in partnerships
                ],
            )
            # A round's partnership names are unique: they find the ids just given.
            rows = await tx.execute_fetchall(
                "SELECT name, id FROM partnerships WHERE round_id = ?"
                " AND name IN (SELECT value FROM json_each(?))",
                (round_id, to_json([new.name for new in partnerships])),
            )
            id_of = {name: pid for name, pid in rows}
            ids = [id_of[new.name] for new in partnerships]
            await tx.executemany(
                "INSERT INTO partnership_members (partnership_id, participant_id) VALUES (?, ?)",
                [
                    (pid, member)
                    for pid, new in zip(ids, partnerships, strict=True)
                    for member in new.members
                ],
            )
            if then is not None:
                await apply(tx, then(ids), now)
        return ids

    async def names_in_round(self, round_id: int) -> set[str]:
        rows = await self._db.fetch_all(
            "SELECT name FROM partnerships WHERE round_id = ?", (round_id,)
        )
        return {row[0] for row in rows}

    async def get(self, partnership_id: int) -> Partnership | None:
        found = await self._select("WHERE id = ?", (partnership_id,))
        return found[0] if found else None

    async def many(self, partnership_ids: Sequence[int]) -> list[Partnership]:
        return await self._select(
            "WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id", (id_list(partnership_ids),)
        )

    async def rounds_of(self, partnership_ids: Sequence[int]) -> dict[int, int]:
        """The round of each of these partnerships (unknown ids are left out)."""
        rows = await self._db.fetch_all(
            "SELECT id, round_id FROM partnerships WHERE id IN (SELECT value FROM json_each(?))",
            (id_list(partnership_ids),),
        )
        return {row[0]: row[1] for row in rows}

    async def ids_in_round(self, round_id: int) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT id FROM partnerships WHERE round_id = ? ORDER BY id", (round_id,)
        )
        return [row[0] for row in rows]

    async def by_channel(self, channel_id: int) -> Partnership | None:
        found = await self._select("WHERE channel_id = ?", (channel_id,))
        return found[0] if found else None

    async def for_round(
        self, round_id: int, states: Sequence[PartnershipState] | None = None
    ) -> list[Partnership]:
        if states is None:
            return await self._select("WHERE round_id = ? ORDER BY id", (round_id,))
        return await self._select(
            "WHERE round_id = ? AND state IN (SELECT value FROM json_each(?)) ORDER BY id",
            (round_id, id_list(states)),
        )

    async def with_state(self, states: Sequence[PartnershipState]) -> list[Partnership]:
        return await self._select(
            "WHERE state IN (SELECT value FROM json_each(?)) ORDER BY id", (id_list(states),)
        )

    async def for_member(self, participant_id: int) -> list[Partnership]:
        return await self._select(
            "WHERE id IN (SELECT partnership_id FROM partnership_members"
            " WHERE participant_id = ?) ORDER BY id",
            (participant_id,),
        )

    async def past_pairs(self) -> set[frozenset[int]]:
        """Every pair of people who have ever shared a partnership (trios give three pairs)."""
        rows = await self._db.fetch_all(
            "SELECT a.participant_id AS first, b.participant_id AS second"
            " FROM partnership_members AS a JOIN partnership_members AS b"
            " ON a.partnership_id = b.partnership_id AND a.participant_id < b.participant_id"
        )
        return {frozenset((row["first"], row["second"])) for row in rows}

    async def set_channel(self, partnership_id: int, channel_id: int) -> None:
        await self._execute(
            "UPDATE partnerships SET channel_id = ? WHERE id = ?", (channel_id, partnership_id)
        )

    async def set_state(
        self, partnership_id: int, state: PartnershipState, now: datetime | None = None
    ) -> None:
        ended_at = utc_text(now) if state == "ended" and now else None
        await self._execute(
            "UPDATE partnerships SET state = ?, ended_at = COALESCE(?, ended_at) WHERE id = ?",
            (state, ended_at, partnership_id),
        )

    async def set_end_choice(
        self, partnership_id: int, participant_id: int, choice: EndChoice
    ) -> bool:
        return await self._execute(
            "UPDATE partnership_members SET end_choice = ?"
            " WHERE partnership_id = ? AND participant_id = ?",
            (choice, partnership_id, participant_id),
        )

    async def mark_left(self, partnership_id: int, participant_id: int, now: datetime) -> bool:
        return await self._execute(
            "UPDATE partnership_members SET left_at = ?"
            " WHERE partnership_id = ? AND participant_id = ? AND left_at IS NULL",
            (utc_text(now), partnership_id, participant_id),
        )

    async def _execute(self, sql: str, params: Sequence[object]) -> bool:
        return await self._db.write(sql, params) > 0

    async def _select(self, where: str, params: Sequence[object]) -> list[Partnership]:
        # ``where`` is always one of this class's literal clauses, never user input. The
        # members come in the same query, as a JSON list, ordered by participant.
        rows = await self._db.fetch_all(
            "SELECT p.*, (SELECT json_group_array(json_object('participant_id', m.participant_id,"
            " 'end_choice', m.end_choice, 'left_at', m.left_at)) FROM (SELECT * FROM"
            " partnership_members WHERE partnership_id = p.id ORDER BY participant_id) AS m)"
            " AS members FROM partnerships AS p " + where,
            params,
        )
        return [to_model(Partnership, row, ("reasons", "members")) for row in rows]
