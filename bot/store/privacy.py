"""Privacy in the store: everything held about a person, their erasure, the daily purge of
what is old enough, and the key of the keyed hashes.

What refers to a person is found by walking the live schema: every column named like
:data:`PERSON_COLUMNS`, in every table. So a new table with a ``participant_id`` is in the
next export and erasure without anyone listing it; erasure deletes such a row unless
:data:`KEPT_ROWS` or :data:`UNLINKED` say otherwise, and ``tests/test_privacy.py`` fails
on any integer column nobody has said is, or is not, a person.

The key (*Decision*) is a file beside the database (``iln.sqlite3.key``, owner-only), not
a row in it: a copy of the database handed out for a report then cannot be used to test
whose erased pairs it keeps. ``iln-bot db backup`` copies both.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.domain.privacy import Redaction
from bot.store._rows import id_list, to_json
from bot.store.db import Database, create_private
from bot.store.effects import Effect, apply
from bot.store.models import utc_text

log = logging.getLogger(__name__)

# Columns that hold a person's Discord id, wherever they appear.
PERSON_COLUMNS = frozenset(
    {
        "discord_id", "participant_id", "member_id", "member_a", "member_b", "author_id",
        "actor_id", "assignee_id", "handled_by", "created_by",
    }
)  # fmt: skip
# Rows that keep counts for a round's figures: on erasure the person becomes a stand-in
# (a negative number of its own, tied to nobody) and these columns, which are theirs
# (their Discord message, their words), are emptied.
KEPT_ROWS: dict[str, tuple[str, ...]] = {
    "contact_events": ("message_id",),
    "checkins": ("comment",),
    "feedback": ("comment",),
}
# A person who acted on others' records (a coordinator): the record stays, without them
# (empty, or the stand-in where the column cannot be empty).
UNLINKED = frozenset(
    {
        ("audit_log", "actor_id"), ("live_events", "created_by"), ("cases", "assignee_id"),
        ("cases", "handled_by"), ("case_events", "actor_id"), ("partnership_notes", "author_id"),
    }
)  # fmt: skip
# Coordinators' own decisions and notes about a person: in their export when the program
# says so (``[privacy] export_internal_notes``).
INTERNAL_TABLES = frozenset({"match_pins", "match_forbids"})
INTERNAL_COLUMNS: dict[str, tuple[str, ...]] = {"cases": ("handled_note",)}
# Text others wrote that may name a person: what erasure redacts.
WRITTEN_ABOUT: dict[str, tuple[str, ...]] = {
    "cases": ("title", "handled_note"),
    "case_events": ("summary", "body"),
    "partnership_notes": ("text",),
    "audit_log": ("detail",),
}
# How each of those rows finds its partnership (whose partners' names it may use).
_PARTNERSHIP_OF = {
    "cases": "partnership_id",
    "case_events": "(SELECT partnership_id FROM cases WHERE cases.id = case_id)",
    "partnership_notes": "partnership_id",
    "audit_log": "NULL",
}
JSON_COLUMNS = frozenset(
    {"languages", "interests", "partner_sectors", "partner_career_stages", "partner_countries",
     "reasons", "detail"}
)  # fmt: skip
# Events a person wrote or was sent: their text is theirs, so it is in their export.
PEOPLES_WORDS = frozenset({"message", "talk", "withdraw", "reply"})
KEY_BYTES = 32


class PrivacyKeyMissing(Exception):
    """Erased pairs are stored, but the key that reads them is not where it belongs."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"the privacy key {path} is missing, so the bot cannot tell which erased people "
            "must never be paired again; restore it beside the database from its backup"
        )
        self.path = path


def key_path(database: Path) -> Path:
    """The key file beside the database: ``iln.sqlite3.key``."""
    return database.with_name(database.name + ".key")


def _read_key(path: Path) -> bytes:
    key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path} does not hold a privacy key ({KEY_BYTES} bytes in hex)")
    return key


def copy_key(source: Path, destination: Path) -> bool:
    """Put the key beside a copy of the database (owner-only); False when there is none."""
    key = key_path(source)
    if not key.exists():
        return False
    target = key_path(destination)
    if not create_private(target):
        raise FileExistsError(f"{target} already exists")
    target.write_bytes(key.read_bytes())
    return True


class PrivacyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # The key ----------------------------------------------------------------------------

    async def key(self, *, create: bool = False) -> bytes | None:
        """The program's secret key, made once (``create``) when there is none yet and no
        erased pair needs an older one; None when there is none and ``create`` is off."""
        if self._db.path is None:
            raise RuntimeError("this database was not opened from a file")
        path = key_path(self._db.path)
        if path.exists():
            return _read_key(path)
        if await self.tokens():
            raise PrivacyKeyMissing(path)
        if not create:
            return None
        # Written whole beside it, then linked into place: a crash never leaves half a
        # key, and a key another process made meanwhile is the one both use.
        draft = path.with_name(f"{path.name}.{secrets.token_hex(4)}.new")
        create_private(draft)
        try:
            draft.write_text(secrets.token_bytes(KEY_BYTES).hex() + "\n", encoding="ascii")
            try:
                os.link(draft, path)
                log.info("created the privacy key %s", path)
            except FileExistsError:
                pass
        finally:
            draft.unlink()
        return _read_key(path)

    async def tokens(self) -> set[str]:
        rows = await self._db.fetch_all("SELECT token FROM unpairable")
        return {row[0] for row in rows}

    # Walking the schema -------------------------------------------------------------------

    async def schema(self) -> dict[str, list[tuple[str, str]]]:
        """``table: [(column, declared type), ...]`` for every table of the database."""
        tables = await self._db.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
        schema = {}
        for (table,) in tables:
            columns = await self._db.fetch_all(
                "SELECT name, type FROM pragma_table_info(?)", (table,)
            )
            schema[table] = [(row[0], row[1].upper()) for row in columns]
        return schema

    async def person_columns(self) -> dict[str, tuple[str, ...]]:
        """Every table of the live schema that has person columns, with them."""
        found: dict[str, tuple[str, ...]] = {}
        for table, columns in (await self.schema()).items():
            people = tuple(name for name, _ in columns if name in PERSON_COLUMNS)
            if people:
                found[table] = people
        return found

    # Export -------------------------------------------------------------------------------

    async def held(self, member_id: int, *, internal: bool) -> dict[str, Any]:
        """Everything the store holds about a person: ``tables`` (every row that names
        them, by table), their ``partnerships`` with the partners' names, and the
        ``cases`` that concern them with the events (and, ``internal``, the notes) they
        may see; with ``internal``, also the audit entries that name them."""
        tables: dict[str, list[dict[str, Any]]] = {}
        for table, columns in (await self.person_columns()).items():
            if table in INTERNAL_TABLES and not internal:
                continue
            hidden = () if internal else INTERNAL_COLUMNS.get(table, ())
            rows = [
                {key: value for key, value in row.items() if key not in hidden}
                for row in await self._rows(table, columns, member_id)
            ]
            if rows:
                tables[table] = rows
        partnerships = await self._partnerships_of(member_id)
        held: dict[str, Any] = {
            "tables": tables,
            "partnerships": partnerships,
            "cases": await self._cases_of(member_id, [p["id"] for p in partnerships], internal),
        }
        if internal:
            held["audit_log_about_you"] = await self._audit_about(member_id)
        return held

    async def _rows(
        self, table: str, columns: Sequence[str], member_id: int
    ) -> list[dict[str, Any]]:
        # Table and column names come from the database's own schema, never from input.
        where = " OR ".join(f"{column} = ?" for column in columns)
        rows = await self._db.fetch_all(
            f"SELECT * FROM {table} WHERE {where} ORDER BY rowid", (member_id,) * len(columns)
        )
        return [_decoded(row) for row in rows]

    async def _partnerships_of(self, member_id: int) -> list[dict[str, Any]]:
        rows = await self._db.fetch_all(
            "SELECT p.id, r.name AS round, p.name, p.state, p.created_at, p.ended_at,"
            " m.end_choice, m.left_at FROM partnership_members AS m"
            " JOIN partnerships AS p ON p.id = m.partnership_id"
            " JOIN rounds AS r ON r.id = p.round_id WHERE m.participant_id = ? ORDER BY p.id",
            (member_id,),
        )
        found = []
        for row in rows:
            partners = await self._db.fetch_all(
                "SELECT m.participant_id AS discord_id, pp.name FROM partnership_members AS m"
                " LEFT JOIN participants AS pp ON pp.discord_id = m.participant_id"
                " WHERE m.partnership_id = ? AND m.participant_id != ? ORDER BY m.participant_id",
                (row["id"], member_id),
            )
            nudges = await self._db.fetch_all(
                "SELECT at FROM nudges WHERE partnership_id = ? AND kind != 'escalation'"
                " ORDER BY at",
                (row["id"],),
            )
            found.append(
                {
                    **_decoded(row),
                    "partners": [_decoded(partner) for partner in partners],
                    "nudges_sent": [nudge[0] for nudge in nudges],
                }
            )
        return found

    async def _cases_of(
        self, member_id: int, partnership_ids: Sequence[int], internal: bool
    ) -> list[dict[str, Any]]:
        """Their own case and their partnerships': the events that are not someone else's
        (another partner's message, an answer to them); coordinators' words only when
        ``internal``."""
        cases = await self._db.fetch_all(
            "SELECT * FROM cases WHERE participant_id = ?"
            " OR partnership_id IN (SELECT value FROM json_each(?)) ORDER BY id",
            (member_id, id_list(partnership_ids)),
        )
        found = []
        for case in cases:
            events = await self._db.fetch_all(
                "SELECT at, kind, member_id, summary, body FROM case_events WHERE case_id = ?"
                " AND (member_id IS NULL OR member_id = ?) ORDER BY at, id",
                (case["id"], member_id),
            )
            shown = []
            for event in events:
                told = _decoded(event)
                if not internal and told["kind"] not in PEOPLES_WORDS:
                    told.pop("body")
                shown.append(told)
            about = {
                key: value
                for key, value in _decoded(case).items()
                if internal or key not in INTERNAL_COLUMNS["cases"]
            }
            about["events"] = shown
            if internal and case["partnership_id"] is not None:
                notes = await self._db.fetch_all(
                    "SELECT at, text FROM partnership_notes WHERE partnership_id = ?"
                    " ORDER BY at, id",
                    (case["partnership_id"],),
                )
                about["notes"] = [_decoded(note) for note in notes]
            found.append(about)
        return found

    async def _audit_about(self, member_id: int) -> list[dict[str, Any]]:
        rows = await self._db.fetch_all(
            "SELECT * FROM audit_log WHERE instr(detail, ?) > 0 ORDER BY at, id",
            (str(member_id),),
        )
        mentions = _number(member_id)
        return [_decoded(row) for row in rows if mentions.search(row["detail"])]

    # Erasure ------------------------------------------------------------------------------

    async def erase(
        self,
        member_id: int,
        tokens: Sequence[str],
        names: Sequence[str],
        effects: Sequence[Effect],
        now: datetime,
    ) -> dict[str, int]:
        """Erase a person, in one transaction with ``effects`` (the partnership's ending,
        the audit entry): ``tokens`` (their never-again pairs) are kept; their
        partnerships are renamed and lose the matcher's reasons, which named them; what
        others wrote about them is redacted (``names``: their full name first, then what
        they are called); work that names them leaves the outbox; then every row that
        names them goes, or keeps its counts without them. Rows changed, per table."""
        columns = await self.person_columns()
        async with self._db.transaction() as tx:
            pids = [
                row[0]
                for row in await _all(
                    tx,
                    "SELECT partnership_id FROM partnership_members WHERE participant_id = ?"
                    " ORDER BY partnership_id",
                    (member_id,),
                )
            ]
            await tx.executemany(
                "INSERT OR IGNORE INTO unpairable (token) VALUES (?)", [(t,) for t in tokens]
            )
            renamed = await _rename(tx, pids)
            counts = {"redacted": await _redact(tx, member_id, names, renamed, pids)}
            counts["outbox"] = await _forget_work(tx, member_id, names, renamed)
            counts["match_proposals"] = await _drop_from_proposals(tx, member_id, names)
            stand_in = -1 - secrets.randbelow(2**62)
            counts.update(await _erase_rows(tx, columns, member_id, stand_in))
            await apply(tx, effects, now)
        return {table: count for table, count in counts.items() if count}

    # Retention ----------------------------------------------------------------------------

    async def purge(self, cutoffs: dict[str, datetime], *, dry_run: bool = False) -> dict[str, int]:
        """Delete what is older than ``cutoffs`` (per ``[privacy]`` setting), in one
        transaction; rows per table (with ``dry_run`` the same counts, and nothing
        changed). Running it again at once deletes nothing."""
        changes = self._db.rehearsal() if dry_run else self._db.transaction()
        async with changes as tx:
            return await _purge(tx, cutoffs)

    async def purge_moments(self) -> list[tuple[str, datetime]]:
        """For each rule with rows left to purge some day: its setting, and the earliest
        moment a row's period counts from."""
        # Every rule's earliest moment in one statement: one trip to the database, not one
        # per rule. The rules' parts are this module's constants.
        row = await self._db.fetch_one(
            "SELECT " + ", ".join(f"({rule.earliest})" for rule in PURGE_RULES)
        )
        assert row is not None
        return [
            (rule.setting, datetime.fromisoformat(moment))
            for rule, moment in zip(PURGE_RULES, row, strict=True)
            if moment is not None
        ]


