"""What the simulated cohort does beyond the partnerships: a coordinator schedules a live
discussion for each of the first topics (at the hour the program suggests), some members
press *Interested*, the host starts each event and it ends; members share their desks and
some agree to have them featured. Deterministic for a seed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

EVENT_TOPICS = 3  # live discussions for the first topics
SCHEDULED_DAYS_BEFORE = 4  # the coordinator plans each a few days before its topic
INTERESTED_SHARE = 0.3
DESKS = 6
CONSENTING = 4
CAPTIONS = (
    "A busy service desk, and the best view of the reading room",
    "My kitchen table on working-from-home days",
    "The returns trolley is my second desk",
    "Plants, a card catalogue and too much tea",
)


@dataclass(frozen=True)
class ScheduleEvent:
    at: datetime
    topic_position: int


@dataclass(frozen=True)
class MarkInterested:
    at: datetime
    topic_position: int
    member_ids: tuple[int, ...]


@dataclass(frozen=True)
class EventHappens:
    """The host presses Start, or Discord ends the event when the last person leaves."""

    at: datetime
    topic_position: int
    state: Literal["active", "completed"]


@dataclass(frozen=True)
class PostDesk:
    at: datetime
    member_id: int


@dataclass(frozen=True)
class ConsentToFeature:
    at: datetime
    member_id: int
    caption: str


CommunityAction = ScheduleEvent | MarkInterested | EventHappens | PostDesk | ConsentToFeature


class CommunityScript:
    def __init__(self, seed: int, members: Sequence[int]) -> None:
        self._rng = random.Random(seed * 7919 + 14)
        self._members = sorted(members)

    def initial_actions(self, now: datetime, topic_days: Sequence[date]) -> list[CommunityAction]:
        actions: list[CommunityAction] = []
        for position, day in enumerate(topic_days[:EVENT_TOPICS], start=1):
            plan_on = day - timedelta(days=SCHEDULED_DAYS_BEFORE)
            at = max(now, datetime.combine(plan_on, time(10), tzinfo=UTC))
            actions.append(ScheduleEvent(at, position))
        sharing = self._rng.sample(self._members, min(DESKS, len(self._members)))
        for number, member in enumerate(sharing):
            posted = now + timedelta(days=1 + number * 2, hours=self._rng.randint(1, 10))
            actions.append(PostDesk(posted, member))
            if number < CONSENTING:
                caption = CAPTIONS[number % len(CAPTIONS)]
                actions.append(ConsentToFeature(posted + timedelta(hours=3), member, caption))
        return actions

    def after_scheduling(
        self, position: int, scheduled_at: datetime, starts_at: datetime, ends_at: datetime
    ) -> list[CommunityAction]:
        """Members press Interested in the hours after the announcement; the event happens."""
        count = max(1, round(len(self._members) * INTERESTED_SHARE))
        interested = tuple(sorted(self._rng.sample(self._members, count)))
        return [
            MarkInterested(scheduled_at + timedelta(hours=2), position, interested),
            EventHappens(starts_at, position, "active"),
            EventHappens(ends_at, position, "completed"),
        ]
