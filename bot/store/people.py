"""Participants (who persist across rounds), their applications and the waitlist."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TypedDict

import aiosqlite

from bot.domain.applications import Application
from bot.store._rows import id_list, to_json, to_model
from bot.store.db import Database
from bot.store.effects import Effect, apply
from bot.store.models import Participant, WaitlistEntry, utc_text


class ApplicationCounts(TypedDict):
    """How many saved applications were new and how many replaced an earlier one."""

    added: int
    updated: int


APPLICATION_QUERY = """
SELECT a.*, p.name, p.preferred_name, p.email FROM applications AS a
JOIN participants AS p ON p.discord_id = a.participant_id
"""


class PeopleRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def participant(self, discord_id: int) -> Participant | None:
        row = await self._db.fetch_one(
            "SELECT * FROM participants WHERE discord_id = ?", (discord_id,)
        )
        return to_model(Participant, row) if row else None

    async def participants(self, discord_ids: list[int]) -> dict[int, Participant]:
        rows = await self._db.fetch_all(
            "SELECT * FROM participants WHERE discord_id IN (SELECT value FROM json_each(?))",
            (id_list(discord_ids),),
        )
        return {row["discord_id"]: to_model(Participant, row) for row in rows}

    async def search(self, text: str, limit: int = 25) -> list[Participant]:
        """Participants whose name contains ``text`` (any case), by name."""
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = await self._db.fetch_all(
            "SELECT * FROM participants WHERE name LIKE ? ESCAPE '\\' ORDER BY name LIMIT ?",
            (f"%{escaped}%", limit),
        )
        return [to_model(Participant, row) for row in rows]

    async def save_applications(
        self, round_id: int, applications: list[Application], now: datetime
    ) -> ApplicationCounts:
        """Insert or update every application in one transaction: all or nothing."""
        counts: ApplicationCounts = {"added": 0, "updated": 0}
        async with self._db.transaction() as tx:
            rows = await tx.execute_fetchall(
                "SELECT participant_id FROM applications WHERE round_id = ?"
                " AND participant_id IN (SELECT value FROM json_each(?))",
                (round_id, id_list(a.discord_id for a in applications)),
            )
            known = {row[0] for row in rows}
            for application in applications:
                counts["updated" if application.discord_id in known else "added"] += 1
                known.add(application.discord_id)
            await tx.executemany(
                _UPSERT_PARTICIPANT, [_participant_values(a, now) for a in applications]
            )
            await tx.executemany(
                _UPSERT_APPLICATION, [_application_values(round_id, a, now) for a in applications]
            )
        return counts

    async def application(self, round_id: int, discord_id: int) -> Application | None:
        row = await self._db.fetch_one(
            APPLICATION_QUERY + " WHERE a.round_id = ? AND a.participant_id = ?",
            (round_id, discord_id),
        )
        return _to_application(row) if row else None

    async def applications(self, round_id: int) -> list[Application]:
        rows = await self._db.fetch_all(
            APPLICATION_QUERY + " WHERE a.round_id = ? ORDER BY a.participant_id", (round_id,)
        )
        return [_to_application(row) for row in rows]

    async def latest_application(self, discord_id: int) -> tuple[int, Application] | None:
        """The person's newest application of any round: ``(round id, application)``."""
        row = await self._db.fetch_one(
            APPLICATION_QUERY + " JOIN rounds AS r ON r.id = a.round_id"
            " WHERE a.participant_id = ? ORDER BY r.starts_on DESC, r.id DESC LIMIT 1",
            (discord_id,),
        )
        return (row["round_id"], _to_application(row)) if row else None

    async def withdraw(
        self, round_id: int, discord_id: int, audit: Sequence[Effect], now: datetime
    ) -> bool:
        """Remove a person's application to a round before matching, and what only it
        needed, in one transaction with its audit entry: the round's pins that name them,
        and their participant record when nothing else refers to it (no other application,
        partnership or time away). False when there was no application."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "DELETE FROM applications WHERE round_id = ? AND participant_id = ?",
                (round_id, discord_id),
            )
            if cursor.rowcount != 1:
                return False
            await tx.execute(
                "DELETE FROM match_pins WHERE round_id = ? AND ? IN (member_a, member_b)",
                (round_id, discord_id),
            )
            await tx.execute(_DELETE_UNREFERENCED_PARTICIPANT, {"id": discord_id})
            await apply(tx, audit, now)
            return True

    async def join_waitlist(self, discord_id: int, now: datetime) -> bool:
        changed = await self._db.write(
            "INSERT OR IGNORE INTO waitlist (discord_id, added_at) VALUES (?, ?)",
            (discord_id, utc_text(now)),
        )
        return changed == 1

    async def leave_waitlist(self, discord_id: int) -> bool:
        async with self._db.transaction() as tx:
            cursor = await tx.execute("DELETE FROM waitlist WHERE discord_id = ?", (discord_id,))
            return cursor.rowcount == 1

    async def waitlist(self) -> list[WaitlistEntry]:
        rows = await self._db.fetch_all("SELECT * FROM waitlist ORDER BY added_at, discord_id")
        return [to_model(WaitlistEntry, row) for row in rows]


_DELETE_UNREFERENCED_PARTICIPANT = """
DELETE FROM participants WHERE discord_id = :id
    AND NOT EXISTS (SELECT 1 FROM applications WHERE participant_id = :id)
    AND NOT EXISTS (SELECT 1 FROM partnership_members WHERE participant_id = :id)
    AND NOT EXISTS (SELECT 1 FROM away_periods WHERE participant_id = :id)
