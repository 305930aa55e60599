"""The best hours for partners to meet on a call: when all of them are at work.

Working hours are those the matcher and the live discussions use: 09:00 to 17:00 on
Monday to Friday, each in the partner's own zone. Pure: the zones and the moment to look
from are passed in, and the answer is in UTC instants, which posts show as Discord
timestamps so every reader sees them in their own time.

Everything is computed on real instants over a real week, not on UTC offsets: a pair on
both sides of the date line (Kiritimati, UTC+14, and Pago Pago, UTC-11) shares seven hours
on four days a week, Tuesday to Friday for one and Monday to Thursday for the other, which
offsets alone would call every day; half-hour and quarter-hour zones (Kolkata, Kathmandu,
Chatham) and a clock change inside the week come out right for the same reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.domain.events import WORKDAY_END_HOUR, WORKDAY_START_HOUR, WORKING_WEEKDAYS
from bot.domain.zones import zone as zone_named

WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of time, ``starts_at`` up to ``ends_at`` (aware, UTC)."""

    starts_at: datetime
    ends_at: datetime

    @property
    def length(self) -> timedelta:
        return self.ends_at - self.starts_at


@dataclass(frozen=True, slots=True)
class CallHours:
    """What an introduction says about calls.

    ``usual`` is the next of the shared windows that recur most often in the week (at the
    same instants of the day), and ``days`` how many days of the week have it; ``shared``
    lists every shared window of the week. With no shared window, ``gap`` is the shortest
    stretch between the end of one partner's working day and the start of another's.
    """

    shared: tuple[Window, ...]
    usual: Window | None
    days: int
    gap: Window | None


def working_windows(zone: str, start: datetime, end: datetime) -> list[Window]:
    """The zone's whole working days (09:00-17:00 local, Monday to Friday) that begin at or
    after ``start`` and before ``end``, in UTC."""
    tz = zone_named(zone)
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    windows = []
    day = first
    while day <= last:
        if day.weekday() in WORKING_WEEKDAYS:
            window = Window(_at(day, WORKDAY_START_HOUR, zone), _at(day, WORKDAY_END_HOUR, zone))
            if start <= window.starts_at < end:
                windows.append(window)
        day += timedelta(days=1)
    return windows


def shared_windows(zones: Sequence[str], start: datetime, end: datetime) -> list[Window]:
    """When every zone is at work at once, between ``start`` and ``end`` (windows that
    begin before ``start`` are left out, so each one is still ahead)."""
    if not zones:
        raise ValueError("shared_windows needs at least one time zone")
    # Whole working days that began up to a day before ``start`` can still overlap.
    reach = start - timedelta(days=1)
    shared = working_windows(zones[0], reach, end)
    for zone in zones[1:]:
        shared = _intersect(shared, working_windows(zone, reach, end))
    return [w for w in shared if start <= w.starts_at < end]


def call_hours(zones: Sequence[str], now: datetime) -> CallHours:
    """The partners' best hours for a call in the week from ``now``."""
    start = now.astimezone(UTC)
    shared = shared_windows(list(dict.fromkeys(zones)), start, start + WEEK)
    if not shared:
        return CallHours((), None, 0, _shortest_gap(zones, start))
    by_time: dict[tuple[time, timedelta], list[Window]] = defaultdict(list)
    for window in shared:
        by_time[(window.starts_at.time(), window.length)].append(window)
    # Most days first, then the longest, then the soonest.
    group = min(
        by_time.values(), key=lambda found: (-len(found), -found[0].length, found[0].starts_at)
    )
    return CallHours(tuple(shared), group[0], len(group), None)


def _shortest_gap(zones: Sequence[str], start: datetime) -> Window | None:
    """The shortest stretch from the end of one zone's working day to the start of another
    zone's next one, in the week from ``start``."""
    days = {zone: working_windows(zone, start, start + WEEK) for zone in dict.fromkeys(zones)}
    best: Window | None = None
    for zone, windows in days.items():
        for window in windows:
            for other, theirs in days.items():
                if other == zone:
                    continue
                after = [w.starts_at for w in theirs if w.starts_at >= window.ends_at]
                if not after:
                    continue
                gap = Window(window.ends_at, min(after))
                if best is None or (gap.length, gap.starts_at) < (best.length, best.starts_at):
                    best = gap
    return best


def _intersect(a: Sequence[Window], b: Sequence[Window]) -> list[Window]:
    out = []
    for first in a:
        for second in b:
            starts, ends = (
                max(first.starts_at, second.starts_at),
                min(first.ends_at, second.ends_at),
            )
            if starts < ends:
                out.append(Window(starts, ends))
    return sorted(out, key=lambda window: window.starts_at)


def _at(day: date, hour: int, zone: str) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=zone_named(zone)).astimezone(UTC)
