"""Read-only, set-based queries for round reports, exports and the audit log.

Each method reads a whole round in one or two statements (no query per partnership), so a
report of 1,000 partnerships costs the same handful of queries as one of 10. Nothing here
writes; :func:`open_read_only` opens a database file for the offline ``iln-bot report``
without creating, migrating or changing it.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import aiosqlite

from bot.store._rows import to_model
from bot.store.db import BUSY_TIMEOUT_MS, Database, bundled_migrations
from bot.store.models import AuditEntry, CheckinRating, PartnershipState, utc_text


@dataclass(frozen=True, slots=True)
class ReportMember:
    participant_id: int
    name: str | None  # None when the participant row is missing
    timezone: str | None
    left_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReportPartnership:
    """A partnership as reports need it: plain values from one query."""

    id: int
    name: str
    state: PartnershipState
    score: float
    created_at: datetime
    ended_at: datetime | None
    members: tuple[ReportMember, ...]


@dataclass(frozen=True, slots=True)
class MatchProfile:
    """What an application says about a person and the partner they hoped for: the
    fields match quality needs, without validating whole applications."""

    discord_id: int
    sector: str
    career_stage: str
    country: str
    timezone: str
    partner_sectors: frozenset[str]
    partner_career_stages: frozenset[str]
    partner_countries: frozenset[str]


@dataclass(frozen=True, slots=True)
class CheckinRow:
    partnership: str
    participant_id: int
    name: str | None
    sequence: int
    asked_at: datetime
    answered_at: datetime | None
    rating: CheckinRating | None
    comment: str | None


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    partnership: str
    participant_id: int
    name: str | None
    rating: int
    comment: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class NudgeCount:
    partnership_id: int
    kind: str  # quiet, one_sided or escalation
    at: datetime


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int  # matching entries in all pages


class DatabaseNotReady(Exception):
    """The file is missing, not an ILN database, or of another schema version."""


class ReportRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def partnerships(self, round_id: int) -> list[ReportPartnership]:
        """Every partnership of a round (any state) with all its members, by id."""
        rows = await self._db.fetch_all(
            "SELECT p.id, p.name, p.state, p.score, p.created_at, p.ended_at,"
            " m.participant_id, pp.name AS person, pp.timezone, m.left_at"
            " FROM partnerships AS p"
            " LEFT JOIN partnership_members AS m ON m.partnership_id = p.id"
            " LEFT JOIN participants AS pp ON pp.discord_id = m.participant_id"
            " WHERE p.round_id = ? ORDER BY p.id, m.participant_id",
            (round_id,),
        )
        members: dict[int, list[ReportMember]] = defaultdict(list)
        heads: dict[int, tuple[str, PartnershipState, float, datetime, datetime | None]] = {}
        for row in rows:
            heads.setdefault(
                row["id"],
                (
                    row["name"],
                    row["state"],
                    float(row["score"]),
                    datetime.fromisoformat(row["created_at"]),
                    _moment(row["ended_at"]),
                ),
            )
            if row["participant_id"] is not None:
                members[row["id"]].append(
                    ReportMember(
                        row["participant_id"],
                        row["person"],
                        row["timezone"],
                        _moment(row["left_at"]),
                    )
                )
        return [
            ReportPartnership(pid, *head, members=tuple(members[pid]))
            for pid, head in heads.items()
        ]

    async def match_profiles(self, round_id: int) -> dict[int, MatchProfile]:
        """Each applicant's own sector, stage, country and zone, and their partner wishes."""
        rows = await self._db.fetch_all(
            "SELECT participant_id, sector, career_stage, country, timezone, partner_sectors,"
            " partner_career_stages, partner_countries FROM applications WHERE round_id = ?",
            (round_id,),
        )
        return {
            row[0]: MatchProfile(
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                frozenset(json.loads(row[5])),
                frozenset(json.loads(row[6])),
                frozenset(json.loads(row[7])),
            )
            for row in rows
        }

    async def contact_days(self, round_id: int, until: datetime) -> dict[int, list[date]]:
        """The UTC days on which each partnership of a round had contact, up to ``until``.

        Only days, never counts of messages: thirty messages one evening are one contact.
        """
        rows = await self._db.fetch_all(
            "SELECT DISTINCT c.partnership_id, substr(c.at, 1, 10) AS day"
            " FROM contact_events AS c JOIN partnerships AS p ON p.id = c.partnership_id"
            " WHERE p.round_id = ? AND c.at <= ? ORDER BY c.partnership_id, day",
            (round_id, utc_text(until)),
        )
        days: dict[int, list[date]] = defaultdict(list)
        for row in rows:
            days[row[0]].append(date.fromisoformat(row[1]))
        return days

    async def checkin_answers(self, round_id: int) -> list[tuple[datetime, CheckinRating]]:
        """When each check-in of a round was answered, and the answer."""
        rows = await self._db.fetch_all(
            "SELECT c.answered_at, c.rating FROM checkins AS c"
            " JOIN partnerships AS p ON p.id = c.partnership_id"
            " WHERE p.round_id = ? AND c.rating IS NOT NULL AND c.answered_at IS NOT NULL"
            " ORDER BY c.answered_at",
            (round_id,),
        )
        return [(datetime.fromisoformat(row[0]), row[1]) for row in rows]

    async def checkins_asked(self, round_id: int) -> int:
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM checkins AS c JOIN partnerships AS p"
            " ON p.id = c.partnership_id WHERE p.round_id = ?",
            (round_id,),
        )
        return int(row[0]) if row else 0

    async def nudges(self, round_id: int) -> list[NudgeCount]:
        """Every nudge and escalation of a round, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT n.partnership_id, n.kind, n.at FROM nudges AS n"
            " JOIN partnerships AS p ON p.id = n.partnership_id"
            " WHERE p.round_id = ? ORDER BY n.at, n.id",
            (round_id,),
        )
        return [NudgeCount(row[0], row[1], datetime.fromisoformat(row[2])) for row in rows]

    async def feedback_ratings(self, round_id: int) -> dict[int, int]:
        """How many partners gave each end-of-round rating (1 to 5; missing ones are 0)."""
        rows = await self._db.fetch_all(
            "SELECT f.rating, COUNT(*) FROM feedback AS f"
            " JOIN partnerships AS p ON p.id = f.partnership_id"
            " WHERE p.round_id = ? GROUP BY f.rating",
            (round_id,),
        )
        found = {rating: 0 for rating in range(1, 6)}
        found.update({int(row[0]): int(row[1]) for row in rows})
        return found

    async def checkin_rows(self, round_id: int) -> list[CheckinRow]:
        rows = await self._db.fetch_all(
            "SELECT p.name AS partnership, c.participant_id, pp.name, c.sequence, c.asked_at,"
            " c.answered_at, c.rating, c.comment FROM checkins AS c"
            " JOIN partnerships AS p ON p.id = c.partnership_id"
            " LEFT JOIN participants AS pp ON pp.discord_id = c.participant_id"
            " WHERE p.round_id = ? ORDER BY p.name, c.sequence, c.participant_id",
            (round_id,),
        )
        return [
            CheckinRow(
                row[0],
                row[1],
                row[2],
                row[3],
                datetime.fromisoformat(row[4]),
                _moment(row[5]),
                row[6],
                row[7],
            )
            for row in rows
        ]

    async def feedback_rows(self, round_id: int) -> list[FeedbackRow]:
        rows = await self._db.fetch_all(
            "SELECT p.name AS partnership, f.participant_id, pp.name, f.rating, f.comment, f.at"
            " FROM feedback AS f JOIN partnerships AS p ON p.id = f.partnership_id"
            " LEFT JOIN participants AS pp ON pp.discord_id = f.participant_id"
            " WHERE p.round_id = ? ORDER BY p.name, f.participant_id",
            (round_id,),
        )
        return [
            FeedbackRow(row[0], row[1], row[2], row[3], row[4], datetime.fromisoformat(row[5]))
            for row in rows
        ]

    async def audit_page(
        self,
        *,
        actor_id: int | None,
        since: datetime | None,
        limit: int,
        offset: int,
    ) -> AuditPage:
        """Coordinator actions, newest first, optionally by one actor and from a moment on."""
        where = "WHERE (? IS NULL OR actor_id = ?) AND (? IS NULL OR at >= ?)"
        since_text = utc_text(since) if since is not None else None
        params = (actor_id, actor_id, since_text, since_text)
        total = await self._db.fetch_one("SELECT COUNT(*) FROM audit_log " + where, params)
        rows = await self._db.fetch_all(
            "SELECT * FROM audit_log " + where + " ORDER BY at DESC, id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return AuditPage(
            [to_model(AuditEntry, row, ("detail",)) for row in rows],
            int(total[0]) if total else 0,
        )


def _read_only_uri(path: Path) -> str:
    if not path.is_file():
        raise DatabaseNotReady(f"no database file at {path}")
    return path.resolve().as_uri() + "?mode=ro"


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


async def open_read_only(path: Path) -> Database:
    """Open an existing database file for reading only: never created, migrated or changed.

    Raises :class:`DatabaseNotReady` when the file is missing, is not an SQLite database,
    or has another schema version than this bot (an older one needs ``iln-bot db upgrade``
    first, which a report must not do behind the owner's back).
    """
    uri = await asyncio.to_thread(_read_only_uri, path)
    try:
        connection = await aiosqlite.connect(uri, uri=True)
    except Exception as error:
        raise DatabaseNotReady(f"{path} cannot be opened: {error}") from None
    db = Database(connection)
    try:
        connection.row_factory = aiosqlite.Row
        await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = await db.schema_version()
        tables = await db.fetch_one(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'rounds'"
        )
    except Exception as error:
        await db.close()
        raise DatabaseNotReady(f"{path} is not an ILN bot database ({error})") from None
    expected = len(bundled_migrations())
    problem = None
    if not tables or not tables[0]:
        problem = f"{path} is not an ILN bot database (it has no rounds table)"
    elif version < expected:
        problem = (
            f"{path} has schema version {version}, older than this bot's {expected}; "
            "upgrade a copy with `iln-bot db upgrade` first"
        )
    elif version > expected:
        problem = (
            f"{path} has schema version {version}, newer than this bot's {expected}; "
            "use a newer iln-bot"
        )
    if problem is not None:
        await db.close()
        raise DatabaseNotReady(problem)
    return db
