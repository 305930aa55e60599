"""Telling the planners what changed, so each recomputes only what it must.

The planners keep, in memory, when each partnership or round is next due; that is derived
from the store at start-up. Whatever changes a date or a state (a topic moved, a round
started or ended, a space opened, time away recorded, contact after a long silence) says
so here, and the planners recompute those subjects at their next run. Saying too much is
harmless; saying too little would make a post late, so the writers say it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.store.effects import Effect, SetChannel, SetPartnershipState


@dataclass(frozen=True)
class RoundChanged:
    round_id: int


@dataclass(frozen=True)
class PartnershipChanged:
    partnership_id: int


@dataclass(frozen=True)
class MemberChanged:
    member_id: int


@dataclass(frozen=True)
class EventChanged:
    """A live discussion was scheduled, moved, cancelled, started or ended."""

    event_id: int


Change = RoundChanged | PartnershipChanged | MemberChanged | EventChanged
Listener = Callable[[Change], None]


class Changes:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def notify(self, change: Change) -> None:
        for listener in self._listeners:
            listener(change)

    def round(self, round_id: int) -> None:
        self.notify(RoundChanged(round_id))

    def partnership(self, partnership_id: int) -> None:
        self.notify(PartnershipChanged(partnership_id))

    def member(self, member_id: int) -> None:
        self.notify(MemberChanged(member_id))

    def event(self, event_id: int) -> None:
        self.notify(EventChanged(event_id))

    def applied(self, effects: Iterable[Effect]) -> None:
        """What finished work recorded: a space opened or a partnership's state moved."""
        for effect in effects:
            if isinstance(effect, SetChannel | SetPartnershipState):
                self.partnership(effect.partnership_id)