def _number(member_id: int) -> re.Pattern[str]:
    """The person's id as a whole number in text (not part of a longer one)."""
    return re.compile(rf"(?<!\d){member_id}(?!\d)")


def _decoded(row: aiosqlite.Row) -> dict[str, Any]:
    data = dict(zip(row.keys(), row, strict=True))
    for column in JSON_COLUMNS & data.keys():
        if isinstance(data[column], str):
            data[column] = json.loads(data[column])
    return data


async def _all(
    tx: aiosqlite.Connection, sql: str, params: Sequence[object] = ()
) -> list[aiosqlite.Row]:
    return list(await tx.execute_fetchall(sql, params))


async def _rename(tx: aiosqlite.Connection, pids: Sequence[int]) -> dict[str, str]:
    """A partnership's name is made of its partners' names: each of the person's becomes
    ``partnership-<id>`` (its case's title too), and the matcher's reasons, which name
    them, go. Returns the old names with their new ones."""
    renamed = {}
    rows = await _all(
        tx,
        "SELECT id, name FROM partnerships WHERE id IN (SELECT value FROM json_each(?))",
        (id_list(pids),),
    )
    for pid, old in rows:
        new = f"partnership-{pid}"
        renamed[old] = new
        await tx.execute(
            "UPDATE partnerships SET name = ?, reasons = '[]' WHERE id = ?", (new, pid)
        )
        await tx.execute("UPDATE cases SET title = ? WHERE partnership_id = ?", (new, pid))
    return renamed


