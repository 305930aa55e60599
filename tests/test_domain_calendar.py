from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.domain.calendar import (
    CalendarEntry,
    RoundCalendar,
    RoundSchedule,
    Series,
    add_months,
    availability_dates,
    checkin_dates,
    end_reminder_date,
    format_local_date,
    post_instant,
    round_end,
    topic_dates,
)

DEFAULT = RoundSchedule()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------- settings


def test_defaults_match_program_rules() -> None:
    assert DEFAULT.model_dump() == {
        "round_weeks": None,
        "topic_every_days": 14,
        "end_reminder_days_before": 30,
        "checkin_every_days": 28,
        "availability_every_days": 14,
        "availability_offset_days": 7,
        "post_hour": 9,
    }


def test_settings_are_frozen_and_validated() -> None:
    with pytest.raises(ValidationError):
        DEFAULT.post_hour = 10  # type: ignore[misc]
    for bad in ({"post_hour": 24}, {"topic_every_days": 0}, {"round_weeks": 0}, {"bogus": 1}):
        with pytest.raises(ValidationError):
            RoundSchedule(**bad)


def test_settings_fields_are_described_for_the_config_schema() -> None:
    schema = RoundSchedule.model_json_schema()
    assert all("description" in field for field in schema["properties"].values())


# --------------------------------------------------------------------- round end


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2026, 3, 1), date(2026, 7, 1)),
        (date(2026, 10, 31), date(2027, 2, 28)),  # clamped, non-leap
        (date(2027, 10, 31), date(2028, 2, 29)),  # clamped, leap
        (date(2026, 10, 30), date(2027, 2, 28)),
        (date(2026, 9, 30), date(2027, 1, 30)),
        (date(2026, 11, 15), date(2027, 3, 15)),  # crosses the year
        (date(2026, 8, 31), date(2026, 12, 31)),
        (date(2027, 5, 31), date(2027, 9, 30)),  # 31 -> 30
    ],
)
def test_round_end_adds_four_calendar_months_with_clamping(start: date, end: date) -> None:
    assert round_end(start, DEFAULT) == end


def test_round_end_in_weeks() -> None:
    assert round_end(date(2026, 3, 2), RoundSchedule(round_weeks=16)) == date(2026, 6, 22)


@pytest.mark.parametrize(
    ("d", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 1, 31), 12, date(2025, 1, 31)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 12, 15), 1, date(2025, 1, 15)),
    ],
)
def test_add_months(d: date, months: int, expected: date) -> None:
    assert add_months(d, months) == expected


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)))
def test_round_end_is_about_four_months_and_never_overshoots_the_month(start: date) -> None:
    end = round_end(start, DEFAULT)
    assert 119 <= (end - start).days <= 123
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == 4
    assert end.day <= start.day


# ---------------------------------------------------------------------- series

START = date(2026, 3, 1)
END = round_end(START, DEFAULT)  # 2026-07-01, 122 days


def days(ds: list[date]) -> list[int]:
    return [(d - START).days for d in ds]


def test_topic_days_every_fortnight_strictly_before_end() -> None:
    assert days(topic_dates(START, END, DEFAULT)) == [0, 14, 28, 42, 56, 70, 84, 98, 112]


def test_topic_on_the_end_date_is_dropped() -> None:
    start = date(2026, 1, 1)
    end = start + timedelta(days=28)
    assert topic_dates(start, end, DEFAULT) == [start, start + timedelta(days=14)]


def test_end_reminder_is_thirty_days_before_end() -> None:
    assert end_reminder_date(START, END, DEFAULT) == date(2026, 6, 1)


def test_end_reminder_never_before_start() -> None:
    short = RoundSchedule(round_weeks=2)
    start = date(2026, 1, 1)
    assert end_reminder_date(start, round_end(start, short), short) == start


def test_checkins_every_28_days_from_day_28() -> None:
    assert days(checkin_dates(START, END, DEFAULT)) == [28, 56, 84, 112]


def test_availability_offset_from_topics() -> None:
    got = days(availability_dates(START, END, DEFAULT))
    assert got == [7, 21, 35, 49, 63, 77, 91, 105, 119]
    assert not set(got) & set(days(topic_dates(START, END, DEFAULT)))


