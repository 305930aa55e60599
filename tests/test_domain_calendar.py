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
    last_posting_day,
    post_instant,
    round_end,
    topic_dates,
)
from bot.domain.settings import SettingProblems

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
        "availability_every_days": 28,
        "availability_offset_days": 14,
        "fold_within_days": 3,
        "applications_close_days_before": 7,
        "post_hour": 9,
    }


def test_settings_are_frozen_and_validated() -> None:
    with pytest.raises(ValidationError):
        DEFAULT.post_hour = 10  # type: ignore[misc]
    for bad in (
        {"post_hour": 24},
        {"topic_every_days": 0},
        {"round_weeks": 3},
        {"round_weeks": 53},
        {"end_reminder_days_before": 6},
        {"fold_within_days": 8},
        {"bogus": 1},
    ):
        with pytest.raises(ValidationError):
            RoundSchedule(**bad)


@pytest.mark.parametrize(
    ("settings", "key", "words"),
    [
        # A round too short for the reminder a month before its end.
        ({"round_weeks": 4}, "round_weeks", "allowed: 5 to 52"),
        ({"end_reminder_days_before": 200}, "end_reminder_days_before", "allowed: 7 to 119"),
        (
            {"round_weeks": 10, "end_reminder_days_before": 400},
            "end_reminder_days_before",
            "allowed: 7 to 69",
        ),
        ({"checkin_every_days": 400}, "checkin_every_days", "allowed: 1 to 113"),
        ({"round_weeks": 8, "checkin_every_days": 60}, "round_weeks", "allowed: 10 to 52"),
        ({"availability_offset_days": 115}, "availability_offset_days", "allowed: 0 to 113"),
        ({"topic_every_days": 200}, "topic_every_days", "allowed: 1 to 113"),
    ],
)
def test_settings_the_round_cannot_hold_are_refused_by_name_with_their_range(
    settings: dict[str, int], key: str, words: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        RoundSchedule(**settings)
    cause = caught.value.errors()[0]["ctx"]["error"]
    assert isinstance(cause, SettingProblems)
    [problem] = cause.problems
    assert problem.key == key and words in problem.problem
    assert problem.got == settings[key]


def test_the_shortest_round_holds_the_whole_schedule() -> None:
    assert DEFAULT.shortest_weeks() == 5  # the reminder 30 days before the end, after day 0
    assert RoundSchedule(round_weeks=5).shortest_round_days() == 35
    assert RoundSchedule(end_reminder_days_before=7, checkin_every_days=14).shortest_weeks() == 4


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
    start = date(2026, 1, 1)
    end = start + timedelta(days=20)
    assert end_reminder_date(start, end, DEFAULT) == start


def test_checkins_every_28_days_from_day_28() -> None:
    assert days(checkin_dates(START, END, DEFAULT)) == [28, 56, 84, 112]


def test_availability_every_four_weeks_between_the_check_ins() -> None:
    assert days(availability_dates(START, END, DEFAULT)) == [14, 42, 70, 98]


def test_nothing_periodic_in_the_last_week() -> None:
    # Asks every 3 days would run to day 120; the last week (days 116-121) stays quiet.
    settings = RoundSchedule(availability_offset_days=1, availability_every_days=3)
    assert days(availability_dates(START, END, settings))[-1] == 115
    assert last_posting_day(END) == START + timedelta(days=115)


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
    """Nine topics, every ask riding on one of them, the reminder and the close: eleven
    posts, each on a day of its own."""
    entries = calendar_of(START).entries
    assert [((e.day - START).days, e.series, e.carries) for e in entries] == [
        (0, Series.TOPIC, ()),
        (14, Series.TOPIC, ((Series.AVAILABILITY, 1),)),
        (28, Series.TOPIC, ((Series.CHECKIN, 1),)),
        (42, Series.TOPIC, ((Series.AVAILABILITY, 2),)),
        (56, Series.TOPIC, ((Series.CHECKIN, 2),)),
        (70, Series.TOPIC, ((Series.AVAILABILITY, 3),)),
        (84, Series.TOPIC, ((Series.CHECKIN, 3),)),
        (92, Series.END_REMINDER, ()),
        (98, Series.TOPIC, ((Series.AVAILABILITY, 4),)),
        (112, Series.TOPIC, ((Series.CHECKIN, 4),)),
        (122, Series.CLOSING, ()),
    ]
    assert entries[0] == CalendarEntry(Series.TOPIC, 1, START, 100)


def test_an_ask_near_a_topic_rides_on_it_and_one_far_from_any_goes_alone() -> None:
    # The old cadence: asks on days 7, 21, ... halfway between topics, check-ins on topic days.
    settings = RoundSchedule(availability_every_days=14, availability_offset_days=7)
    calendar = RoundCalendar(START, END, settings, [(1, START), (2, START + timedelta(28))])
    by_day = {(e.day - START).days: e for e in calendar.entries}
    assert by_day[28].carries == ((Series.CHECKIN, 1),)
    assert by_day[7].series is Series.AVAILABILITY  # seven days from either topic
    # Within three days: the ask on day 30 rides on the topic of day 28.
    near = RoundSchedule(availability_every_days=100, availability_offset_days=30)
    by_day = {
        (e.day - START).days: e
        for e in RoundCalendar(START, END, near, [(1, START), (2, START + timedelta(28))]).entries
    }
    assert by_day[28].carries == ((Series.CHECKIN, 1), (Series.AVAILABILITY, 1))
    assert 30 not in by_day


def test_one_post_a_day_an_ask_moves_to_the_next_free_day() -> None:
    # Without topics near, the check-in and the ask of day 28 cannot share it, nor the ask
    # of day 92 the reminder's.
    settings = RoundSchedule(availability_every_days=64, availability_offset_days=28)
    calendar = RoundCalendar(START, END, settings, [(1, START)])
    days_of = [(e.day - START).days for e in calendar.entries]
    assert len(days_of) == len(set(days_of))
    by_day = {(e.day - START).days: e.series for e in calendar.entries}
    assert by_day[28] is Series.CHECKIN and by_day[29] is Series.AVAILABILITY
    assert by_day[92] is Series.END_REMINDER and by_day[93] is Series.AVAILABILITY


def test_a_topic_moved_into_the_last_week_is_not_planned() -> None:
    calendar = RoundCalendar(START, END, DEFAULT, [(1, START), (2, END - timedelta(days=3))])
    assert [e.topic_id for e in calendar.entries if e.series is Series.TOPIC] == [1]


def test_quiet_windows_cover_each_posting_day_and_the_last_week() -> None:
    calendar = calendar_of(START)
    zones = ["Pacific/Kiritimati", "Pacific/Pago_Pago"]
    windows = calendar.quiet_windows(zones)
    assert len(windows) == len(calendar.entries)  # the close's own day is in the last week
    first_start, first_end = windows[0]
    # Midnight to midnight in the pair's easternmost zone (UTC+14).
    assert first_start == utc(2026, 2, 28, 10) and first_end - first_start == timedelta(days=1)
    last_start, last_end = windows[-1]
    assert last_start == utc(2026, 6, 24, 10)  # day 116 (25 June) begins in Kiritimati
    assert last_end == calendar.closes_at(zones)


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
    asks = [
        (at, e) for at, e in calendar.due_times(zones) if e.carried(Series.AVAILABILITY) is not None
    ]
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
