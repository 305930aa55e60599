"""The round calendar: when topics, reminders, check-ins and availability asks go out.

Pure functions over dates. Nothing here reads the clock or knows about Discord; callers
pass the round's start date and a :class:`RoundSchedule`, and turn the resulting days into
instants with :func:`post_instant` using the partnership's members' time zones.

Conventions (decided here, relied on by the tests):

* Day numbers are offsets from the round's start date (day 0 = the start).
* The last week belongs to the close: nothing else is planned in the six days before the
  end date (:data:`QUIET_DAYS`), and the end date itself only carries the close.
* A pair gets at most one dated post a day. An availability ask or check-in that falls
  within ``fold_within_days`` of a topic rides on that topic's post (:attr:`CalendarEntry.carries`);
  one that does not, and finds its day taken, moves to the next free day.
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

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.domain.settings import SettingProblem, SettingProblems
from bot.domain.zones import zone as zone_named

__all__ = [
    "MONTH_NAMES",
    "QUIET_DAYS",
    "CalendarEntry",
    "RoundCalendar",
    "RoundSchedule",
    "Series",
    "add_months",
    "availability_dates",
    "checkin_dates",
    "end_reminder_date",
    "format_local_date",
    "last_posting_day",
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


# The six days before the end date carry nothing but the close: with the end date itself,
# the round's last week.
QUIET_DAYS = 6
# The shortest round four calendar months can make (November to February, or February to
# May, in a year that is not a leap year).
SHORTEST_FOUR_MONTHS = 120
MIN_ROUND_WEEKS = 4
MAX_ROUND_WEEKS = 52


class RoundSchedule(BaseModel):
    """Cadence of a round's scheduled posts (embedded in the app's TOML config).

    The defaults are the program's own: a topic every two weeks, a private check-in every
    four weeks and an availability ask every four weeks between them (each riding on a
    topic's post), the end reminder a month before the end, nothing but the close in the
    last week. Settings that together leave no room for what they plan are refused, each
    naming its key and the values that would fit.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    round_weeks: int | None = Field(
        default=None,
        ge=MIN_ROUND_WEEKS,
        le=MAX_ROUND_WEEKS,
        description=(
            "Round length in weeks. Unset means four calendar months from the start date "
            "(the ILN default), with the day clamped to the month's length."
        ),
    )
    topic_every_days: int = Field(
        default=14, ge=1, description="Days between discussion topics; the first is on day 0."
    )
    end_reminder_days_before: int = Field(
        default=30,
        ge=QUIET_DAYS + 1,
        description=(
            "Days before the round's end that the reminder goes out (at least a week, since "
            "the last week carries nothing but the close)."
        ),
    )
    checkin_every_days: int = Field(
        default=28,
        ge=1,
        description="Days between private partnership check-ins; the first is on this day.",
    )
    availability_every_days: int = Field(
        default=28, ge=1, description="Days between 'any upcoming availability changes?' asks."
    )
    availability_offset_days: int = Field(
        default=14,
        ge=0,
        description="Day of the first availability ask (offset from the topic cadence).",
    )
    fold_within_days: int = Field(
        default=3,
        ge=0,
        le=7,
        description=(
            "An availability ask or check-in due within this many days of a topic goes out "
            "with the topic's post instead of on its own."
        ),
    )
    applications_close_days_before: int = Field(
        default=7,
        ge=1,
        le=90,
        description=(
            "The announcement says applications close at the end of the day this many days "
            "before the round starts (in the program's time zone), leaving time to match; "
            "coordinators close them then."
        ),
    )
    post_hour: int = Field(
        default=9,
        ge=0,
        le=23,
        description="Local hour (0-23) at which scheduled posts go out; see post_instant.",
    )

    @model_validator(mode="after")
    def _the_round_holds_the_schedule(self) -> RoundSchedule:
        problems = self.problems()
        if problems:
            raise SettingProblems(problems)
        return self

    def problems(self) -> list[SettingProblem]:
        """Settings the round's length cannot hold: the end reminder must come after the
        start, and the first check-in, availability ask and second topic before the last
        week. With ``round_weeks`` set, a round too short for the rest is what is named
        (when a longer round would hold it); otherwise the setting itself, with its range."""
        days = self.shortest_round_days()
        found: list[SettingProblem] = []
        for limit in self._limits(days):
            if limit.value <= limit.most:
                continue
            if self.round_weeks is not None and self._fits(MAX_ROUND_WEEKS * 7):
                return [
                    SettingProblem(
                        "round_weeks",
                        f"is too short for the schedule ({limit.key} = {limit.value}); "
                        f"allowed: {self.shortest_weeks()} to {MAX_ROUND_WEEKS}",
                        self.round_weeks,
                    )
                ]
            found.append(
                SettingProblem(
                    limit.key, f"{limit.why}; allowed: {limit.least} to {limit.most}", limit.value
                )
            )
        return found

    def shortest_round_days(self) -> int:
        """The fewest days a round of this schedule can last."""
        return SHORTEST_FOUR_MONTHS if self.round_weeks is None else self.round_weeks * 7

    def shortest_weeks(self) -> int:
        """The fewest weeks a round must last to hold this schedule (at least four)."""
        weeks = MIN_ROUND_WEEKS
        while weeks < MAX_ROUND_WEEKS and not self._fits(weeks * 7):
            weeks += 1
        return weeks

    def _fits(self, days: int) -> bool:
        return all(limit.value <= limit.most for limit in self._limits(days))

    def _limits(self, days: int) -> list[_Limit]:
        last = days - QUIET_DAYS - 1  # the last day before the quiet week
        return [
            _Limit(
                "end_reminder_days_before",
                self.end_reminder_days_before,
                QUIET_DAYS + 1,
                days - 1,
                "must be less than the round's length",
            ),
            _Limit(
                "checkin_every_days",
                self.checkin_every_days,
                1,
                last,
                "would put the first check-in in the round's last week or after it",
            ),
            _Limit(
                "availability_offset_days",
                self.availability_offset_days,
                0,
                last,
                "would put the first availability ask in the round's last week or after it",
            ),
            _Limit(
                "topic_every_days",
                self.topic_every_days,
                1,
                last,
                "would put the second topic in the round's last week or after it",
            ),
        ]


@dataclass(frozen=True, slots=True)
class _Limit:
    """A setting and the range a round of some length allows it."""

    key: str
    value: int
    least: int
    most: int
    why: str


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


def last_posting_day(end: date) -> date:
    """The last day before the round's quiet last week: the latest day anything but the
    close may go out."""
    return end - timedelta(days=QUIET_DAYS + 1)


def applications_close(starts_on: date, settings: RoundSchedule, zone: str) -> datetime:
    """When applications close: the end of the day ``applications_close_days_before`` days
    before the start, in ``zone`` (the program's), as an aware UTC instant."""
    day = starts_on - timedelta(days=settings.applications_close_days_before)
    return datetime.combine(day, time(23, 59), tzinfo=zone_named(zone)).astimezone(UTC)


def _series(first: date, every_days: int, end: date) -> list[date]:
    """``first, first + every, ...`` up to the last posting day (before the quiet week)."""
    out: list[date] = []
    day = first
    while day <= last_posting_day(end):
        out.append(day)
        day += timedelta(days=every_days)
    return out


def topic_dates(start: date, end: date, settings: RoundSchedule) -> list[date]:
    """Topic days: day 0, 14, 28, ... up to the last one before the quiet last week.

    Topics keep going after the end reminder; the last month of a partnership still
    deserves something to talk about.
    """
    return _series(start, settings.topic_every_days, end)


def end_reminder_date(start: date, end: date, settings: RoundSchedule) -> date:
    """``end_reminder_days_before`` days before the end, but never before the start."""
    return max(start, end - timedelta(days=settings.end_reminder_days_before))


def checkin_dates(start: date, end: date, settings: RoundSchedule) -> list[date]:
    """Check-in days: day 28, 56, ... (no check-in on day 0), before the quiet week."""
    first = start + timedelta(days=settings.checkin_every_days)
    return _series(first, settings.checkin_every_days, end)


def availability_dates(start: date, end: date, settings: RoundSchedule) -> list[date]:
    """Availability-ask days: day 14, 42, 70, ... before the quiet week. They continue after
    the end reminder (away periods in the last month still matter); :class:`RoundCalendar`
    folds each into a topic near it, or finds it a day of its own."""
    first = start + timedelta(days=settings.availability_offset_days)
    return _series(first, settings.availability_every_days, end)


def _local_hour_utc(day: date, hour: int, zone: str) -> datetime:
    """The UTC instant of ``hour:00`` on ``day`` in ``zone``.

    PEP 495 semantics with ``fold=0``: a wall time that falls in a spring-forward gap is read
    with the pre-transition offset (so 02:00 on a day that jumps 02:00→03:00 becomes the
    instant the clocks show 03:00); an ambiguous fall-back time resolves to its first
    occurrence.
    """
    local = datetime.combine(day, time(hour), tzinfo=zone_named(zone))
    return local.astimezone(UTC)


def close_instant(ends_on: date, post_hour: int, zones: Sequence[str]) -> datetime:
    """When a pair in ``zones`` gets its close: the round's end day at the posting hour,
    kept by the pair's earliest zone."""
    return post_instant(ends_on, post_hour, zones)


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
# The asks a topic's post can carry.
FOLDABLE = (Series.CHECKIN, Series.AVAILABILITY)


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """One dated post of a partnership's calendar; ``topic_id`` names the round's topic.

    ``carries`` are the asks that ride on a topic's post, as ``(series, sequence)``: a
    check-in or availability ask that fell within a few days of the topic."""

    series: Series
    sequence: int
    day: date
    topic_id: int | None = None
    carries: tuple[tuple[Series, int], ...] = ()

    def carried(self, series: Series) -> int | None:
        """The sequence of the ``series`` ask this post carries (None: it carries none)."""
        return next((number for kind, number in self.carries if kind is series), None)

    def without_asks(self) -> CalendarEntry:
        return CalendarEntry(self.series, self.sequence, self.day, self.topic_id)


class RoundCalendar:
    """Every dated post of a round's partnerships, and when each falls due for a pair.

    ``topics`` are the round's own topics as ``(topic id, day)``: coordinators can add and
    move them, so the topic series comes from the store, not from the cadence.

    The posts of a pair are planned together: nothing but the close in the last week, at
    most one post a day, and an ask near a topic folded into the topic's post (see the
    module's conventions).
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
        self._quiet: dict[tuple[str, ...], list[tuple[datetime, datetime]]] = {}

    @cached_property
    def entries(self) -> tuple[CalendarEntry, ...]:
        start, end, schedule = self.starts_on, self.ends_on, self._schedule
        last = last_posting_day(end)
        topics = [
            CalendarEntry(Series.TOPIC, number, day, topic_id)
            for number, (topic_id, day) in enumerate(self._topics, start=1)
            if day <= last
        ]
        asks = [
            CalendarEntry(series, number, day)
            for series, days in (
                (Series.CHECKIN, checkin_dates(start, end, schedule)),
                (Series.AVAILABILITY, availability_dates(start, end, schedule)),
            )
            for number, day in enumerate(days, start=1)
        ]
        asks.sort(key=_reading_order)
        topics, alone = _fold(topics, asks, schedule.fold_within_days)
        taken = {entry.day for entry in topics} | {end}
        reminder_day = _free_day(
            end_reminder_date(start, end, schedule), taken, start, last, later=False
        )
        taken.add(reminder_day)
        entries = [*topics, CalendarEntry(Series.END_REMINDER, 1, reminder_day)]
        for ask in alone:
            day = _free_day(ask.day, taken, start, last, later=True)
            if day not in taken:
                taken.add(day)
                entries.append(CalendarEntry(ask.series, ask.sequence, day))
        entries.append(CalendarEntry(Series.CLOSING, 1, end))
        entries.sort(key=_reading_order)
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
        return close_instant(self.ends_on, self._schedule.post_hour, zones)

    def quiet_windows(self, zones: Sequence[str]) -> list[tuple[datetime, datetime]]:
        """When nothing else may reach a pair in ``zones``: each day that has a dated post
        (midnight to midnight in the pair's easternmost zone, the zone its posts keep
        time by), and the last week up to the close."""
        key = tuple(sorted(set(zones)))
        found = self._quiet.get(key)
        if found is None:
            found = [
                (_day_start(e.day, key), _day_start(e.day + timedelta(1), key))
                for e in self.entries
                if e.series is not Series.CLOSING
            ]
            quiet_from = last_posting_day(self.ends_on) + timedelta(days=1)
            found.append((_day_start(quiet_from, key), self.closes_at(key)))
            found.sort()
            self._quiet[key] = found
        return list(found)

    def latest(self, series: Series, zones: Sequence[str], now: datetime) -> int:
        """The sequence number of the latest entry of ``series`` due by ``now`` (0: none),
        whether it goes out on its own or rides on a topic's post."""
        latest = 0
        for at, entry in self.due_times(zones):
            if at > now:
                break
            number = entry.sequence if entry.series is series else entry.carried(series)
            latest = number or latest
        return latest


def _reading_order(entry: CalendarEntry) -> tuple[date, int, int]:
    return entry.day, _SERIES_ORDER[entry.series], entry.sequence


def _fold(
    topics: list[CalendarEntry], asks: list[CalendarEntry], within: int
) -> tuple[list[CalendarEntry], list[CalendarEntry]]:
    """The topics with the asks that fall within ``within`` days of one (the nearest; the
    earlier on a tie; of two asks of a series on one topic, the later), and the asks left
    to go out alone."""
    carried: dict[int, dict[Series, int]] = {}
    alone = []
    for ask in asks:
        near = [
            (abs((topic.day - ask.day).days), topic.day, index)
            for index, topic in enumerate(topics)
            if abs((topic.day - ask.day).days) <= within
        ]
        if not near:
            alone.append(ask)
            continue
        index = min(near)[2]
        carried.setdefault(index, {})[ask.series] = ask.sequence
    folded = [
        CalendarEntry(
            topic.series,
            topic.sequence,
            topic.day,
            topic.topic_id,
            tuple(
                (series, carried[index][series])
                for series in FOLDABLE
                if series in carried.get(index, {})
            ),
        )
        if index in carried
        else topic
        for index, topic in enumerate(topics)
    ]
    return folded, alone


def _free_day(day: date, taken: set[date], first: date, last: date, *, later: bool) -> date:
    """The day nearest ``day`` between ``first`` and ``last`` that has no post yet (``day``
    itself when it is free; of two as near, the later one when ``later``); ``day`` when no
    day is free."""
    reach = (last - first).days
    for shift in sorted(range(-reach, reach + 1), key=lambda n: (abs(n), (n < 0) == later)):
        candidate = day + timedelta(days=shift)
        if first <= candidate <= last and candidate not in taken:
            return candidate
    return day


def _day_start(day: date, zones: Sequence[str]) -> datetime:
    """Midnight that begins ``day`` for the pair: the earliest of its zones' midnights."""
    return post_instant(day, 0, zones)