async def _redact(
    tx: aiosqlite.Connection,
    member_id: int,
    names: Sequence[str],
    renamed: dict[str, str],
    pids: Sequence[int],
) -> int:
    """Take the person out of text others wrote. Their full name, mention and id go
    wherever they appear; in what concerns them (their partnerships' cases and notes, and
    any text that names them so) the names they are called by go too. Rows changed."""
    plain = Redaction(member_id, tuple(names[:1]), renamed)
    wide = Redaction(member_id, tuple(names), renamed)
    theirs = set(pids)
    changed = 0
    for table, columns in WRITTEN_ABOUT.items():
        # Names come from this module's fixed lists, never from input.
        rows = await _all(
            tx, f"SELECT rowid, {_PARTNERSHIP_OF[table]}, {', '.join(columns)} FROM {table}"
        )
        for rowid, pair, *texts in rows:
            present = [(c, t) for c, t in zip(columns, texts, strict=True) if t is not None]
            concerned = pair in theirs or any(_redacted(plain, c, t) != t for c, t in present)
            if not concerned:
                continue
            redacted = [
                None if text is None else _redacted(wide, column, text)
                for column, text in zip(columns, texts, strict=True)
            ]
            if redacted != list(texts):
                assignments = ", ".join(f"{column} = ?" for column in columns)
                await tx.execute(
                    f"UPDATE {table} SET {assignments} WHERE rowid = ?", (*redacted, rowid)
                )
                changed += 1
    return changed


def _redacted(redaction: Redaction, column: str, text: str) -> str:
    """A stored text without the person; a JSON column stays JSON (unchanged when nothing
    in it named them)."""
    if column not in JSON_COLUMNS:
        return redaction.text(text)
    try:
        decoded = json.loads(text)
    except ValueError:
        return redaction.text(text)
    value = redaction.value(decoded)
    return text if value == decoded else to_json(value)


async def _forget_work(
    tx: aiosqlite.Connection, member_id: int, names: Sequence[str], renamed: dict[str, str]
) -> int:
    """Work in the outbox that names the person by id (a message to them, about them, keyed
    by them), done or not, goes: nothing is to reach them any more, and no planner queues it
    again (they are in no partnership). Work that names them otherwise (a digest that
    listed their pair, by its old name or theirs) stays, without the name: its key must
    stay taken, or it would be queued and sent again. Rows deleted or changed."""
    number = _number(member_id)
    rows = await _all(
        tx,
        "SELECT key, key || target || payload FROM outbox"
        " WHERE instr(key || target || payload, ?) > 0",
        (str(member_id),),
    )
    keys = [key for key, text in rows if number.search(text)]
    await tx.executemany("DELETE FROM outbox WHERE key = ?", [(key,) for key in keys])
    redaction = Redaction(member_id, tuple(names[:1]), renamed)
    needles = [needle for needle in (*names[:1], *renamed) if needle]
    changed = 0
    for key, payload in await _all(tx, "SELECT key, payload FROM outbox"):
        if any(needle in payload for needle in needles):
            kept = to_json(redaction.value(json.loads(payload)))
            if kept != payload:
                await tx.execute("UPDATE outbox SET payload = ? WHERE key = ?", (kept, key))
                changed += 1
    return len(keys) + changed