def test_availability_skips_topic_days_and_end_reminder_day() -> None:
    # Offset 0 puts every ask on a topic day; all are skipped.
    assert availability_dates(START, END, RoundSchedule(availability_offset_days=0)) == []
    # With a 30-day reminder on day 92 and asks every 23 days from day 0 (0, 23, 46, 69,
    # 92, 115): day 0 collides with a topic and day 92 with the reminder.
    settings = RoundSchedule(availability_offset_days=0, availability_every_days=23)
    assert days(availability_dates(START, END, settings)) == [23, 46, 69, 115]


# ------------------------------------------------------------------ post_instant


@pytest.mark.parametrize(
    ("day", "zones", "expected"),
    [
        # Europe/London winter (GMT) vs summer (BST); DST starts 29 Mar 2026.
        (date(2026, 3, 28), ["Europe/London"], utc(2026, 3, 28, 9)),
        (date(2026, 3, 29), ["Europe/London"], utc(2026, 3, 29, 8)),
        (date(2026, 10, 25), ["Europe/London"], utc(2026, 10, 25, 9)),  # back to GMT
        # Australia/Sydney: AEDT (+11) until 5 Apr 2026, AEST (+10) after, AEDT from 4 Oct.
        (date(2026, 4, 4), ["Australia/Sydney"], utc(2026, 4, 3, 22)),
        (date(2026, 4, 5), ["Australia/Sydney"], utc(2026, 4, 4, 23)),
        (date(2026, 10, 4), ["Australia/Sydney"], utc(2026, 10, 3, 22)),
        # America/Los_Angeles: PST (-8) until 8 Mar 2026, PDT (-7) after.
        (date(2026, 3, 7), ["America/Los_Angeles"], utc(2026, 3, 7, 17)),
        (date(2026, 3, 8), ["America/Los_Angeles"], utc(2026, 3, 8, 16)),
        (date(2026, 11, 1), ["America/Los_Angeles"], utc(2026, 11, 1, 17)),
        # Mixed pairs: the zone that reaches 09:00 first wins.
        (date(2026, 6, 1), ["Europe/London", "Australia/Sydney"], utc(2026, 5, 31, 23)),
        (date(2026, 6, 1), ["America/Los_Angeles", "Europe/London"], utc(2026, 6, 1, 8)),
        (date(2026, 1, 15), ["Asia/Kolkata", "Europe/London"], utc(2026, 1, 15, 3, 30)),
        # Same offset, order and duplicates irrelevant.
        (date(2026, 6, 1), ["Europe/London", "Europe/London"], utc(2026, 6, 1, 8)),
        (date(2026, 6, 1), ["UTC"], utc(2026, 6, 1, 9)),
    ],
)
def test_post_instant_earliest_local_hour(day: date, zones: list[str], expected: datetime) -> None:
    got = post_instant(day, 9, zones)
    assert got == expected
    assert got.tzinfo is UTC
    assert post_instant(day, 9, list(reversed(zones))) == expected


def test_post_instant_hour_in_dst_gap_maps_to_the_instant_after_the_jump() -> None:
    # 01:00 does not exist in London on 29 Mar 2026 (01:00 GMT -> 02:00 BST); fold=0 reads it
    # as GMT, i.e. 01:00 UTC, the instant the clocks show 02:00 BST.
    got = post_instant(date(2026, 3, 29), 1, ["Europe/London"])
    assert got == utc(2026, 3, 29, 1)
    assert got.astimezone(ZoneInfo("Europe/London")).hour == 2


def test_post_instant_ambiguous_hour_is_first_occurrence() -> None:
    # 01:00 happens twice in London on 25 Oct 2026; the first is 00:00 UTC.
    assert post_instant(date(2026, 10, 25), 1, ["Europe/London"]) == utc(2026, 10, 25, 0)


def test_post_instant_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        post_instant(date(2026, 1, 1), 9, [])
    with pytest.raises(ValueError):
        post_instant(date(2026, 1, 1), 24, ["UTC"])


