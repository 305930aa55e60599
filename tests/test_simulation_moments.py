"""The simulation's timeline grouped by moment: which events are one, and what it reads as."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.simulation.moments import WAVE, group, headline, moments
from bot.simulation.recorder import TimelineEvent

T0 = datetime(2027, 3, 14, 20, 0, tzinfo=UTC)
SPACES = {1: "ada-and-bo", 2: "cy-and-di", 3: "ed-and-fay"}


def event(
    hours: float, kind: str, partnership: int | None = None, detail: str = ""
) -> TimelineEvent:
    return TimelineEvent(T0 + timedelta(hours=hours), kind, partnership, detail)


def thread(hours: float, title: str = "Topic 2: A day in the life") -> TimelineEvent:
    return event(hours, "cohort_thread_opened", None, title)


def topic(hours: float, pid: int, title: str = "Topic 2: A day in the life") -> TimelineEvent:
    return event(hours, "topic_posted", pid, title)


@pytest.mark.parametrize(
    ("events", "sizes"),
    [
        # A topic reaches the world over a day: its thread and every space are one moment.
        ([thread(0), topic(0, 1), topic(12, 2), topic(26, 3)], [4]),
        # The next topic a fortnight later is another.
        ([topic(0, 1), topic(14 * 24, 1, "Topic 3: Learning and growing")], [1, 1]),
        # The same kind beyond one wave starts a new moment.
        ([event(0, "availability_asked", 1), event(28, "availability_asked", 2)], [1, 1]),
        # Other kinds in between do not split a moment; they are moments of their own.
        (
            [topic(0, 1), event(1, "digest_posted"), topic(5, 2), event(6, "digest_posted")],
            [2, 2],
        ),
        # Two topics at once stay apart: a topic is its title.
        ([topic(0, 1), topic(0, 1, "Topic 3: Learning and growing")], [1, 1]),
    ],
)
def test_events_group_into_moments(events: list[TimelineEvent], sizes: list[int]) -> None:
    groups = group(events)
    assert [len(g) for g in groups] == sizes
    assert sorted(events.index(e) for g in groups for e in g) == list(range(len(events)))
    assert [g[0].at for g in groups] == sorted(g[0].at for g in groups)


def test_a_wave_is_measured_from_its_first_event() -> None:
    wave = [event(hours, "checkin_sent", 1 + n % 3) for n, hours in enumerate((0, 20, 27))]
    late = event(WAVE.total_seconds() / 3600 + 1, "checkin_sent", 1)
    assert [len(g) for g in group([*wave, late])] == [3, 1]


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        (
            [thread(0), topic(0, 1), topic(3, 2), topic(9, 3)],
            "Topic 2 “A day in the life” posted to 3 spaces and its cohort thread",
        ),
        ([topic(0, 2)], "Topic 2 “A day in the life” posted to cy-and-di"),
        ([thread(0)], "Topic 2 “A day in the life”: cohort thread opened"),
        (
            [event(0, "checkin_sent", pid) for pid in (1, 2, 3)],
            "Check-in asked in 3 spaces",
        ),
        # One space is named, never "1 spaces".
        (
            [event(0, "checkin_sent", 1), event(1, "checkin_sent", 1)],
            "Check-in asked in ada-and-bo",
        ),
        ([event(0, "space_kept_open", 3)], "ed-and-fay kept open (both partners keep in touch)"),
        (
            [
                event(0, "checkin_answered", 1, "Ada: great"),
                event(1, "checkin_answered", 2, "Cy: not_working"),
                event(2, "checkin_answered", 1, "Bo: great"),
            ],
            "3 check-in answers: 2 great, 1 not working",
        ),
        ([event(0, "checkin_answered", 1, "Ada: ok")], "1 check-in answer: 1 ok"),
        (
            [
                event(0, "nudge_posted", 1, "quiet nudge to Ada, Bo after 14 days"),
                event(9, "nudge_posted", 2, "one_sided nudge to Di after 14 days"),
            ],
            "2 nudges: quiet nudge to Ada, Bo after 14 days; one_sided nudge to Di after 14 days",
        ),
        (
            [event(0, "coordinator_alerted", pid, "**Long text** " * 20) for pid in (1, 2)],
            "2 coordinator alerts: ada-and-bo; cy-and-di",
        ),
        (
            [event(0, "nudge_posted", 1, "quiet nudge to Ada after 14 days")],
            "Nudge in ada-and-bo: quiet nudge to Ada after 14 days",
        ),
        (
            [event(0, "case_opened", None, f"case {n}: x") for n in range(1, 7)],
            "6 cases opened: case 1: x; case 2: x; case 3: x; case 4: x; and 2 more",
        ),
        (
            [event(0, "round_created", None, "2027A: 2027-03-01 to 2027-07-01")],
            "Round created: 2027A: 2027-03-01 to 2027-07-01",
        ),
        ([event(0, "digest_posted", None, "Weekly digest")], "Weekly digest"),
        # A kind nobody gave words yet still reads.
        ([event(0, "brand_new_post", 2, "**Hello**")], "Brand new post in cy-and-di: Hello"),
        (
            [event(0, "brand_new_post", None, "a"), event(1, "brand_new_post", None, "b")],
            "2 × Brand new post: a; b",
        ),
    ],
)
def test_each_moment_reads_as_one_line(events: list[TimelineEvent], expected: str) -> None:
    assert headline(events, SPACES) == expected


def test_moments_keep_their_events_and_span() -> None:
    [wave] = moments([thread(0), topic(0, 1), topic(18, 2)], SPACES)
    assert (wave.at, wave.until, len(wave.events)) == (T0, T0 + timedelta(hours=18), 3)
