"""The round calendar: when topics, reminders, check-ins and availability asks go out.

Pure functions over dates. Nothing here reads the clock or knows about Discord; callers
pass the round's start date and a :class:`RoundSchedule`, and turn the resulting days into
instants with :func:`post_instant` using the partnership's members' time zones.

Conventions (decided here, relied on by the tests):

* Day numbers are offsets from the round's start date (day 0 = the start).
* Every periodic series stops *strictly before* the round's end date; the end date itself
  only carries the close.
* Sequence numbers are 1-based ("topic 1" is the day-0 topic), because coordinators talk
  about "topic 1", and they are stable for a given start and schedule, so planners can key
  posts on them and sending stays idempotent.

:class:`RoundCalendar` is the one place that says what a partnership's calendar holds and
when each entry falls due; the planner that queues the posts and the post that checks it
is still the latest of its series both ask it.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field

from bot.domain.zones import zone as zone_named

__all__ = [
    "MONTH_NAMES",
    "CalendarEntry",
    "RoundCalendar",
    "RoundSchedule",
    "Series",
    "add_months",
    "availability_dates",
    "checkin_dates",
    "end_reminder_date",
    "format_local_date",
    "post_instant",
    "round_end",
    "topic_dates",
]

MONTH_NAMES: tuple[str, ...] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class RoundSchedule(BaseModel):
    """Cadence of a round's scheduled posts (embedded in the app's TOML config)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    round_weeks: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Round length in weeks. Unset means four calendar months from the start date "
            "(the ILN default), with the day clamped to the month's length."
        ),
    )
    topic_every_days: int = Field(
        default=14, ge=1, description="Days between discussion topics; the first is on day 0."
    )
    end_reminder_days_before: int = Field(
        default=30, ge=0, description="Days before the round's end that the reminder goes out."
    )
    checkin_every_days: int = Field(
        default=28,
        ge=1,
        description="Days between private partnership check-ins; the first is on this day.",
    )
    availability_every_days: int = Field(
        default=14, ge=1, description="Days between 'any upcoming availability changes?' asks."
    )
    availability_offset_days: int = Field(
        default=7,
        ge=0,
        description="Day of the first availability ask (offset from the topic cadence).",
    )
    post_hour: int = Field(
        default=9,
        ge=0,
        le=23,
        description="Local hour (0-23) at which scheduled posts go out; see post_instant.",
    )


def format_local_date(d: date) -> str:
    """Format a date like "3 March 2027" (English month names, no locale dependence)."""
    return f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}"


def add_months(d: date, months: int) -> date:
    """Add calendar months, clamping the day (31 Oct + 4 months = 28/29 Feb)."""
    year, month0 = divmod(d.year * 12 + (d.month - 1) + months, 12)
    month = month0 + 1
    last_day = _stdlib_calendar.monthrange(year, month)[1]
    return date(year, month, min(d.day, last_day))


def round_end(start: date, settings: RoundSchedule) -> date:
    """The round's end date: four calendar months after ``start`` or ``round_weeks`` weeks."""
    if settings.round_weeks is not None:
        return start + timedelta(weeks=settings.round_weeks)
    return add_months(start, 4)


def _series(first: date, every_days: int, end: date) -> list[date]:
    """``first, first + every, ...`` strictly before ``end``."""
    out: list[date] = []
    day = first
    while day < end:
        out.append(day)
        day += timedelta(days=every_days)
    return out


def topic_dates(start: date, end: date, settings: RoundSchedule) -> list[date]:
    """Topic days: day 0, 14, 28, ... up to the last one strictly before the end date.

    Topics keep going after the end reminder; the last month of a partnership still
    deserves something to talk about.
    """
    return _series(start, settings.topic_every_days, end)


def end_reminder_date(start: date, end: date, settings: RoundSchedule) -> date:
    """``end_reminder_days_before`` days before the end, but never before the start."""
    return max(start, end - timedelta(days=settings.end_reminder_days_before))


def checkin_dates(start: date, end: date, settings: RoundSchedule) -> list[date]:
    """Check-in days: day 28, 56, ... (no check-in on day 0), strictly before the end."""
    first = start + timedelta(days=settings.checkin_every_days)
    return _series(first, settings.checkin_every_days, end)


def availability_dates(start: date, end: date, settings: RoundSchedule) -> list[date]:
    """Availability-ask days: day 7, 21, 35, ... strictly before the end date.

    They continue after the end reminder (away periods in the last month still matter) but
    are skipped on a topic day and on the end-reminder day, so a pair never gets two
    "please reply" posts on the same morning. Topic days here are the full topic cadence,
    independent of how many topics the content bank actually has.
    """
    busy = set(topic_dates(start, end, settings))
    busy.add(end_reminder_date(start, end, settings))
    first = start + timedelta(days=settings.availability_offset_days)
    return [d for d in _series(first, settings.availability_every_days, end) if d not in busy]


