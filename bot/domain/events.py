"""Live discussions: reading the time and length a coordinator types, and the hours of a
week that suit most of the cohort.

Pure rules: zones are named, the current day and time are passed in, nothing is read from a
clock. A refusal is a :class:`DateParseError` whose message is a polite sentence ready for
an ephemeral reply (the same error the date parser of ``/away`` raises).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.domain.away import DateParseError, parse_local_date
from bot.domain.zones import zone as zone_named

MAX_LENGTH = timedelta(hours=24)
MIN_LENGTH = timedelta(minutes=15)
WORKDAY_START_HOUR = 9
WORKDAY_END_HOUR = 17
WORKING_WEEKDAYS = range(5)  # Monday to Friday, in each partner's own zone
HOURS_PER_WEEK = 7 * 24

TIME_HELP = (
    "Write the day and your local time, e.g. `2027-03-03 19:00`, `3 March 7pm` or `tomorrow 9:30`."
)
LENGTH_HELP = "Write the length like `60`, `90m`, `1h`, `1h30` or `2 hours`."

_TIME = re.compile(r"^(?P<hour>\d{1,2})(?:[:.h](?P<minute>\d{2}))?\s*(?P<half>am|pm)?$")
_TRAILING_TIME = re.compile(
    r"^(?P<day>.*?)[\s,]+(?:at\s+)?(?P<time>\d{1,2}(?:[:.h]\d{2})?\s*(?:am|pm)?)$"
)
_LENGTH = re.compile(
    r"^(?:(?P<hours>\d+(?:\.\d+)?)\s*(?:h|hr|hrs|hour|hours))?\s*"
    r"(?:(?P<minutes>\d+)\s*(?:m|min|mins|minute|minutes)?)?$"
)


def parse_local_datetime(text: str, zone: str, now: datetime) -> datetime:
    """The instant a person means by ``text`` (a day and a time) in their ``zone``, in UTC.

    The day is read by the same rules as ``/away`` (day first; a year-less date is its next
    occurrence); the time is 24-hour (``19:00``, ``19.00``, ``19h00``) or 12-hour (``7pm``,
    ``7:30 am``). A time that does not exist in the zone (skipped by a clock change) is
    refused rather than guessed.
    """
    cleaned = " ".join(text.strip().lower().split())
    found = _TRAILING_TIME.match(cleaned)
    if found is None or not found["day"]:
        raise DateParseError(
            f'Sorry, I couldn\'t read "{text.strip()}" as a day and a time. {TIME_HELP}'
        )
    local_today = now.astimezone(zone_named(zone)).date()
    day = parse_local_date(found["day"], local_today)
    clock = _parse_time(found["time"], text)
    local = datetime.combine(day, clock, tzinfo=zone_named(zone))
    moment = local.astimezone(UTC)
    if moment.astimezone(zone_named(zone)).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise DateParseError(
            f"{clock:%H:%M} does not exist on {day:%d %B %Y} in {zone} (the clocks change "
            "that night); please choose another time."
        )
    return moment


def _parse_time(value: str, original: str) -> time:
    found = _TIME.match(value.strip())
    if found is None:
        raise DateParseError(
            f'Sorry, I couldn\'t read the time in "{original.strip()}". {TIME_HELP}'
        )
    hour, minute = int(found["hour"]), int(found["minute"] or 0)
    if found["half"]:
        if not 1 <= hour <= 12:
            raise DateParseError(f'"{value}" is not a time on a 12-hour clock. {TIME_HELP}')
        hour = hour % 12 + (12 if found["half"] == "pm" else 0)
    if hour > 23 or minute > 59:
        raise DateParseError(f'"{value}" is not a time of day. {TIME_HELP}')
    return time(hour, minute)


def parse_length(text: str | None, default: timedelta) -> timedelta:
    """How long an event lasts: ``default`` when not given; 15 minutes to 24 hours."""
    if text is None or not text.strip():
        return default
    cleaned = " ".join(text.strip().lower().split())
    found = _LENGTH.match(cleaned)
    if found is None or not (found["hours"] or found["minutes"]):
        raise DateParseError(f'Sorry, I couldn\'t read "{text.strip()}" as a length. {LENGTH_HELP}')
    length = timedelta(hours=float(found["hours"] or 0), minutes=int(found["minutes"] or 0))
    if length > MAX_LENGTH:
        raise DateParseError(
            f"A live discussion lasts at most 24 hours; {text.strip()} is longer. {LENGTH_HELP}"
        )
    if length < MIN_LENGTH:
        raise DateParseError(f"A live discussion lasts at least 15 minutes. {LENGTH_HELP}")
    return length


@dataclass(frozen=True)
class SuggestedHour:
    """An hour of the week, and how many of the cohort's partners are at work all of it."""

    starts_at: datetime
    suits: int
    of: int


def best_hours(zones: Sequence[str], week_from: datetime, count: int = 2) -> list[SuggestedHour]:
    """The ``count`` hours of the week from ``week_from`` (rounded up to a whole hour) that
    fall inside the most partners' working hours (09:00-17:00 local, Monday to Friday), one
    entry per partner in ``zones``.

    Ranked by how many partners each hour suits; an hour on a day not yet suggested wins a
    tie (two chances on different days suit more people than two hours back to back), then
    the earlier hour. Hours that suit nobody are never suggested.
    """
    first = week_from.astimezone(UTC)
    if first.minute or first.second or first.microsecond:
        first = first.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    hours = [first + timedelta(hours=n) for n in range(HOURS_PER_WEEK)]
    counts = {zone_name: zones.count(zone_name) for zone_name in set(zones)}
    suits = [
        sum(number for zone_name, number in counts.items() if at_work(hour, zone_name))
        for hour in hours
    ]
    chosen: list[SuggestedHour] = []
    remaining = [(hour, fit) for hour, fit in zip(hours, suits, strict=True) if fit > 0]
    while remaining and len(chosen) < count:
        days = {pick.starts_at.date() for pick in chosen}
        hour, fit = min(remaining, key=lambda entry: (-entry[1], entry[0].date() in days, entry[0]))
        chosen.append(SuggestedHour(hour, fit, len(zones)))
        remaining = [entry for entry in remaining if entry[0] != hour]
    return chosen


def at_work(hour: datetime, zone_name: str) -> bool:
    """Whether the whole hour from ``hour`` is inside the zone's working day."""
    local = hour.astimezone(zone_named(zone_name))
    minute = local.hour * 60 + local.minute  # zones such as Asia/Kolkata sit on the half hour
    return (
        local.weekday() in WORKING_WEEKDAYS
        and minute >= WORKDAY_START_HOUR * 60
        and minute + 60 <= WORKDAY_END_HOUR * 60
    )


def week_for(topic_due_on: date, now: datetime) -> datetime:
    """Where a topic's week of suggestions begins: its first day (00:00 UTC), or the next
    hour when that day has passed, so every suggestion is still ahead."""
    start = datetime.combine(topic_due_on, time(0), tzinfo=UTC)
    return max(start, now + timedelta(hours=1))