async def _drop_from_proposals(
    tx: aiosqlite.Connection, member_id: int, names: Sequence[str]
) -> int:
    """A round's saved proposal loses the person's pair and their place among those left
    without a partner; its figures (counts) stay as they were."""
    redaction = Redaction(member_id, tuple(names[:1]))
    changed = 0
    for round_id, text in await _all(tx, "SELECT round_id, result FROM match_proposals"):
        result = json.loads(text)
        pairs = [p for p in result["pairs"] if member_id not in p["members"]]
        unmatched = [u for u in result["unmatched"] if u["discord_id"] != member_id]
        if len(pairs) == len(result["pairs"]) and len(unmatched) == len(result["unmatched"]):
            continue
        kept = redaction.value({**result, "pairs": pairs, "unmatched": unmatched})
        await tx.execute(
            "UPDATE match_proposals SET result = ? WHERE round_id = ?", (to_json(kept), round_id)
        )
        changed += 1
    return changed


async def _erase_rows(
    tx: aiosqlite.Connection, columns: dict[str, tuple[str, ...]], member_id: int, stand_in: int
) -> dict[str, int]:
    """Every row naming the person: kept rows get ``stand_in`` and lose their own
    columns, records of what they did lose the actor, everything else is deleted; the
    participant last, since other tables refer to it."""
    counts: dict[str, int] = {}
    deleted = []
    for table, people in columns.items():
        for column in people:
            # Table and column names come from the database's own schema, never from input.
            if table in KEPT_ROWS:
                emptied = "".join(f", {c} = NULL" for c in KEPT_ROWS[table])
                sql = f"UPDATE {table} SET {column} = ?{emptied} WHERE {column} = ?"
                cursor = await tx.execute(sql, (stand_in, member_id))
            elif (table, column) in UNLINKED:
                [(notnull,)] = await _all(
                    tx, 'SELECT "notnull" FROM pragma_table_info(?) WHERE name = ?', (table, column)
                )
                sql = f"UPDATE {table} SET {column} = ? WHERE {column} = ?"
                cursor = await tx.execute(sql, (stand_in if notnull else None, member_id))
            else:
                deleted.append((table, column))
                continue
            counts[table] = counts.get(table, 0) + cursor.rowcount
    deleted.sort(key=lambda found: found[0] == "participants")
    for table, column in deleted:
        cursor = await tx.execute(f"DELETE FROM {table} WHERE {column} = ?", (member_id,))
        counts[table] = counts.get(table, 0) + cursor.rowcount
    return counts


# Retention --------------------------------------------------------------------------------

# When a row's period starts counting, as ISO-8601 UTC text comparable with stored times;
# NULL while it does not count yet (its round has not ended).
_ROUND_END = (
    "(SELECT strftime('%Y-%m-%dT%H:%M:%S+00:00', r.ends_on, '+1 day') FROM rounds AS r"
    " WHERE r.id = {round_id} AND r.state = 'ended')"
)
_PAIR_END = _ROUND_END.format(
    round_id="(SELECT p.round_id FROM partnerships AS p WHERE p.id = {partnership_id})"
)
_IN_A_LIVE_ROUND = (
    "EXISTS (SELECT 1 FROM partnership_members AS m"
    " JOIN partnerships AS p ON p.id = m.partnership_id JOIN rounds AS r ON r.id = p.round_id"
    " WHERE m.participant_id = {person} AND r.state != 'ended')"
)
# CROSS JOIN keeps SQLite from walking the round's partnerships for every row: the
# person's few memberships come first.
_PARTNERED_IN_ITS_ROUND = (
    "EXISTS (SELECT 1 FROM partnership_members AS m"
    " CROSS JOIN partnerships AS p ON p.id = m.partnership_id"
    " WHERE m.participant_id = {table}.participant_id AND p.round_id = {table}.round_id)"
)
_CASE_HANDLED = (
    "(SELECT CASE WHEN c.state != 'handled' THEN NULL"
    " WHEN c.partnership_id IS NULL THEN c.handled_at"
    " ELSE " + _PAIR_END.format(partnership_id="c.partnership_id") + " END"
    " FROM cases AS c WHERE c.id = {case_id})"
)