def _local_hour_utc(day: date, hour: int, zone: str) -> datetime:
    """The UTC instant of ``hour:00`` on ``day`` in ``zone``.

    PEP 495 semantics with ``fold=0``: a wall time that falls in a spring-forward gap is read
    with the pre-transition offset (so 02:00 on a day that jumps 02:00→03:00 becomes the
    instant the clocks show 03:00); an ambiguous fall-back time resolves to its first
    occurrence.
    """
    local = datetime.combine(day, time(hour), tzinfo=zone_named(zone))
    return local.astimezone(UTC)


def post_instant(day: date, hour: int, zones: Sequence[str]) -> datetime:
    """When a per-partnership post for ``day`` goes out, as an aware UTC datetime.

    Decision: partners live in different time zones, and a post should reach the pair once,
    so it goes out at "the configured hour in the partnership's time zone that reaches that
    hour first", i.e. the earliest UTC instant among the members' local ``hour:00`` on that
    calendar date. The easternmost partner (in UTC-offset terms, on that date) gets it at
    ``hour:00`` local; the others get it earlier in their local clock, possibly the previous
    evening. That is the accepted trade-off for one post per pair, and it means a topic is
    never late for anyone. Offsets are taken on ``day`` itself, so DST is handled per zone
    (London is 09:00 BST = 08:00 UTC in summer). DST gaps/overlaps are resolved as
    in :func:`_local_hour_utc`. Duplicate zones are fine; an empty sequence is a
    ``ValueError`` and an unknown zone raises ``zoneinfo.ZoneInfoNotFoundError``.
    """
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0-23, got {hour}")
    if not zones:
        raise ValueError("post_instant needs at least one time zone")
    return min(_local_hour_utc(day, hour, zone) for zone in zones)


class Series(StrEnum):
    """The kinds of entry in a partnership's calendar."""

    TOPIC = "topic"
    CHECKIN = "checkin"
    AVAILABILITY = "availability"
    END_REMINDER = "end_reminder"
    CLOSING = "closing"


# Entries of the same day in the order a pair should read them: the topic leads, the
# close ends.
_SERIES_ORDER = {series: position for position, series in enumerate(Series)}


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """One dated post of a partnership's calendar; ``topic_id`` names the round's topic."""

    series: Series
    sequence: int
    day: date
    topic_id: int | None = None


class RoundCalendar:
    """Every dated post of a round's partnerships, and when each falls due for a pair.

    ``topics`` are the round's own topics as ``(topic id, day)``: coordinators can add and
    move them, so the topic series comes from the store, not from the cadence.
    """

    def __init__(
        self,
        starts_on: date,
        ends_on: date,
        schedule: RoundSchedule,
        topics: Sequence[tuple[int, date]],
    ) -> None:
        self.starts_on = starts_on
        self.ends_on = ends_on
        self._schedule = schedule
        self._topics = sorted(topics, key=lambda topic: (topic[1], topic[0]))
        self._instants: dict[tuple[str, ...], list[tuple[datetime, CalendarEntry]]] = {}

    @cached_property
    def entries(self) -> tuple[CalendarEntry, ...]:
        start, end, schedule = self.starts_on, self.ends_on, self._schedule
        entries = [
            CalendarEntry(Series.TOPIC, number, day, topic_id)
            for number, (topic_id, day) in enumerate(self._topics, start=1)
        ]
        for series, days in (
            (Series.CHECKIN, checkin_dates(start, end, schedule)),
            (Series.AVAILABILITY, availability_dates(start, end, schedule)),
        ):
            entries += [CalendarEntry(series, n, day) for n, day in enumerate(days, start=1)]
        entries.append(
            CalendarEntry(Series.END_REMINDER, 1, end_reminder_date(start, end, schedule))
        )
        entries.append(CalendarEntry(Series.CLOSING, 1, end))
        entries.sort(key=lambda e: (e.day, _SERIES_ORDER[e.series], e.sequence))
        return tuple(entries)

    def due_times(self, zones: Sequence[str]) -> list[tuple[datetime, CalendarEntry]]:
        """Each entry with the instant it falls due for a pair in ``zones``, in order."""
        key = tuple(sorted(set(zones)))
        found = self._instants.get(key)
        if found is None:
            hour = self._schedule.post_hour
            found = [(post_instant(e.day, hour, key), e) for e in self.entries]
            found.sort(key=lambda item: item[0])
            self._instants[key] = found
        return found

    def closes_at(self, zones: Sequence[str]) -> datetime:
        """When a pair in ``zones`` gets its close."""
        return post_instant(self.ends_on, self._schedule.post_hour, zones)

    def latest(self, series: Series, zones: Sequence[str], now: datetime) -> int:
        """The sequence number of the latest entry of ``series`` due by ``now`` (0: none)."""
        latest = 0
        for at, entry in self.due_times(zones):
            if at > now:
                break
            if entry.series is series:
                latest = entry.sequence
        return latest
