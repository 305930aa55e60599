"""``/away START END [note]``: reading the dates a member types and validating the range.

Dates are read in the member's own time zone and are **day first** when numeric (ILN is
international; 03/04/2027 is 3 April). Month names are English and parsed without any
locale. An away period covers START 00:00 to END 24:00 local, stored as UTC instants.

Not python-dateutil: its parser fills whatever is missing from a default, so "dec", "5",
"Monday" or "10am" become dates nobody typed, and an away period would start on a guess.
The formats read here are exactly those the help text promises, each with its own refusal.

Every refusal is an :class:`AwayRejected` whose ``message`` is a complete, polite sentence
ready for an ephemeral reply.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.calendar import MONTH_NAMES, format_local_date
from bot.domain.contact import AwayPeriod

__all__ = [
    "ACCEPTED_FORMATS_HELP",
    "MAX_NOTE_LENGTH",
    "AwayRejected",
    "DateParseError",
    "format_local_date",
    "parse_local_date",
    "validate_away",
]

MAX_NOTE_LENGTH = 200

ACCEPTED_FORMATS_HELP = (
    "Dates can be written like 2026-12-24, 24 Dec 2026, 24 December 2026, Dec 24 2026, "
    "December 24, 2026, 24/12/2026 or 24.12.2026 (numbers are day first: "
    '03/04/2027 is 3 April), or as "today" or "tomorrow". '
    "Leave out the year to mean the next time that date comes round."
)


class DateParseError(ValueError):
    """The text is not a date we can read; ``message`` explains and lists the formats."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AwayRejected(ValueError):
    """An ``/away`` request we refuse; ``message`` is the polite reply to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ------------------------------------------------------------------------- parsing

_MONTHS: dict[str, int] = {}
for _number, _name in enumerate(MONTH_NAMES, start=1):
    _lower = _name.lower()
    for _length in range(3, len(_lower) + 1):
        _MONTHS[_lower[:_length]] = _number
_MONTHS["sept"] = 9

_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DAY_FIRST = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})(?:\2(\d{4}|\d{2}))?")
_DAY_MONTH = re.compile(r"(\d{1,2}) ([a-z]+)(?: (\d{4}))?")
_MONTH_DAY = re.compile(r"([a-z]+) (\d{1,2})(?: (\d{4}))?")
_ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b")


def _normalise(text: str) -> str:
    cleaned = text.strip().lower().rstrip(".")
    cleaned = _ORDINAL.sub(r"\1", cleaned)
    if re.search(r"[a-z]", cleaned):
        # "24-Dec-2026", "Dec. 24, 2026", "24th of December": separators become spaces.
        cleaned = re.sub(r"[,./\-]", " ", cleaned)
        cleaned = re.sub(r"\bof\b", " ", cleaned)
    return " ".join(cleaned.split())


def _unreadable(text: str) -> DateParseError:
    return DateParseError(
        f'Sorry, I couldn\'t read "{text.strip()}" as a date. {ACCEPTED_FORMATS_HELP}'
    )


def _make_date(text: str, year: int, month: int, day: int) -> date:
    if not 1 <= month <= 12:
        raise DateParseError(
            f'Sorry, "{text.strip()}" has no month {month}: numbers are read day first. '
            f"{ACCEPTED_FORMATS_HELP}"
        )
    if not 1 <= year <= 9999:
        raise _unreadable(text)
    days_in_month = _stdlib_calendar.monthrange(year, month)[1]
    if not 1 <= day <= days_in_month:
        raise DateParseError(
            f'Sorry, "{text.strip()}" isn\'t a real date: {MONTH_NAMES[month - 1]} {year} '
            f"has {days_in_month} days."
        )
    return date(year, month, day)


def _check_month_day(text: str, month: int, day: int) -> None:
    """Validate a year-less day and month (29 February is allowed)."""
    if not 1 <= month <= 12:
        _make_date(text, 2000, month, day)  # raises the "no month N" message
    longest = _stdlib_calendar.monthrange(2000, month)[1]  # 2000 is a leap year
    if not 1 <= day <= longest:
        raise DateParseError(
            f'Sorry, "{text.strip()}" isn\'t a real date: {MONTH_NAMES[month - 1]} has at most '
            f"{longest} days."
        )


def _next_occurrence(text: str, month: int, day: int, reference: date) -> date:
    """The first ``day month`` on or after ``reference`` (29 February waits for a leap year)."""
    _check_month_day(text, month, day)
    for year in range(reference.year, reference.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= reference:
            return candidate
    raise _unreadable(text)  # pragma: no cover - a leap year always comes within 8 years


def _resolve(text: str, year: str | None, month: int, day: int, reference: date) -> date:
    if year is None:
        return _next_occurrence(text, month, day, reference)
    full_year = int(year) + 2000 if len(year) == 2 else int(year)
    return _make_date(text, full_year, month, day)


def _month_number(text: str, word: str) -> int:
    month = _MONTHS.get(word)
    if month is None:
        raise _unreadable(text)
    return month


def parse_local_date(text: str, today: date, *, reference: date | None = None) -> date:
    """Read a calendar date typed by a member.

    ``today`` is the member's local date (used for "today"/"tomorrow"). A date without a
    year is the next occurrence on or after ``reference`` (default: ``today``). Accepted:
    ISO ``2026-12-24``; ``24 Dec 2026``, ``24 December 2026``, ``Dec 24 2026``,
    ``December 24, 2026`` (also with ordinals, "24th of December"); day-first numeric
    ``24/12/2026``, ``24.12.2026``, ``24-12-2026`` (two-digit years mean 20xx); and
    ``today``/``tomorrow``. Case and extra spaces do not matter.

    Raises :class:`DateParseError` with a friendly message listing the formats.
    """
    reference = today if reference is None else reference
    cleaned = _normalise(text)
    if cleaned == "today":
        return today
    if cleaned == "tomorrow":
        return today + timedelta(days=1)
    if match := _ISO.fullmatch(cleaned):
        year, month, day = (int(g) for g in match.groups())
        return _make_date(text, year, month, day)
    if match := _DAY_FIRST.fullmatch(cleaned):
        day_s, _sep, month_s, year_s = match.groups()
        return _resolve(text, year_s, int(month_s), int(day_s), reference)
    if match := _DAY_MONTH.fullmatch(cleaned):
        day_s, word, year_s = match.groups()
        return _resolve(text, year_s, _month_number(text, word), int(day_s), reference)
    if match := _MONTH_DAY.fullmatch(cleaned):
        word, day_s, year_s = match.groups()
        return _resolve(text, year_s, _month_number(text, word), int(day_s), reference)
    raise _unreadable(text)


# ---------------------------------------------------------------------- validation


def _local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    """UTC instant of the start of ``day`` in ``tz`` (a midnight skipped by DST maps to the
    first instant of that day, per PEP 495 ``fold=0``)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise AwayRejected(
            f"Sorry, your time zone setting (\"{timezone}\") isn't one I recognise, so I can't "
            "work out your dates. Please update your time zone and try again."
        ) from err