@dataclass(frozen=True)
class PurgeRule:
    """Rows of ``table`` go once the ``[privacy]`` period ``setting`` has run out since
    ``moment`` (an SQL expression on the row). The purge and the planner's next date both
    come from it, so they cannot disagree. ``depends_on`` names the only columns
    ``moment`` reads, when that is so: the next date is then found over their distinct
    values (a round's partnerships, not its fifty thousand contact events)."""

    table: str
    setting: str
    moment: str
    depends_on: str | None = None

    @property
    def earliest(self) -> str:
        """SQL for the earliest moment of any of the table's rows."""
        rows = self.table
        if self.depends_on is not None:
            rows = f"(SELECT DISTINCT {self.depends_on} FROM {self.table}) AS {self.table}"
        return f"SELECT MIN({self.moment}) FROM {rows}"


# In order: case events before their cases (so they are counted), applications before the
# participants they leave behind.
PURGE_RULES: tuple[PurgeRule, ...] = (
    PurgeRule(
        "contact_events",
        "contact_events_days",
        _PAIR_END.format(partnership_id="contact_events.partnership_id"),
        depends_on="partnership_id",
    ),
    PurgeRule(
        "checkins",
        "checkin_answers_days",
        _PAIR_END.format(partnership_id="checkins.partnership_id"),
        depends_on="partnership_id",
    ),
    PurgeRule(
        "feedback",
        "checkin_answers_days",
        _PAIR_END.format(partnership_id="feedback.partnership_id"),
        depends_on="partnership_id",
    ),
    # Time away counts from the end of the person's last round (or of the period, if
    # later), and not at all while they are in a round that has not ended.
    PurgeRule(
        "away_periods",
        "away_periods_days",
        "CASE WHEN " + _IN_A_LIVE_ROUND.format(person="away_periods.participant_id")
        + " THEN NULL ELSE max(ends_at, COALESCE((SELECT MAX("
        + _PAIR_END.format(partnership_id="m.partnership_id")
        + ") FROM partnership_members AS m WHERE m.participant_id = away_periods.participant_id),"
        " ends_at)) END",
    ),
    PurgeRule("case_events", "cases_days", _CASE_HANDLED.format(case_id="case_events.case_id")),
    PurgeRule(
        "partnership_notes",
        "cases_days",
        "CASE WHEN EXISTS (SELECT 1 FROM cases WHERE cases.partnership_id ="
        " partnership_notes.partnership_id AND cases.state = 'open') THEN NULL ELSE "
        + _PAIR_END.format(partnership_id="partnership_notes.partnership_id")
        + " END",
    ),
    PurgeRule("cases", "cases_days", _CASE_HANDLED.format(case_id="cases.id")),
    PurgeRule(
        "unmatched_answers",
        "unpartnered_applications_days",
        "CASE WHEN " + _PARTNERED_IN_ITS_ROUND.format(table="unmatched_answers")
        + " THEN NULL ELSE " + _ROUND_END.format(round_id="unmatched_answers.round_id") + " END",
    ),
    PurgeRule(
        "applications",
        "unpartnered_applications_days",
        "CASE WHEN " + _PARTNERED_IN_ITS_ROUND.format(table="applications")
        + " THEN NULL ELSE " + _ROUND_END.format(round_id="applications.round_id") + " END",
    ),
    # A name and e-mail nothing needs any more: no application, partnership or time away.
    PurgeRule(
        "participants",
        "unpartnered_applications_days",
        "CASE WHEN EXISTS (SELECT 1 FROM applications WHERE participant_id = discord_id)"
        " OR EXISTS (SELECT 1 FROM partnership_members WHERE participant_id = discord_id)"
        " OR EXISTS (SELECT 1 FROM away_periods WHERE participant_id = discord_id)"
        " THEN NULL ELSE updated_at END",
    ),
)  # fmt: skip


async def _purge(tx: aiosqlite.Connection, cutoffs: dict[str, datetime]) -> dict[str, int]:
    counts = {}
    for rule in PURGE_RULES:
        # The rule's parts are this module's constants; the cutoff travels as a parameter.
        cursor = await tx.execute(
            f"DELETE FROM {rule.table} WHERE {rule.moment} < ?", (utc_text(cutoffs[rule.setting]),)
        )
        counts[rule.table] = cursor.rowcount
    return counts
