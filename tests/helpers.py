"""Shared test values."""

from datetime import UTC, datetime

START = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
