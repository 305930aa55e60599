from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.away import (
    MAX_NOTE_LENGTH,
    AwayRejected,
    DateParseError,
    format_local_date,
    parse_local_date,
    validate_away,
)
from bot.domain.calendar import MONTH_NAMES
from bot.domain.contact import AwayPeriod

TODAY = date(2026, 11, 23)
XMAS_EVE = date(2026, 12, 24)


# ---------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-24",
        "24 Dec 2026",
        "24 December 2026",
        "Dec 24 2026",
        "December 24, 2026",
        "24/12/2026",
        "24.12.2026",
        "24-12-2026",
        "24/12/26",
        "  24   DEC   2026 ",
        "24th December 2026",
        "24th of December 2026",
        "Dec. 24, 2026",
        "24-Dec-2026",
        "24 Dec, 2026",
        "24 dece 2026",
        "24 Dec",
        "Dec 24",
        "24/12",
        "24.12.",
    ],
)
def test_accepted_formats(text: str) -> None:
    assert parse_local_date(text, TODAY) == XMAS_EVE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", TODAY),
        ("Today", TODAY),
        ("tomorrow", date(2026, 11, 24)),
        ("23 Nov", TODAY),  # on today counts
        ("22 Nov", date(2027, 11, 22)),  # already past this year
        ("5 Jan", date(2027, 1, 5)),
        ("29 Feb", date(2028, 2, 29)),  # waits for a leap year
        ("1/3", date(2027, 3, 1)),  # day first
        ("3 Sept", date(2027, 9, 3)),
        ("2027-02-28", date(2027, 2, 28)),
    ],
)
def test_relative_and_year_less_dates(text: str, expected: date) -> None:
    assert parse_local_date(text, TODAY) == expected


def test_year_less_date_relative_to_reference() -> None:
    assert parse_local_date("5 Jan", TODAY, reference=date(2027, 2, 1)) == date(2028, 1, 5)
    assert parse_local_date("tomorrow", TODAY, reference=date(2027, 2, 1)) == date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "couldn't read"),
        ("next friday", "couldn't read"),
        ("Decembuary 3", "couldn't read"),
        ("24 12 2026", "couldn't read"),
        ("31/04/2027", "April 2027 has 30 days"),
        ("29/02/2027", "February 2027 has 28 days"),
        ("12/24/2026", "day first"),  # US order
        ("30 Feb", "February has at most 29 days"),
        ("32 Dec 2026", "December 2026 has 31 days"),
        ("2026-13-01", "no month 13"),
    ],
)
def test_unreadable_dates_get_friendly_help(text: str, fragment: str) -> None:
    with pytest.raises(DateParseError) as info:
        parse_local_date(text, TODAY)
    assert fragment in info.value.message


def test_parse_error_lists_the_formats_and_says_day_first() -> None:
    with pytest.raises(DateParseError) as info:
        parse_local_date("soon", TODAY)
    message = info.value.message
    for example in ("2026-12-24", "24 Dec 2026", "December 24, 2026", "24/12/2026", "today"):
        assert example in message
    assert "day first" in message


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_every_written_form_round_trips(d: date) -> None:
    month = MONTH_NAMES[d.month - 1]
    forms = [
        d.isoformat(),
        format_local_date(d),
        f"{d.day} {month[:3]} {d.year}",
        f"{month} {d.day}, {d.year}",
        f"{month[:3]} {d.day} {d.year}",
        f"{d.day:02d}/{d.month:02d}/{d.year}",
        f"{d.day}.{d.month}.{d.year}",
    ]
    for form in forms:
        assert parse_local_date(form, TODAY) == d, form


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_year_less_is_next_occurrence_on_or_after_today(today: date) -> None:
    got = parse_local_date("1 March", today)
    assert got >= today
    assert (got.month, got.day) == (3, 1)
    assert (got - today).days < 366


@pytest.mark.parametrize(
    ("d", "text"), [(date(2027, 3, 3), "3 March 2027"), (date(2026, 1, 10), "10 January 2026")]
)
def test_format_local_date(d: date, text: str) -> None:
    assert format_local_date(d) == text


# ------------------------------------------------------------------- validation

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
ROUND = {"round_start": date(2026, 11, 1), "round_end": date(2027, 3, 1)}  # 120 days


def away(start: str, end: str, tz: str = "Europe/London", now: datetime = NOW, **kw: object):
    return validate_away(start, end, timezone=tz, now=now, **ROUND, **kw)  # type: ignore[arg-type]


def rejected(start: str, end: str, tz: str = "Europe/London", now: datetime = NOW, **kw: object):
    with pytest.raises(AwayRejected) as info:
        away(start, end, tz, now, **kw)
    return info.value.message


