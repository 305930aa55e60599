"""When each subject (a partnership, a round) next needs a planner's attention.

A planner derives its agenda from the store (at start-up, and for whatever changed), then
each run pops only what has fallen due: the work of a wake-up grows with what is due, not
with the size of the round, and the earliest entry is when the planner next wants waking.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Hashable, Iterable
from datetime import datetime
from typing import Generic, TypeVar

S = TypeVar("S", bound=Hashable)
T = TypeVar("T")


class Agenda(Generic[S, T]):
    """Items by due instant, per subject; replacing a subject's items drops its old ones."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, S, int, T]] = []
        self._versions: dict[S, int] = {}
        self._order = itertools.count()

    def replace(self, subject: S, items: Iterable[tuple[datetime, T]]) -> None:
        """From now on ``subject`` has exactly these items."""
        version = self._versions.get(subject, 0) + 1
        self._versions[subject] = version
        for at, item in items:
            heapq.heappush(self._heap, (at, next(self._order), subject, version, item))

    def add(self, subject: S, at: datetime, item: T) -> None:
        """One more item for ``subject``, keeping the ones it has."""
        version = self._versions.setdefault(subject, 1)
        heapq.heappush(self._heap, (at, next(self._order), subject, version, item))

    def forget(self, subject: S) -> None:
        self.replace(subject, ())

    def pop_due(self, now: datetime) -> list[tuple[S, T]]:
        """Every current item due by ``now``, soonest first, removed from the agenda."""
        due = []
        while self._heap and self._heap[0][0] <= now:
            _, _, subject, version, item = heapq.heappop(self._heap)
            if self._versions.get(subject) == version:
                due.append((subject, item))
        return due

    def next_at(self) -> datetime | None:
        """When the soonest current item falls due; None when there is none."""
        while self._heap:
            at, _, subject, version, _ = self._heap[0]
            if self._versions.get(subject) == version:
                return at
            heapq.heappop(self._heap)
        return None
