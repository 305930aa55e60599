"""Live discussions' pure rules: reading a local time and a length, the hours that suit the
cohort, and when reminders are due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.away import DateParseError
from bot.domain.events import (
    at_work,
    best_hours,
    parse_length,
    parse_local_datetime,
    week_for,
)
from bot.services.events import reminders
from bot.store.models import LiveEvent

NOW = datetime(2027, 3, 1, 6, tzinfo=UTC)  # a Monday
MONDAY = datetime(2027, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2027-03-03 19:00", "Australia/Brisbane", datetime(2027, 3, 3, 9, tzinfo=UTC)),
        ("3 March 7pm", "Australia/Brisbane", datetime(2027, 3, 3, 9, tzinfo=UTC)),
        ("03/03/2027 19.00", "Australia/Brisbane", datetime(2027, 3, 3, 9, tzinfo=UTC)),
        ("tomorrow 9:30", "Europe/Berlin", datetime(2027, 3, 2, 8, 30, tzinfo=UTC)),
        ("Mar 10 at 12am", "UTC", datetime(2027, 3, 10, 0, tzinfo=UTC)),
        ("2027-04-01 14:00", "Europe/Berlin", datetime(2027, 4, 1, 12, tzinfo=UTC)),  # CEST
    ],
)
def test_a_local_day_and_time_is_read_in_the_persons_zone(
    text: str, zone: str, expected: datetime
) -> None:
    assert parse_local_datetime(text, zone, NOW) == expected


@pytest.mark.parametrize(
    ("text", "zone", "refusal"),
    [
        ("19:00", "UTC", "as a day and a time"),
        ("someday soon", "UTC", "as a day and a time"),
        ("2027-03-03 25:00", "UTC", "not a time of day"),
        ("2027-03-03 13pm", "UTC", "12-hour clock"),
        ("2027-03-28 02:30", "Europe/Berlin", "does not exist"),  # the clocks go forward
        ("31 February 10:00", "UTC", "isn't a real date"),
    ],
)
def test_unreadable_times_are_refused_with_a_reason(text: str, zone: str, refusal: str) -> None:
    with pytest.raises(DateParseError, match=refusal):
        parse_local_datetime(text, zone, NOW)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        (None, 60),
        ("", 60),
        ("90", 90),
        ("90m", 90),
        ("1h", 60),
        ("1h30", 90),
        ("1.5 hours", 90),
        ("2 hours", 120),
        ("24h", 24 * 60),
    ],
)
def test_lengths(text: str | None, minutes: int) -> None:
    assert parse_length(text, timedelta(hours=1)) == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("25h", "at most 24 hours"),
        ("24h1", "at most 24 hours"),
        ("10", "at least 15"),
        ("a while", "as a length"),
    ],
)
def test_lengths_out_of_bounds_are_refused(text: str, refusal: str) -> None:
    with pytest.raises(DateParseError, match=refusal):
        parse_length(text, timedelta(hours=1))


def test_the_best_hours_suit_the_most_partners_on_two_days() -> None:
    # Singapore (UTC+8) works 01:00-09:00 UTC, Berlin (UTC+1 in March) 08:00-16:00 UTC:
    # only 08:00-09:00 UTC suits all three, on each weekday.
    zones = ["Asia/Singapore", "Europe/Berlin", "Europe/Berlin"]
    first, second = best_hours(zones, MONDAY)
    assert (first.starts_at, first.suits, first.of) == (datetime(2027, 3, 1, 8, tzinfo=UTC), 3, 3)
    assert (second.starts_at, second.suits) == (datetime(2027, 3, 2, 8, tzinfo=UTC), 3)


def test_no_other_hour_of_the_week_suits_more() -> None:
    zones = [
        "Pacific/Auckland",
        "America/Chicago",
        "Africa/Nairobi",
        "Asia/Kolkata",
        "Asia/Kolkata",
    ]
    picks = best_hours(zones, MONDAY)
    hours = [MONDAY + timedelta(hours=n) for n in range(7 * 24)]
    counts = sorted((sum(at_work(h, z) for z in zones) for h in hours), reverse=True)
    assert [p.suits for p in picks] == counts[:2]
    assert picks[0].starts_at.date() != picks[1].starts_at.date() or counts[1] > counts[2]


def test_half_hour_zones_count() -> None:
    # 04:00 UTC is 09:30 in Kolkata: inside the working day.
    assert at_work(datetime(2027, 3, 1, 4, tzinfo=UTC), "Asia/Kolkata")
    assert not at_work(datetime(2027, 3, 1, 3, tzinfo=UTC), "Asia/Kolkata")


def test_nobodyat_work_means_no_suggestion() -> None:
    assert best_hours([], MONDAY) == []


def test_a_weeks_suggestions_are_still_ahead() -> None:
    assert week_for(MONDAY.date(), NOW) == NOW + timedelta(hours=1)
    assert week_for(datetime(2027, 3, 15).date(), NOW) == datetime(2027, 3, 15, tzinfo=UTC)
    [first, _] = best_hours(["Europe/Berlin"], NOW + timedelta(minutes=30))
    assert first.starts_at == datetime(2027, 3, 1, 8, tzinfo=UTC)


def event(start: datetime, planned: datetime, status: str = "scheduled") -> LiveEvent:
    return LiveEvent(
        id=1,
        round_id=1,
        topic_id=1,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        place_kind="voice",
        channel_id=5,
        location=None,
        discord_event_id=9,
        status=status,  # type: ignore[arg-type]
        revision=1,
        created_by=2,
        created_at=planned,
        planned_at=planned,
    )


START = datetime(2027, 3, 10, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("planned", "now", "status", "windows"),
    [
        (START - timedelta(days=5), START - timedelta(days=5), "scheduled", ["day", "hour"]),
        (START - timedelta(hours=10), START - timedelta(hours=10), "scheduled", ["hour"]),
        (START - timedelta(minutes=30), START - timedelta(minutes=30), "scheduled", []),
        # Late (the bot was down at the day reminder's time): still due, until the next.
        (START - timedelta(days=5), START - timedelta(hours=5), "scheduled", ["day", "hour"]),
        (START - timedelta(days=5), START - timedelta(minutes=20), "scheduled", ["hour"]),
        (START - timedelta(days=5), START, "scheduled", []),
        (START - timedelta(days=5), START - timedelta(days=4), "cancelled", []),
        (START - timedelta(days=5), START - timedelta(days=4), "active", []),
    ],
)
def test_when_reminders_are_due(
    planned: datetime, now: datetime, status: str, windows: list[str]
) -> None:
    due = reminders(event(START, planned, status), now)
    assert [window for _, (window, _) in due] == windows
    leads = {"day": timedelta(days=1), "hour": timedelta(hours=1)}
    for at, (window, start) in due:
        assert (at, start) == (START - leads[window], START)