ZONES = ["Europe/London", "Australia/Sydney", "America/Los_Angeles", "Asia/Tokyo", "UTC"]


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    st.lists(st.sampled_from(ZONES), min_size=1, max_size=3),
    st.integers(min_value=3, max_value=23),
)
def test_post_instant_is_someones_local_hour_and_nobody_is_earlier(
    day: date, zones: list[str], hour: int
) -> None:
    got = post_instant(day, hour, zones)
    locals_ = [got.astimezone(ZoneInfo(z)) for z in zones]
    assert any(t.date() == day and t.hour == hour and t.minute == 0 for t in locals_)
    for zone in zones:
        assert got <= post_instant(day, hour, [zone])


# -------------------------------------------------------------------- timeline


def calendar_of(start: date, topics: int | None = None) -> RoundCalendar:
    """A round's calendar with its topics on the cadence's days (the first ``topics``)."""
    end = round_end(start, DEFAULT)
    days = topic_dates(start, end, DEFAULT)[:topics]
    return RoundCalendar(start, end, DEFAULT, [(100 + n, day) for n, day in enumerate(days)])


def test_calendar_of_a_default_round() -> None:
    entries = calendar_of(START).entries
    assert list(entries) == sorted(entries, key=lambda e: e.day)
    assert entries[0] == CalendarEntry(Series.TOPIC, 1, START, 100)
    assert entries[-1] == CalendarEntry(Series.CLOSING, 1, END)
    by_series: dict[Series, list[int]] = {}
    for entry in entries:
        by_series.setdefault(entry.series, []).append(entry.sequence)
    assert by_series[Series.TOPIC] == list(range(1, 10))
    assert by_series[Series.CHECKIN] == [1, 2, 3, 4]
    assert len(by_series[Series.AVAILABILITY]) == 9
    assert by_series[Series.END_REMINDER] == [1]


def test_calendar_same_day_order_topic_before_checkin() -> None:
    day28 = [e.series for e in calendar_of(START).entries if e.day == START + timedelta(days=28)]
    assert day28 == [Series.TOPIC, Series.CHECKIN]


def test_calendar_topics_come_from_the_round_not_the_cadence() -> None:
    calendar = calendar_of(START, 3)
    assert [e.topic_id for e in calendar.entries if e.series is Series.TOPIC] == [100, 101, 102]
    assert any(
        e.series is Series.AVAILABILITY and e.day > START + timedelta(days=42)
        for e in calendar.entries
    )
    assert [e for e in calendar_of(START, 0).entries if e.series is Series.TOPIC] == []


def test_due_times_are_the_pairs_earliest_local_hour_in_order() -> None:
    calendar = calendar_of(START)
    times = calendar.due_times(["Europe/London", "Australia/Sydney"])
    assert [at for at, _ in times] == sorted(at for at, _ in times)
    first_at, first = times[0]
    assert first.series is Series.TOPIC
    assert first_at == post_instant(START, 9, ["Australia/Sydney"])
    assert calendar.closes_at(["Europe/London"]) == times[-1][0] or any(
        e.series is Series.CLOSING for _, e in times
    )


def test_latest_names_the_newest_entry_of_a_series_that_is_due() -> None:
    calendar = calendar_of(START)
    zones = ["Europe/London"]
    asks = [(at, e) for at, e in calendar.due_times(zones) if e.series is Series.AVAILABILITY]
    (first_at, _), (second_at, _) = asks[0], asks[1]
    assert calendar.latest(Series.AVAILABILITY, zones, first_at - timedelta(seconds=1)) == 0
    assert calendar.latest(Series.AVAILABILITY, zones, first_at) == 1
    assert calendar.latest(Series.AVAILABILITY, zones, second_at) == 2


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)))
def test_calendar_stays_inside_the_round(start: date) -> None:
    end = round_end(start, DEFAULT)
    for entry in calendar_of(start).entries:
        assert start <= entry.day <= end
        assert (entry.day == end) == (entry.series is Series.CLOSING)


@pytest.mark.parametrize(
    ("d", "text"),
    [
        (date(2027, 3, 3), "3 March 2027"),
        (date(2026, 12, 24), "24 December 2026"),
        (date(2028, 2, 29), "29 February 2028"),
    ],
)
def test_format_local_date(d: date, text: str) -> None:
    assert format_local_date(d) == text
