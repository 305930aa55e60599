"""Shared test values, and what tests read back from a database file."""

import re
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

START = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of a database file, sorted: two dumps are equal when
    nothing in it changed."""
    with closing(sqlite3.connect(path)) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            table: sorted(connection.execute(f"SELECT * FROM {table}"), key=repr)
            for table in tables
        }


def traces(path: Path, member_id: int, names: Iterable[str]) -> list[str]:
    """Every value, in every column of every table, that holds the person's id (as a whole
    number, alone or in text) or one of their names (as a word, in any case)."""
    patterns = [re.compile(rf"(?<!\d){member_id}(?!\d)")] + [
        re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE) for name in names if name
    ]
    found = []
    with closing(sqlite3.connect(path)) as connection:
        for table, rows in dump(path).items():
            columns = [c[1] for c in connection.execute(f"PRAGMA table_info({table})")]
            for row in rows:
                for column, value in zip(columns, row, strict=True):
                    if value is not None and any(p.search(str(value)) for p in patterns):
                        found.append(f"{table}.{column} = {value!r}")
    return found
