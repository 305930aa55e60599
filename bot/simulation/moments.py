"""The simulation's timeline grouped by moment, as a coordinator would tell it.

A topic goes out at 09:00 in each pair's own time zone, so one topic reaches the whole world
over some 26 hours (UTC+14 to UTC-12): 19 lines that are one moment to a reader, "Topic 2
“A day in the life” posted to 19 spaces and its cohort thread". :func:`group` says which
events belong together; :func:`headline` says what a group reads as. Both are pure: events
in, values out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.posts._text import plural
from bot.simulation.recorder import TimelineEvent

# Long enough for a post due at one local hour to reach every zone on Earth, short of the
# fortnight between two topics or asks.
WAVE = timedelta(hours=27)
LISTED = 4  # a headline names this many of its events, then says how many more
ITEM_WIDTH = 80  # characters of one listed event

TOPIC_KINDS = ("topic_posted", "cohort_thread_opened")
_TOPIC = re.compile(r"^(Topic \d+): (.+)$")


@dataclass(frozen=True)
class Moment:
    """Events that read as one: ``at`` the first, ``until`` the last."""

    at: datetime
    until: datetime
    headline: str
    events: tuple[TimelineEvent, ...]


def group_key(event: TimelineEvent) -> str:
    """Events with the same key that fall within one :data:`WAVE` are one moment: a topic's
    posts with its cohort thread, otherwise the events of one kind."""
    if event.kind in TOPIC_KINDS:
        return f"topic:{event.detail}"
    return event.kind


def group(events: Sequence[TimelineEvent], window: timedelta = WAVE) -> list[list[TimelineEvent]]:
    """The events in groups, each in time order, the groups in the order of their first
    event. An event joins the latest group of its key when it falls within ``window`` of
    that group's first event, else it starts the next group of that key; events of other
    keys in between do not split a group."""
    groups: list[list[TimelineEvent]] = []
    latest: dict[str, list[TimelineEvent]] = {}
    for event in events:
        key = group_key(event)
        current = latest.get(key)
        if current is None or event.at - current[0].at > window:
            current = latest[key] = []
            groups.append(current)
        current.append(event)
    return groups


def moments(events: Sequence[TimelineEvent], spaces: Mapping[int, str]) -> list[Moment]:
    """The timeline as moments; ``spaces`` names each partnership's space."""
    return [
        Moment(batch[0].at, batch[-1].at, headline(batch, spaces), tuple(batch))
        for batch in group(events)
    ]


# What a group reads as -------------------------------------------------------------------

# Posts and steps that go to every space: "{spaces}" is the space's name for one, else a count.
_IN_SPACES = {
    "space_created": "{spaces} opened",
    "intro_posted": "Intros posted in {spaces}",
    "availability_asked": "Availability asked in {spaces}",
    "checkin_sent": "Check-in asked in {spaces}",
    "checkin_dm_sent": "Check-in sent to members of {spaces} who chose direct messages",
    "away_noted": "Time away noted in {spaces}",
    "welcome_back_posted": "Welcome back posted in {spaces}",
    "end_reminder_posted": "End-of-round reminder posted in {spaces}",
    "closing_posted": "Closing message posted in {spaces}",
    "space_archived": "{spaces} archived",
    "space_kept_open": "{spaces} kept open (both partners keep in touch)",
}


def _answer(detail: str) -> str:
    """``Name: not_working`` -> ``not_working``."""
    return detail.rpartition(": ")[2]


def _role(detail: str) -> str:
    """``quiet: both stop writing after day 14`` -> ``quiet``."""
    return detail.partition(":")[0]


# Answers and choices, tallied: what a group counts (one, many) and what of each is counted.
_TALLIED: dict[str, tuple[str, str, Callable[[str], str]]] = {
    "checkin_answered": ("check-in answer", "check-in answers", _answer),
    "end_choice": ("end-of-round choice", "end-of-round choices", _answer),
    "unmatched_answered": (
        "answer from an unmatched applicant",
        "answers from unmatched applicants",
        _answer,
    ),
    "scripted": ("partnership scripted", "partnerships scripted", _role),
}

# Few and each worth reading: named one by one (by their space for coordinator alerts, whose
# texts are long), as (one, many).
_LISTED = {
    "nudge_posted": ("nudge", "nudges"),
    "coordinator_alerted": ("coordinator alert", "coordinator alerts"),
    "event_reminder_sent": ("live discussion reminder", "live discussion reminders"),
    "unmatched": ("applicant without a partner", "applicants without a partner"),
    "unmatched_told": ("unmatched applicant told", "unmatched applicants told"),
    "dm_refused": ("direct message refused", "direct messages refused"),
    "case_opened": ("case opened", "cases opened"),
    "case_reopened": ("case reopened", "cases reopened"),
    "case_taken": ("case taken", "cases taken"),
    "case_handled": ("case handled", "cases handled"),
    "case_follow_up": ("case follow-up", "case follow-ups"),
}
_BY_SPACE = {"coordinator_alerted"}