def _parse_field(label: str, text: str, today: date, reference: date | None = None) -> date:
    try:
        return parse_local_date(text, today, reference=reference)
    except DateParseError as err:
        raise AwayRejected(f"{label}: {err.message}") from err


def validate_away(
    start_text: str,
    end_text: str,
    *,
    timezone: str,
    now: datetime,
    round_start: date,
    round_end: date,
    note: str | None = None,
) -> AwayPeriod:
    """Turn ``/away START END [note]`` into an :class:`AwayPeriod` or refuse politely.

    Decisions:

    * A year-less END is the next occurrence on or after START (so "24 Dec" to "5 Jan"
      crosses the new year), while a year-less START is relative to the member's today.
    * START == END is one day away. A START in the past is kept as typed when END is still
      ahead ("I've been ill since Monday"); only a range entirely in the past is refused.
    * Refused: unreadable dates; END before START; END 24:00 local already past; more days
      than the round's length (``round_end - round_start``); START after the round's end
      date; a note longer than :data:`MAX_NOTE_LENGTH`. END after the round's end is fine.
      So every date accepted lies within a round's length of today: no date a person can
      type (the calendar's first or last day included) overflows.
    * The note is trimmed; an empty note becomes ``None``.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if round_end <= round_start:
        raise ValueError("round_end must be after round_start")
    tz = _zone(timezone)
    today = now.astimezone(tz).date()

    start = _parse_field("Start date", start_text, today)
    end = _parse_field("End date", end_text, today, reference=start)

    if end < start:
        raise AwayRejected(
            f"The end date ({format_local_date(end)}) is before the start date "
            f"({format_local_date(start)}). Please give the first day you'll be away, then "
            "the last day."
        )
    if end < today - timedelta(days=1):  # past in every zone: refused before any instant
        raise _in_the_past(start, end)
    days = (end - start).days + 1
    round_days = (round_end - round_start).days
    if days > round_days:
        raise AwayRejected(
            f"That's {days} days away, which is longer than a whole round ({round_days} "
            "days). If you need to step back from the program, please get in touch with the "
            "coordinators instead."
        )
    if start > round_end:
        raise AwayRejected(
            f"{format_local_date(start)} is after this round ends on "
            f"{format_local_date(round_end)}. Please set away dates for a later round once "
            "it has started."
        )
    # The checks above keep both dates within a round's length of today and of the round,
    # so these instants exist whatever dates were typed (9999-12-31 included).
    start_at = _local_midnight_utc(start, tz)
    end_at = _local_midnight_utc(end + timedelta(days=1), tz)
    if end_at <= now:
        raise _in_the_past(start, end)
    clean_note = _clean_note(note)
    return AwayPeriod(start=start_at, end=end_at, note=clean_note)


def _in_the_past(start: date, end: date) -> AwayRejected:
    return AwayRejected(
        f"{_range_text(start, end)} is already in the past, so there's nothing to "
        "record. If you meant a future date, please include the year."
    )


def _range_text(start: date, end: date) -> str:
    if start == end:
        return format_local_date(start)
    return f"{format_local_date(start)} – {format_local_date(end)}"


def _clean_note(note: str | None) -> str | None:
    if note is None:
        return None
    stripped = " ".join(note.split())
    if not stripped:
        return None
    if len(stripped) > MAX_NOTE_LENGTH:
        raise AwayRejected(
            f"Your note is {len(stripped)} characters long; please keep it to "
            f"{MAX_NOTE_LENGTH} or fewer."
        )
    return stripped
