"""What partners do: contact (who and when, never what), away periods, check-ins, nudges
and end-of-round feedback."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.store._rows import id_list, to_json, to_model
from bot.store.db import Database
from bot.store.models import (
    AwayRecord,
    CheckIn,
    CheckinRating,
    ContactEvent,
    Feedback,
    SentNudge,
    utc_text,
)


@dataclass(frozen=True, slots=True)
class NudgeSummary:
    """A pair's nudges: the counts that matter now (since the cycle last reset) and in all.

    ``total`` and ``escalations_total`` number the outbox keys, so they never go down.
    """

    last_nudge_at: datetime | None
    since_reset: int
    escalated: bool
    total: int
    escalations_total: int


NO_NUDGES = NudgeSummary(None, 0, False, 0, 0)


@dataclass(frozen=True, slots=True)
class LiveMember:
    participant_id: int
    name: str | None  # None when the participant row is missing
    timezone: str | None


@dataclass(frozen=True, slots=True)
class LivePair:
    """An active partnership with a space, as the contact planner needs it: plain values
    from one query, because the planner reads every pair of a round on every tick."""

    id: int
    name: str
    channel_id: int
    created_at: datetime
    members: tuple[LiveMember, ...]  # current members only, by participant id
    state: str = "active"

    @property
    def member_ids(self) -> tuple[int, ...]:
        return tuple(member.participant_id for member in self.members)


class ActivityRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # Contact -------------------------------------------------------------------------------

    async def record_message(
        self, partnership_id: int, participant_id: int, message_id: int, at: datetime
    ) -> bool:
        """Log that a partner posted; False when this message was already logged."""
        changed = await self._db.write(
            "INSERT OR IGNORE INTO contact_events"
            " (partnership_id, participant_id, at, source, message_id)"
            " VALUES (?, ?, ?, 'message', ?)",
            (partnership_id, participant_id, utc_text(at), message_id),
        )
        return changed == 1

    async def record_messages(self, events: Sequence[tuple[int, int, int, datetime]]) -> int:
        """Log many ``(partnership, participant, message, at)`` at once, in one statement;
        returns how many were new."""
        rows = [(pid, member, utc_text(at), mid) for pid, member, mid, at in events]
        return await self._db.write(
            "INSERT OR IGNORE INTO contact_events"
            " (partnership_id, participant_id, at, source, message_id)"
            " SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),"
            " json_extract(value, '$[2]'), 'message', json_extract(value, '$[3]')"
            " FROM json_each(?)",
            (to_json(rows),),
        )

    async def log_contact(
        self, partnership_id: int, participant_id: int, at: datetime, kind: str
    ) -> None:
        await self._db.write(
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
        # One index seek per member (contact_events_by_member) instead of a GROUP BY that
        # reads every event of every pair: the planner runs this on each tick.
        rows = await self._db.fetch_all(
            "SELECT m.partnership_id, m.participant_id, (SELECT MAX(c.at) FROM contact_events"
            " AS c WHERE c.partnership_id = m.partnership_id"
            " AND c.participant_id = m.participant_id) AS last"
            " FROM partnership_members AS m"
            " WHERE m.partnership_id IN (SELECT value FROM json_each(?))",
            (id_list(partnership_ids),),
        )
        return {(row[0], row[1]): datetime.fromisoformat(row[2]) for row in rows if row[2]}

    async def last_message_id(self, partnership_id: int) -> int | None:
        row = await self._db.fetch_one(
            "SELECT MAX(message_id) FROM contact_events WHERE partnership_id = ?",
            (partnership_id,),
        )
        return int(row[0]) if row and row[0] is not None else None

    async def contact_days(
        self, partnership_ids: Sequence[int], until: datetime
    ) -> dict[int, list[datetime]]:
        """The first contact of each UTC day, per pair: a chat of thirty messages in one
        evening is one contact, not thirty."""
        rows = await self._db.fetch_all(
            "SELECT partnership_id, MIN(at) AS first FROM contact_events"
            " WHERE partnership_id IN (SELECT value FROM json_each(?)) AND at <= ?"
            " GROUP BY partnership_id, substr(at, 1, 10) ORDER BY partnership_id, first",
            (id_list(partnership_ids), utc_text(until)),
        )
        days: dict[int, list[datetime]] = defaultdict(list)
        for row in rows:
            days[row["partnership_id"]].append(datetime.fromisoformat(row["first"]))
        return days

    async def contact_day_counts(
        self, starts: Mapping[int, datetime], until: datetime
    ) -> dict[int, int]:
        """How many UTC days each pair was in touch from its start (``starts``, by pair) up
        to ``until``; pairs never in touch are left out. The count of :meth:`contact_days`,
        without reading every day."""
        rows = await self._db.fetch_all(
            "SELECT c.partnership_id, COUNT(DISTINCT substr(c.at, 1, 10))"
            " FROM json_each(?) AS pair JOIN contact_events AS c"
            " ON c.partnership_id = json_extract(pair.value, '$[0]')"
            " AND c.at >= json_extract(pair.value, '$[1]') AND c.at <= ?"
            " GROUP BY c.partnership_id",
            (to_json([[pid, utc_text(at)] for pid, at in starts.items()]), utc_text(until)),
        )
        return {row[0]: int(row[1]) for row in rows}

    async def last_message_ids(self, partnership_ids: Sequence[int]) -> dict[int, int]:
        """The newest recorded message id per pair (pairs without messages are left out)."""
        rows = await self._db.fetch_all(
            "SELECT partnership_id, MAX(message_id) AS last FROM contact_events"
            " WHERE partnership_id IN (SELECT value FROM json_each(?))"
            " AND message_id IS NOT NULL GROUP BY partnership_id",
            (id_list(partnership_ids),),
        )
        return {row["partnership_id"]: int(row["last"]) for row in rows}

    async def live_pairs(
        self,
        round_id: int,
        ids: Sequence[int] | None = None,
        states: Sequence[str] = ("active",),
    ) -> list[LivePair]:
        """A round's partnerships in ``states`` that have a space (only ``ids`` when given),
        with their current members."""
        rows = await self._db.fetch_all(
            "SELECT p.id, p.name, p.channel_id, p.created_at, p.state, m.participant_id,"
            " pp.name AS person, pp.timezone FROM partnerships AS p"
            " JOIN partnership_members AS m ON m.partnership_id = p.id AND m.left_at IS NULL"
            " LEFT JOIN participants AS pp ON pp.discord_id = m.participant_id"
            " WHERE p.round_id = ? AND p.state IN (SELECT value FROM json_each(?))"
            " AND p.channel_id IS NOT NULL"
            " AND (? IS NULL OR p.id IN (SELECT value FROM json_each(?)))"
            " ORDER BY p.id, m.participant_id",
            (
                round_id,
                id_list(states),
                None if ids is None else 1,
                id_list(ids or ()),
            ),
        )
        pairs: list[LivePair] = []
        members: list[LiveMember] = []
        for index, row in enumerate(rows):
            members.append(LiveMember(row[5], row[6], row[7]))
            if index + 1 == len(rows) or rows[index + 1][0] != row[0]:
                pairs.append(
                    LivePair(
                        row[0],
                        row[1],
                        row[2],
                        datetime.fromisoformat(row[3]),
                        tuple(members),
                        row[4],
                    )
                )
                members = []
        return pairs

    # Away periods --------------------------------------------------------------------------

    async def add_away(
        self,
        participant_id: int,
        starts_at: datetime,
        ends_at: datetime,
        note: str | None,
        now: datetime,
    ) -> AwayRecord:
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "INSERT INTO away_periods (participant_id, starts_at, ends_at, note, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (participant_id, utc_text(starts_at), utc_text(ends_at), note, utc_text(now)),
            )
            away_id = int(cursor.lastrowid or 0)
        row = await self._db.fetch_one("SELECT * FROM away_periods WHERE id = ?", (away_id,))
        assert row is not None
        return to_model(AwayRecord, row)

    async def cancel_away(self, away_id: int, participant_id: int, now: datetime) -> bool:
        changed = await self._db.write(
            "UPDATE away_periods SET cancelled_at = ?"
            " WHERE id = ? AND participant_id = ? AND cancelled_at IS NULL",
            (utc_text(now), away_id, participant_id),
        )
        return changed == 1

    async def away_period(self, away_id: int) -> AwayRecord | None:
        row = await self._db.fetch_one("SELECT * FROM away_periods WHERE id = ?", (away_id,))
        return to_model(AwayRecord, row) if row else None

    async def away_periods(
        self, participant_ids: Sequence[int], ending_after: datetime
    ) -> list[AwayRecord]:
        """Live (not cancelled) periods of these people that end after ``ending_after``."""
        rows = await self._db.fetch_all(
            "SELECT * FROM away_periods"
            " WHERE participant_id IN (SELECT value FROM json_each(?))"
            " AND cancelled_at IS NULL AND ends_at > ? ORDER BY starts_at, id",
            (id_list(participant_ids), utc_text(ending_after)),
        )
        return [to_model(AwayRecord, row) for row in rows]

    # Check-ins -----------------------------------------------------------------------------

    async def ask_checkins(self, asks: Sequence[tuple[int, int, int]], now: datetime) -> int:
        """Record many ``(partnership, participant, sequence)`` questions; returns how many new."""
        async with self._db.transaction() as tx:
            before = tx.total_changes
            await tx.executemany(
                "INSERT OR IGNORE INTO checkins"
                " (partnership_id, participant_id, sequence, asked_at) VALUES (?, ?, ?, ?)",
                [(pid, member, sequence, utc_text(now)) for pid, member, sequence in asks],
            )
            return tx.total_changes - before

    async def answer_checkin(
        self,
        partnership_id: int,
        participant_id: int,
        sequence: int,
        rating: CheckinRating,
        comment: str | None,
        now: datetime,
    ) -> None:
        """Store an answer (a later one replaces it); a member who joined after the question
        was asked counts as asked now."""
        await self._db.write(
            "INSERT INTO checkins (partnership_id, participant_id, sequence, asked_at,"
            " answered_at, rating, comment) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (partnership_id, participant_id, sequence) DO UPDATE SET"
            " answered_at = excluded.answered_at, rating = excluded.rating,"
            " comment = excluded.comment",
            (partnership_id, participant_id, sequence, utc_text(now), utc_text(now), rating,
             comment),
        )  # fmt: skip

    async def checkins(self, partnership_id: int) -> list[CheckIn]:
        rows = await self._db.fetch_all(
            "SELECT * FROM checkins WHERE partnership_id = ? ORDER BY sequence, participant_id",
            (partnership_id,),
        )
        return [to_model(CheckIn, row) for row in rows]

    async def checkins_for(self, partnership_ids: Sequence[int]) -> dict[int, list[CheckIn]]:
        rows = await self._db.fetch_all(
            "SELECT * FROM checkins WHERE partnership_id IN (SELECT value FROM json_each(?))"
            " ORDER BY partnership_id, sequence, participant_id",
            (id_list(partnership_ids),),
        )
        found: dict[int, list[CheckIn]] = defaultdict(list)
        for row in rows:
            found[row["partnership_id"]].append(to_model(CheckIn, row))
        return found

    async def ratings_since(
        self, partnership_ids: Sequence[int], since: datetime
    ) -> dict[str, int]:
        """How many check-in answers of each rating these pairs gave at or after ``since``."""
        rows = await self._db.fetch_all(
            "SELECT rating, COUNT(*) FROM checkins"
            " WHERE partnership_id IN (SELECT value FROM json_each(?))"
            " AND rating IS NOT NULL AND answered_at >= ? GROUP BY rating ORDER BY rating",
            (id_list(partnership_ids), utc_text(since)),
        )
        return {row[0]: int(row[1]) for row in rows}

    async def set_checkin_dm(self, participant_id: int, on: bool, now: datetime) -> bool:
        """Record a member's own choice about check-in DMs; False when they are unknown."""
        changed = await self._db.write(
            "UPDATE participants SET checkin_dm_opt_in = ?, checkin_dm_chosen_at = ?,"
            " updated_at = ? WHERE discord_id = ?",
            (int(on), utc_text(now), utc_text(now), participant_id),
        )
        return changed == 1

    async def checkin_dm_choices(self, participant_ids: Sequence[int]) -> dict[int, bool]:
        """The members among these who chose either way (the others get the default)."""
        rows = await self._db.fetch_all(
            "SELECT discord_id, checkin_dm_opt_in FROM participants"
            " WHERE discord_id IN (SELECT value FROM json_each(?))"
            " AND checkin_dm_chosen_at IS NOT NULL",
            (id_list(participant_ids),),
        )
        return {row["discord_id"]: bool(row["checkin_dm_opt_in"]) for row in rows}

    # Nudges --------------------------------------------------------------------------------

    async def nudges(self, partnership_id: int) -> list[SentNudge]:
        rows = await self._db.fetch_all(
            "SELECT * FROM nudges WHERE partnership_id = ? ORDER BY at, id", (partnership_id,)
        )
        return [to_model(SentNudge, row) for row in rows]

    async def nudge_summaries(self, partnership_ids: Sequence[int]) -> dict[int, NudgeSummary]:
        """Per pair: the latest nudge, and nudges and escalation since the cycle reset.

        Pairs never nudged are left out (use :data:`NO_NUDGES`).
        """
        rows = await self._db.fetch_all(
            "SELECT n.partnership_id AS pid,"
            " MAX(CASE WHEN n.kind != 'escalation' THEN n.at END) AS last_nudge,"
            " SUM(n.kind != 'escalation' AND n.at > COALESCE(c.reset_after, '')) AS since,"
            " SUM(n.kind = 'escalation' AND n.at > COALESCE(c.reset_after, '')) AS escalated,"
            " SUM(n.kind != 'escalation') AS total,"
            " SUM(n.kind = 'escalation') AS escalations"
            " FROM nudges AS n LEFT JOIN nudge_cycles AS c ON c.partnership_id = n.partnership_id"
            " WHERE n.partnership_id IN (SELECT value FROM json_each(?))"
            " GROUP BY n.partnership_id",
            (id_list(partnership_ids),),
        )
        return {
            row["pid"]: NudgeSummary(
                last_nudge_at=datetime.fromisoformat(row["last_nudge"])
                if row["last_nudge"]
                else None,
                since_reset=int(row["since"] or 0),
                escalated=bool(row["escalated"]),
                total=int(row["total"] or 0),
                escalations_total=int(row["escalations"] or 0),
            )
            for row in rows
        }

    async def reset_nudges(self, partnership_id: int, after: datetime) -> None:
        """Start the nudge count over: nudges at or before ``after`` no longer count."""
        await self._db.write(
            "INSERT INTO nudge_cycles (partnership_id, reset_after) VALUES (?, ?)"
            " ON CONFLICT (partnership_id) DO UPDATE SET reset_after = excluded.reset_after"
            " WHERE excluded.reset_after > nudge_cycles.reset_after",
            (partnership_id, utc_text(after)),
        )

    # Feedback ------------------------------------------------------------------------------

    async def save_feedback(
        self,
        partnership_id: int,
        participant_id: int,
        rating: int,
        comment: str | None,
        now: datetime,
    ) -> None:
        await self._db.write(
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
