"""The numbers behind a round's charts, shaped from plain values: pure, no I/O, no clock.

The service reads the store and hands these functions lists and dicts; the charts module
draws what they return. Keeping the binning here means a test can check "three contact
days in week 2" without drawing anything.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfoNotFoundError

from bot.domain.matching import shared_working_minutes
from bot.domain.zones import zone

CHECKIN_RATINGS = ("great", "ok", "not_working")
ROWS_PER_PAGE = 50  # heatmap rows per image: each name stays legible at full size
NOT_COUNTED = -1  # a heatmap cell before a pair began or after it ended or the report date


@dataclass(frozen=True)
class HeatmapRow:
    """One partnership's contact days per week of the round (``NOT_COUNTED`` outside its
    own span)."""

    partnership_id: int
    label: str
    weeks: tuple[int, ...]


@dataclass(frozen=True)
class ContactWeeks:
    """Contact per partnership per week, rows most at risk first."""

    week_starts: tuple[date, ...]
    rows: tuple[HeatmapRow, ...]
    sort_note: str

    def overview(self) -> dict[str, tuple[int, ...]]:
        """Per week, how many pairs had 0, 1, 2 and 3 or more contact days (pairs not yet
        or no longer in the round that week are left out)."""
        bands = {"no contact": 0, "1 day": 1, "2 days": 2, "3+ days": 3}
        counts = {band: [0] * len(self.week_starts) for band in bands}
        for row in self.rows:
            for week, days in enumerate(row.weeks):
                if days == NOT_COUNTED:
                    continue
                band = next(name for name, low in reversed(bands.items()) if days >= low)
                counts[band][week] += 1
        return {band: tuple(values) for band, values in counts.items()}


@dataclass(frozen=True)
class CheckinMonths:
    """Check-in answers per calendar month of the round."""

    months: tuple[date, ...]  # the first day of each month
    counts: dict[str, tuple[int, ...]]  # by rating, one count per month


@dataclass(frozen=True)
class FortnightCounts:
    """Coordinator-facing events per fortnight of the round.

    ``series`` is ordered and open: cases (from the cases issue) become one more entry.
    """

    starts: tuple[date, ...]
    series: dict[str, tuple[int, ...]]


@dataclass(frozen=True)
class PairWishes:
    partnership_id: int
    stated: int
    met: int


@dataclass(frozen=True)
class MatchQuality:
    wishes: tuple[PairWishes, ...]
    shared_hours: tuple[float, ...]  # per pair: working hours all its members share


@dataclass(frozen=True)
class ReportFigures:
    """Everything the charts of one round draw."""

    round_name: str
    as_of: date
    contact: ContactWeeks
    checkins: CheckinMonths
    fortnights: FortnightCounts
    match: MatchQuality
    notes: dict[str, str] = field(default_factory=dict)


def heatmap_page_count(pairs: int) -> int:
    """Heatmap images a round of ``pairs`` partnerships needs (at least one)."""
    return max(1, -(-pairs // ROWS_PER_PAGE))


def week_starts(first: date, last: date) -> tuple[date, ...]:
    """The first day of each week of a round running from ``first`` to ``last``."""
    weeks = max(1, math.ceil(((last - first).days + 1) / 7))
    return tuple(first + timedelta(weeks=n) for n in range(weeks))


def contact_weeks(
    starts: Sequence[date],
    days: Iterable[date],
    active_from: date,
    active_until: date,
) -> tuple[int, ...]:
    """Distinct contact days per week; weeks wholly outside ``active_from``..``active_until``
    are ``NOT_COUNTED`` (so a pair that left shows as gone, not as quiet)."""
    counts = [0] * len(starts)
    first = starts[0]
    for day in set(days):
        week = (day - first).days // 7
        if 0 <= week < len(starts):
            counts[week] += 1
    result = []
    for week, start in enumerate(starts):
        end = start + timedelta(days=6)
        inside = end >= active_from and start <= active_until
        result.append(counts[week] if inside else NOT_COUNTED)
    return tuple(result)


def month_starts(first: date, last: date) -> tuple[date, ...]:
    months = []
    current = first.replace(day=1)
    while current <= last:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return tuple(months)


def checkin_months(
    first: date, last: date, answers: Iterable[tuple[datetime, str]]
) -> CheckinMonths:
    """Answers stacked by the month they were given in (answers outside the round's months
    count in the nearest one, so none is lost)."""
    months = month_starts(first, last)
    counts = {rating: [0] * len(months) for rating in CHECKIN_RATINGS}
    for answered_at, rating in answers:
        if rating not in counts:
            continue
        month = answered_at.date().replace(day=1)
        if month in months:
            index = months.index(month)
        else:
            index = 0 if month < months[0] else len(months) - 1
        counts[rating][index] += 1
    return CheckinMonths(months, {rating: tuple(values) for rating, values in counts.items()})


def fortnight_counts(
    first: date, last: date, events: Mapping[str, Iterable[datetime]]
) -> FortnightCounts:
    """Events per fortnight from the round's first day; one series per ``events`` key, in
    the order given."""
    fortnights = max(1, math.ceil(((last - first).days + 1) / 14))
    starts = tuple(first + timedelta(days=14 * n) for n in range(fortnights))
    series = {}
    for name, moments in events.items():
        values = [0] * fortnights
        for moment in moments:
            index = (moment.date() - first).days // 14
            values[min(max(index, 0), fortnights - 1)] += 1
        series[name] = tuple(values)
    return FortnightCounts(starts, series)


class Wisher(Protocol):
    """A member as match quality sees them (an application, or a lighter row of one)."""

    @property
    def discord_id(self) -> int: ...
    @property
    def sector(self) -> str: ...
    @property
    def career_stage(self) -> str: ...
    @property
    def country(self) -> str: ...
    @property
    def partner_sectors(self) -> Set[str]: ...
    @property
    def partner_career_stages(self) -> Set[str]: ...
    @property
    def partner_countries(self) -> Set[str]: ...


def wishes(partnership_id: int, members: Sequence[Wisher]) -> PairWishes:
    """How many partner wishes a pair's members stated (sector, career stage, country; each
    member's own) and how many their partners meet: the matcher's own definition."""
    stated = met = 0
    for member in members:
        others = [other for other in members if other.discord_id != member.discord_id]
        for wish, attribute in (
            (member.partner_sectors, "sector"),
            (member.partner_career_stages, "career_stage"),
            (member.partner_countries, "country"),
        ):
            if wish:
                stated += 1
                met += any(getattr(other, attribute) in wish for other in others)
    return PairWishes(partnership_id, stated, met)


def shared_hours(timezones: Sequence[str], on: date) -> float | None:
    """Working hours (09:00-17:00 local) a pair shares on ``on`` (for a trio, the least
    any two of them share); None when a time zone is unknown or a member is missing."""
    if len(timezones) < 2:
        return None
    try:
        offsets = [_offset_minutes(name, on) for name in timezones]
    except (ZoneInfoNotFoundError, ValueError):
        return None
    worst = min(
        shared_working_minutes(a, b)
        for index, a in enumerate(offsets)
        for b in offsets[index + 1 :]
    )
    return worst / 60


def _offset_minutes(name: str, on: date) -> int:
    noon = datetime(on.year, on.month, on.day, 12, tzinfo=zone(name))
    offset = noon.utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def distribution(values: Iterable[int], low: int, high: int) -> dict[int, int]:
    """How often each whole number from ``low`` to ``high`` occurs (others are ignored)."""
    counted = Counter(values)
    return {number: counted.get(number, 0) for number in range(low, high + 1)}
