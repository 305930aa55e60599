"""Turning SQLite rows into typed models: JSON columns are decoded by name."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TypeVar

import aiosqlite
from pydantic import BaseModel

ModelT = TypeVar("ModelT", bound=BaseModel)


def to_model(
    model: type[ModelT], row: aiosqlite.Row, json_columns: Iterable[str] = (), **extra: Any
) -> ModelT:
    data: dict[str, Any] = dict(zip(row.keys(), row, strict=True)) | extra
    for column in json_columns:
        data[column] = json.loads(data[column])
    return model.model_validate(data)


def id_list(values: Iterable[object]) -> str:
    """A JSON list for ``IN (SELECT value FROM json_each(?))``: one placeholder, any length."""
    return json.dumps([value for value in values])


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