"""


def _participant_values(application: Application, now: datetime) -> tuple[object, ...]:
    return (
        application.discord_id,
        application.name,
        application.preferred_name,
        application.email,
        application.timezone,
        utc_text(now),
        utc_text(now),
    )


# An import without a preferred name keeps the one the person gave in the form.
_UPSERT_PARTICIPANT = """
INSERT INTO participants (discord_id, name, preferred_name, email, timezone, created_at,
    updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (discord_id) DO UPDATE SET name = excluded.name,
    preferred_name = COALESCE(excluded.preferred_name, participants.preferred_name),
    email = excluded.email, timezone = excluded.timezone, updated_at = excluded.updated_at
"""

_UPSERT_APPLICATION = """
INSERT INTO applications (round_id, participant_id, institution, sector, country, timezone,
    career_stage, languages, interests, hopes, partner_sectors, partner_career_stages,
    partner_countries, returning_note, share_email, other_contact, submitted_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (round_id, participant_id) DO UPDATE SET
    institution = excluded.institution, sector = excluded.sector, country = excluded.country,
    timezone = excluded.timezone, career_stage = excluded.career_stage,
    languages = excluded.languages, interests = excluded.interests, hopes = excluded.hopes,
    partner_sectors = excluded.partner_sectors,
    partner_career_stages = excluded.partner_career_stages,
    partner_countries = excluded.partner_countries, returning_note = excluded.returning_note,
    share_email = excluded.share_email, other_contact = excluded.other_contact,
    updated_at = excluded.updated_at
"""


def _application_values(round_id: int, app: Application, now: datetime) -> tuple[object, ...]:
    return (
        round_id,
        app.discord_id,
        app.institution,
        app.sector.value,
        app.country,
        app.timezone,
        app.career_stage.value,
        to_json(list(app.languages)),
        to_json(list(app.interests)),
        app.hopes,
        to_json(sorted(s.value for s in app.partner_sectors)),
        to_json(sorted(s.value for s in app.partner_career_stages)),
        to_json(sorted(app.partner_countries)),
        app.returning_note,
        int(app.share_email),
        app.other_contact,
        utc_text(now),
        utc_text(now),
    )


def _to_application(row: aiosqlite.Row) -> Application:
    data = dict(zip(row.keys(), row, strict=True))
    return Application(
        discord_id=data["participant_id"],
        name=data["name"],
        preferred_name=data["preferred_name"],
        email=data["email"],
        share_email=bool(data["share_email"]),
        other_contact=data["other_contact"],
        institution=data["institution"],
        sector=data["sector"],
        country=data["country"],
        timezone=data["timezone"],
        career_stage=data["career_stage"],
        languages=tuple(json.loads(data["languages"])),
        interests=tuple(json.loads(data["interests"])),
        hopes=data["hopes"],
        partner_sectors=frozenset(json.loads(data["partner_sectors"])),
        partner_career_stages=frozenset(json.loads(data["partner_career_stages"])),
        partner_countries=frozenset(json.loads(data["partner_countries"])),
        returning_note=data["returning_note"],
    )
