"""The SQLite connection: WAL, foreign keys, a busy timeout and numbered migrations."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
import stat
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5_000
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
OWNER_ONLY = 0o600
# SQLite gives a database's -wal and -shm files the database file's own mode.
COMPANIONS = ("-wal", "-shm")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """The migration files shipped in ``bot/store/migrations``, in order."""
    folder = resources.files("bot.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.version)
    expected = list(range(1, len(found) + 1))
    if [migration.version for migration in found] != expected:
        names = [migration.name for migration in found]
        raise RuntimeError(f"migrations must be numbered 1..n without gaps or repeats: {names}")
    return found


def create_private(path: Path) -> bool:
    """Create ``path`` empty and readable by its owner only, unless it exists; whether it
    was created. Personal data never sits in a file others on the machine can read."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    except FileExistsError:
        return False
    os.close(descriptor)
    return True


def _keep_private(path: Path) -> None:
    """An existing database (made before the bot kept it private) loses what others could
    read, with its -wal and -shm files; one the bot cannot change is reported."""
    for file in (path, *(path.with_name(path.name + suffix) for suffix in COMPANIONS)):
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
            if mode & ~OWNER_ONLY:
                file.chmod(mode & OWNER_ONLY)
                log.info("%s was readable by others; now by its owner only", file)
        except FileNotFoundError:
            continue
        except OSError as error:
            log.warning("could not make %s private: %s", file, error)


class Database:
    """One connection shared by the bot; writes are serialised through :meth:`transaction`.

    ``path`` is the database file (None for a connection opened another way)."""

    def __init__(self, connection: aiosqlite.Connection, path: Path | None = None) -> None:
        self._connection = connection
        self._write_lock = asyncio.Lock()
        self.path = path
        self._writes = 0

    @property
    def writes(self) -> int:
        """How many writes this connection has begun or ended. What a read found stays true
        while this has not moved (the bot is the database's only writer), so a repository
        may keep an answer until it does."""
        return self._writes

    @classmethod
    async def open(cls, path: Path | str, *, scratch: bool = False) -> Database:
        """Open (creating, readable by its owner only) the database; a ``scratch`` one, which
        nobody needs after a power cut (the offline simulation's), skips the disk syncs of
        checkpoints."""
        path = Path(path)
        if not await asyncio.to_thread(create_private, path):
            await asyncio.to_thread(_keep_private, path)
        connection = await aiosqlite.connect(str(path), isolation_level=None)
        connection.row_factory = aiosqlite.Row
        await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA foreign_keys = ON")
        await connection.execute(f"PRAGMA synchronous = {'OFF' if scratch else 'NORMAL'}")
        return cls(connection, path)

    async def close(self) -> None:
        await self._connection.close()

    async def schema_version(self) -> int:
        row = await self.fetch_one("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self, migrations: Sequence[Migration] | None = None) -> list[int]:
        """Apply every migration newer than the database, each in its own transaction.

        Returns the versions applied; running it again applies nothing.
        """
        applied = []
        for migration in migrations if migrations is not None else bundled_migrations():
            if migration.version <= await self.schema_version():
                continue
            async with self._write_lock:
                self._writes += 1
                await self._apply(migration)
            applied.append(migration.version)
            log.info("applied migration %s", migration.name)
        return applied

    async def _apply(self, migration: Migration) -> None:
        # executescript would commit an open transaction first, so the BEGIN and the
        # version bump travel inside the script; a failure rolls the whole file back.
        script = (
            f"BEGIN IMMEDIATE;\n{migration.sql}\n;"
            f"PRAGMA user_version = {migration.version};\nCOMMIT;"
        )
        try:
            await self._connection.executescript(script)
        except sqlite3.Error:
            if self._connection.in_transaction:
                await self._connection.rollback()
            raise

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction: committed when the block ends, rolled back on any error."""
        async with self._write_lock:
            self._writes += 1
            try:
                await self._connection.execute("BEGIN IMMEDIATE")
                try:
                    yield self._connection
                except BaseException:
                    await self._connection.rollback()
                    raise
                await self._connection.commit()
            finally:
                self._writes += 1

    @asynccontextmanager
    async def rehearsal(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction that is always rolled back: what a change would do (its
        row counts), with nothing changed."""
        async with self._write_lock:
            self._writes += 1  # reads inside see the rehearsed change until it is undone
            try:
                await self._connection.execute("BEGIN IMMEDIATE")
                try:
                    yield self._connection
                finally:
                    await self._connection.rollback()
            finally:
                self._writes += 1

    async def write(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One statement on its own (SQLite makes it atomic): one trip to the database
        thread where a transaction takes three. Returns how many rows it changed."""
        async with self._write_lock:
            self._writes += 1
            try:
                cursor = await self._connection.execute(sql, tuple(params))
                return cursor.rowcount
            finally:
                self._writes += 1

    async def write_returning(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        """One statement that changes rows and returns them (``RETURNING``), in one trip."""
        async with self._write_lock:
            self._writes += 1
            try:
                return list(await self._connection.execute_fetchall(sql, tuple(params)))
            finally:
                self._writes += 1

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        # One trip to the database thread (execute, fetch and close together), where a
        # cursor would take three: reads are most of what the planners do.
        return list(await self._connection.execute_fetchall(sql, tuple(params)))

    async def backup(self, destination: Path) -> None:
        """Copy the live database with SQLite's online backup; safe while the bot runs. The
        copy is readable by its owner only, as the database is."""
        destination.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(create_private, destination)
        target = await aiosqlite.connect(str(destination))
        try:
            await self._connection.backup(target)
        finally:
            await target.close()
