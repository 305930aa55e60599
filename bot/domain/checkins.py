"""The private check-in: what a partner can answer, and how their comment is kept."""

from __future__ import annotations

from typing import Literal, get_args

CheckinRating = Literal["great", "ok", "not_working"]

RATINGS: tuple[CheckinRating, ...] = get_args(CheckinRating)
RATING_LABELS: dict[CheckinRating, str] = {
    "great": "Great",
    "ok": "OK",
    "not_working": "Not working",
}
MAX_COMMENT = 1000


def clean_comment(comment: str | None) -> str | None:
    """One line of text, or None when nothing was said."""
    return " ".join((comment or "").split()) or None