# One event on its own: a label before its detail; kinds missing here read as their name.
_LABELS = {
    "round_created": "Round created",
    "applicants_imported": "Applications imported",
    "applications_announced": "Applications announced",
    "applications_closed": "Applications closed",
    "matched": "Matched",
    "round_started": "Round started",
    "round_closed": "Round closed",
    "gave_up": "Gave up",
    "event_planned": "Live discussion planned",
    "event_created": "Discord event created",
    "event_scheduled": "Live discussion announced",
    "event_moved": "Live discussion moved",
    "event_cancelled": "Live discussion cancelled",
    "event_thread_note": "Note in the topic's thread",
    "event_reminder_sent": "Live discussion reminder",
    "nudge_posted": "Nudge",
    "coordinator_alerted": "Coordinator alert",
    "dm_refused": "Direct message refused",
    "unmatched_told": "Unmatched applicant told",
    "case_follow_up": "Case follow-up",
    "event_started": "Live discussion started",
    "event_ended": "Live discussion ended",
    "desk_welcomed": "Desk welcomed",
    "desk_consented": "Desk feature agreed",
    "desk_featured": "Desk featured",
}
# Details that say it all without a label.
_OWN_WORDS = {"history_loaded", "event_interest", "desk_shared", "digest_posted"}


def headline(events: Sequence[TimelineEvent], spaces: Mapping[int, str]) -> str:
    """What a group of events (one :func:`group`) reads as, in one line."""
    first = events[0]
    kind = first.kind
    if kind in TOPIC_KINDS:
        return _topic(events, spaces)
    if kind in _IN_SPACES:
        return _IN_SPACES[kind].format(spaces=_spaces(events, spaces))
    if kind in _TALLIED:
        one, many, part = _TALLIED[kind]
        counts = Counter(part(event.detail).replace("_", " ") for event in events)
        tally = ", ".join(f"{count} {what}" for what, count in counts.most_common())
        return f"{_counted(len(events), one, many)}: {tally}"
    if len(events) == 1:
        return _alone(first, spaces)
    if kind in _LISTED:
        one, many = _LISTED[kind]
        if kind in _BY_SPACE:
            names = [_space(event, spaces) for event in events]
        else:
            names = [_plain(event.detail) for event in events]
        return f"{_counted(len(events), one, many)}: {_some(names)}"
    label = _LABELS.get(kind, _name_of(kind))
    return f"{len(events)} × {label}: {_some([_plain(e.detail) for e in events])}"


def _topic(events: Sequence[TimelineEvent], spaces: Mapping[int, str]) -> str:
    found = _TOPIC.match(events[0].detail)
    topic = f"{found[1]} “{found[2]}”" if found else events[0].detail
    posts = [event for event in events if event.kind == "topic_posted"]
    thread = any(event.kind == "cohort_thread_opened" for event in events)
    if not posts:
        return f"{topic}: cohort thread opened"
    where = _spaces(posts, spaces)
    return (
        f"{topic} posted to {where} and its cohort thread"
        if thread
        else f"{topic} posted to {where}"
    )


def _alone(event: TimelineEvent, spaces: Mapping[int, str]) -> str:
    detail = _plain(event.detail)
    if event.kind in _OWN_WORDS:
        return detail
    label = _LABELS.get(event.kind, _name_of(event.kind))
    where = f" in {_space(event, spaces)}" if event.partnership is not None else ""
    return f"{label}{where}: {detail}"


def _spaces(events: Sequence[TimelineEvent], spaces: Mapping[int, str]) -> str:
    """The one space by name, else how many."""
    ids = {event.partnership for event in events if event.partnership is not None}
    if len(ids) == 1:
        return spaces.get(next(iter(ids)), "a space")
    return plural(len(ids), "space")


def _space(event: TimelineEvent, spaces: Mapping[int, str]) -> str:
    if event.partnership is None:
        return "the program"
    return spaces.get(event.partnership, f"partnership {event.partnership}")


def _counted(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _some(items: Sequence[str]) -> str:
    shown = [item if len(item) <= ITEM_WIDTH else item[: ITEM_WIDTH - 1] + "…" for item in items]
    if len(shown) <= LISTED:
        return "; ".join(shown)
    return "; ".join(shown[:LISTED]) + f"; and {len(shown) - LISTED} more"


def _plain(detail: str) -> str:
    """A detail without Discord's bold markers."""
    return detail.replace("**", "")


def _name_of(kind: str) -> str:
    return kind.replace("_", " ").capitalize()