@pytest.mark.parametrize(
    ("tz", "start", "end", "start_at", "end_at"),
    [
        # London in winter: local midnight is 00:00 UTC; END 24:00 is the next midnight.
        (
            "Europe/London",
            "24 Dec 2026",
            "2 Jan 2027",
            datetime(2026, 12, 24, tzinfo=UTC),
            datetime(2027, 1, 3, tzinfo=UTC),
        ),
        # Sydney in summer (+11): local midnight is 13:00 UTC the day before.
        (
            "Australia/Sydney",
            "24/12/2026",
            "24/12/2026",
            datetime(2026, 12, 23, 13, tzinfo=UTC),
            datetime(2026, 12, 24, 13, tzinfo=UTC),
        ),
        # Los Angeles across the spring-forward (14 Mar 2027): PST start, PDT end.
        (
            "America/Los_Angeles",
            "2027-02-26",
            "2027-03-14",
            datetime(2027, 2, 26, 8, tzinfo=UTC),
            datetime(2027, 3, 15, 7, tzinfo=UTC),
        ),
    ],
)
def test_away_covers_local_start_midnight_to_end_midnight(
    tz: str, start: str, end: str, start_at: datetime, end_at: datetime
) -> None:
    period = away(start, end, tz)
    assert period == AwayPeriod(start=start_at, end=end_at, note=None)
    assert period.start.tzinfo is UTC and period.end.tzinfo is UTC


def test_year_less_end_follows_the_start_across_new_year() -> None:
    period = away("24 Dec", "5 Jan")
    assert period.end == datetime(2027, 1, 6, tzinfo=UTC)


def test_today_is_the_members_local_today() -> None:
    # 20:00 UTC on 23 Nov is already 24 Nov in Sydney (+11).
    now = datetime(2026, 11, 23, 20, tzinfo=UTC)
    period = away("today", "tomorrow", "Australia/Sydney", now)
    assert period.start == datetime(2026, 11, 23, 13, tzinfo=UTC)  # 24 Nov 00:00 AEDT
    assert period.end == datetime(2026, 11, 25, 13, tzinfo=UTC)  # 26 Nov 00:00 AEDT


def test_started_in_the_past_but_still_running_is_accepted_as_typed() -> None:
    period = away("20 Nov 2026", "25 Nov 2026")
    assert period.start == datetime(2026, 11, 20, tzinfo=UTC)


def test_note_is_trimmed_and_empty_note_dropped() -> None:
    assert away("24 Dec", "26 Dec", note="  family   visit ").note == "family visit"
    assert away("24 Dec", "26 Dec", note="   ").note is None
    assert away("24 Dec", "26 Dec", note="x" * MAX_NOTE_LENGTH).note == "x" * MAX_NOTE_LENGTH
    assert "200 or fewer" in rejected("24 Dec", "26 Dec", note="x" * (MAX_NOTE_LENGTH + 1))


@pytest.mark.parametrize(
    ("start", "end", "fragment"),
    [
        ("5 Jan 2027", "24 Dec 2026", "The end date (24 December 2026) is before the start"),
        ("1 Nov 2026", "5 Nov 2026", "1 November 2026 – 5 November 2026 is already in the past"),
        ("22 Nov 2026", "22 Nov 2026", "22 November 2026 is already in the past"),
        ("23 Nov 2026", "23 Mar 2027", "121 days away, which is longer than a whole round (120"),
        ("2 Mar 2027", "3 Mar 2027", "after this round ends on 1 March 2027"),
        ("soon", "24 Dec", 'Start date: Sorry, I couldn\'t read "soon"'),
        ("24 Dec", "12/31/2026", 'End date: Sorry, "12/31/2026" has no month 31'),
    ],
)
def test_refusals_are_polite_and_specific(start: str, end: str, fragment: str) -> None:
    assert fragment in rejected(start, end)


def test_boundaries_that_are_accepted() -> None:
    away("23 Nov 2026", "23 Nov 2026")  # today is not past until local midnight
    away("23 Nov 2026", "22 Mar 2027")  # exactly the round's length (120 days)
    away("1 Mar 2027", "1 Mar 2027")  # starts on the round's last day
    away("28 Feb 2027", "30 Apr 2027")  # ends after the round: fine


def test_past_boundary_is_local_midnight() -> None:
    # In Los Angeles, 22 Nov ends at 08:00 UTC on 23 Nov.
    assert away("22 Nov 2026", "22 Nov 2026", "America/Los_Angeles", NOW.replace(hour=7))
    assert "already in the past" in rejected(
        "22 Nov 2026", "22 Nov 2026", "America/Los_Angeles", NOW.replace(hour=8)
    )


def test_unknown_time_zone_is_refused_politely() -> None:
    assert "isn't one I recognise" in rejected("24 Dec", "26 Dec", "Mars/Olympus_Mons")


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        validate_away("24 Dec", "26 Dec", timezone="UTC", now=datetime(2026, 11, 23), **ROUND)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("9999-12-30", "9999-12-31"),
        ("0001-01-01", "0001-01-02"),
        ("1 Jan 0001", "31 Dec 9999"),
        ("2027-03-10", "9999-12-31"),
        ("31/12/9999", "31/12/9999"),
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_refused_politely(start: str, end: str) -> None:
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"):
        with pytest.raises(AwayRejected):
            validate_away(
                start,
                end,
                timezone=zone,
                now=datetime(2027, 3, 5, 12, tzinfo=UTC),
                round_start=date(2027, 3, 1),
                round_end=date(2027, 7, 1),
            )
