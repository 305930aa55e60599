"""The round calendar: when topics, reminders, check-ins and availability asks go out.

Pure functions over dates. Nothing here reads the clock or knows about Discord; callers
pass the round's start date and a :class:`RoundSchedule`, and turn the resulting days into
instants with :func:`post_instant` using the partnership's members' time zones.

Conventions (decided here, relied on by the tests):

* Day numbers are offsets from the round's start date (day 0 = the start).
* Every periodic series stops *strictly before* the round's end date; the end date itself
  only carries the ``round_end`` post.
* Keys and indexes of :class:`ScheduledPost` are 1-based ("topic:1" is the day-0 topic),
  because coordinators talk about "topic 1", and they are stable for a given start and
  schedule, so the scheduler can use them to make sending idempotent.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.domain.zones import zone as zone_named

__all__ = [
    "MONTH_NAMES",
    "PostKind",
    "RoundSchedule",
    "ScheduledPost",
    "add_months",
    "availability_dates",
    "checkin_dates",
    "end_reminder_date",
    "format_local_date",
    "post_instant",
    "round_end",
    "round_timeline",
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

PostKind = Literal["topic", "end_reminder", "checkin", "availability", "round_end"]

# Order of posts that fall on the same day: the topic leads, the round end closes.
_KIND_ORDER: dict[str, int] = {
    "topic": 0,
    "checkin": 1,
    "availability": 2,
    "end_reminder": 3,
    "round_end": 4,
}


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


@dataclass(frozen=True, slots=True)
class ScheduledPost:
    """One post of a round's timeline.

    ``key`` is unique within a round and stable across recomputation ("topic:3",
    "checkin:2", "availability:1", "end_reminder", "round_end"); ``index`` is 1-based
    within its kind (always 1 for the single end reminder and round end).
    """

    kind: PostKind
    key: str
    day: date
    index: int


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


def round_timeline(
    start: date, settings: RoundSchedule, n_topics: int | None = None
) -> list[ScheduledPost]:
    """Every scheduled post of a round, sorted by day (then topic, check-in, availability,
    end reminder, round end).

    ``n_topics`` caps the topic series at the number of topics the content bank holds
    (``None`` = no cap); the other series do not depend on it.
    """
    if n_topics is not None and n_topics < 0:
        raise ValueError("n_topics must be >= 0")
    end = round_end(start, settings)
    topics = topic_dates(start, end, settings)
    if n_topics is not None:
        topics = topics[:n_topics]
    posts: list[ScheduledPost] = []
    series: tuple[tuple[PostKind, list[date]], ...] = (
        ("topic", topics),
        ("checkin", checkin_dates(start, end, settings)),
        ("availability", availability_dates(start, end, settings)),
    )
    for kind, days in series:
        posts.extend(
            ScheduledPost(kind=kind, key=f"{kind}:{i}", day=d, index=i)
            for i, d in enumerate(days, start=1)
        )
    posts.append(
        ScheduledPost(
            kind="end_reminder",
            key="end_reminder",
            day=end_reminder_date(start, end, settings),
            index=1,
        )
    )
    posts.append(ScheduledPost(kind="round_end", key="round_end", day=end, index=1))
    posts.sort(key=lambda p: (p.day, _KIND_ORDER[p.kind], p.index))
    return posts
