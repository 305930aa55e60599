"""What queued work records in the store, each in the same transaction as the work itself.

Queueing a nudge records the nudge; a space once created records its channel and queues
its intro; a close, once posted, queues the archiving. Writing these with the outbox row
they belong to means a crash between any two steps leaves either nothing done or all of
it, never "the channel exists but nobody knows".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol

import aiosqlite

from bot.store._rows import to_json
from bot.store.models import PartnershipState, subject_parts, utc_text


class Queueable(Protocol):
    """Work the outbox can hold (see :mod:`bot.posts`)."""

    @property
    def key(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def partnership_id(self) -> int | None: ...

    def stored(self) -> tuple[str, str]:
        """``(target, payload)`` as the outbox keeps them, as JSON."""
        ...


@dataclass(frozen=True)
class Scheduled:
    """Work to do at ``due_at``; ``recorded`` is written when it is queued."""

    work: Queueable
    due_at: datetime
    recorded: tuple[Effect, ...] = ()


@dataclass(frozen=True)
class SetChannel:
    partnership_id: int
    channel_id: int


@dataclass(frozen=True)
class SetPartnershipState:
    partnership_id: int
    state: PartnershipState


@dataclass(frozen=True)
class SetCohortThread:
    topic_id: int
    thread_id: int


@dataclass(frozen=True)
class RecordNudge:
    partnership_id: int
    kind: Literal["quiet", "one_sided", "escalation"]
    outbox_key: str


@dataclass(frozen=True)
class AskCheckins:
    """Members asked a check-in question: ``(partnership, member, sequence)``."""

    asks: tuple[tuple[int, int, int], ...]


@dataclass(frozen=True)
class Enqueue:
    items: tuple[Scheduled, ...]


@dataclass(frozen=True)
class SetDiscordEvent:
    """A live discussion's Discord scheduled event, once Discord has it."""

    event_id: int
    discord_event_id: int


@dataclass(frozen=True)
class FeatureDesk:
    """A desk post featured in the fortnight starting ``slot`` (recorded when queued, so the
    next fortnight never picks the same post or person)."""

    thread_id: int
    slot: date


@dataclass(frozen=True)
class RecordCaseEvent:
    """Something happened in the case of ``subject`` (opened for it when there is none):
    trouble reopens a handled case, a coordinator's own step does not. ``outbox_key`` is
    the follow-up that tells the case's thread; ``title`` names a person the store has no
    participant row for."""

    subject: str
    kind: str
    summary: str
    outbox_key: str
    actor_id: int | None = None
    member_id: int | None = None
    body: str | None = None
    reopens: bool = True
    title: str | None = None


@dataclass(frozen=True)
class SetCaseThread:
    subject: str
    thread_id: int


# The audit log's actor when no coordinator acted: a member for themselves, the command line.
NO_ACTOR = 0


@dataclass(frozen=True)
class Audit:
    """A coordinator's action, in the audit log with what it did."""

    actor_id: int
    action: str
    detail: dict[str, object]


Effect = (
    SetChannel
    | SetPartnershipState
    | SetCohortThread
    | RecordNudge
    | AskCheckins
    | Enqueue
    | SetDiscordEvent
    | FeatureDesk
    | RecordCaseEvent
    | SetCaseThread
    | Audit
)


async def insert_work(tx: aiosqlite.Connection, items: Sequence[Scheduled], now: datetime) -> int:
    """Queue work whose key is new, with what each records; returns how many were new.

    What an item records is written only when the item itself was new, so queueing the
    same nudge twice counts one nudge.
    """
    plain = [_row(item, now) for item in items if not item.recorded]
    before = tx.total_changes
    await tx.executemany(_INSERT, plain)
    queued = tx.total_changes - before
    for item in items:
        if item.recorded:
            cursor = await tx.execute(_INSERT, _row(item, now))
            if cursor.rowcount == 1:
                queued += 1
                await apply(tx, item.recorded, now)
    return queued


_INSERT = (
    "INSERT OR IGNORE INTO outbox (key, partnership_id, kind, target, payload, due_at, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _row(item: Scheduled, now: datetime) -> tuple[object, ...]:
    work = item.work
    target, payload = work.stored()
    return (
        work.key,
        work.partnership_id,
        work.kind,
        target,
        payload,
        utc_text(item.due_at),
        utc_text(now),
    )


async def apply(tx: aiosqlite.Connection, effects: Iterable[Effect], now: datetime) -> None:
    for effect in effects:
        match effect:
            case SetChannel(partnership_id=pid, channel_id=channel):
                await tx.execute(
                    "UPDATE partnerships SET channel_id = ? WHERE id = ?", (channel, pid)
                )
            case SetPartnershipState(partnership_id=pid, state=state):
                await tx.execute(
                    "UPDATE partnerships SET state = ?,"
                    " ended_at = CASE WHEN ? = 'ended' THEN COALESCE(ended_at, ?) ELSE ended_at END"
                    " WHERE id = ?",
                    (state, state, utc_text(now), pid),
                )
            case SetCohortThread(topic_id=topic, thread_id=thread):
                await tx.execute(
                    "UPDATE topics SET cohort_thread_id = ? WHERE id = ?", (thread, topic)
                )
            case RecordNudge(partnership_id=pid, kind=kind, outbox_key=key):
                await tx.execute(
                    "INSERT OR IGNORE INTO nudges (partnership_id, kind, at, outbox_key)"
                    " VALUES (?, ?, ?, ?)",
                    (pid, kind, utc_text(now), key),
                )
            case AskCheckins(asks=asks):
                await tx.executemany(
                    "INSERT OR IGNORE INTO checkins"
                    " (partnership_id, participant_id, sequence, asked_at) VALUES (?, ?, ?, ?)",
                    [(pid, member, sequence, utc_text(now)) for pid, member, sequence in asks],
                )
            case Enqueue(items=items):
                await insert_work(tx, items, now)
            case SetDiscordEvent(event_id=event, discord_event_id=discord_event):
                await tx.execute(
                    "UPDATE live_events SET discord_event_id = ? WHERE id = ?",
                    (discord_event, event),
                )
            case FeatureDesk(thread_id=thread, slot=slot):
                await tx.execute(
                    "UPDATE desk_posts SET featured_at = ?, feature_slot = ?"
                    " WHERE thread_id = ? AND featured_at IS NULL",
                    (utc_text(now), slot.isoformat(), thread),
                )
            case RecordCaseEvent():
                await _record_case_event(tx, effect, now)
            case SetCaseThread(subject=subject, thread_id=thread):
                await tx.execute(
                    "UPDATE cases SET thread_id = ? WHERE subject = ?", (thread, subject)
                )
            case Audit(actor_id=actor, action=action, detail=detail):
                await tx.execute(
                    "INSERT INTO audit_log (at, actor_id, action, detail) VALUES (?, ?, ?, ?)",
                    (utc_text(now), actor, action, to_json(detail)),
                )


async def _record_case_event(
    tx: aiosqlite.Connection, event: RecordCaseEvent, now: datetime
) -> None:
    partnership_id, member_id = subject_parts(event.subject)
    at = utc_text(now)
    reopen = int(event.reopens)
    await tx.execute(
        "INSERT INTO cases (subject, partnership_id, participant_id, title, state, opened_at,"
        " updated_at) VALUES (?, ?, ?, COALESCE((SELECT name FROM partnerships WHERE id = ?),"
        " (SELECT name FROM participants WHERE discord_id = ?), ?, ?), 'open', ?, ?)"
        " ON CONFLICT (subject) DO UPDATE SET updated_at = excluded.updated_at,"
        " opened_at = CASE WHEN ? AND state = 'handled' THEN excluded.opened_at"
        " ELSE opened_at END,"
        " handled_at = CASE WHEN ? THEN NULL ELSE handled_at END,"
        " handled_by = CASE WHEN ? THEN NULL ELSE handled_by END,"
        " handled_note = CASE WHEN ? THEN NULL ELSE handled_note END,"
        " state = CASE WHEN ? THEN 'open' ELSE state END",
        (
            event.subject, partnership_id, member_id, partnership_id, member_id, event.title,
            f"member {member_id}", at, at, reopen, reopen, reopen, reopen, reopen,
        ),
    )  # fmt: skip
    await tx.execute(
        "INSERT OR IGNORE INTO case_events (case_id, at, kind, actor_id, member_id, summary,"
        " body, outbox_key) VALUES ((SELECT id FROM cases WHERE subject = ?), ?, ?, ?, ?, ?, ?, ?)",
        (
            event.subject, at, event.kind, event.actor_id, event.member_id, event.summary,
            event.body, event.outbox_key,
        ),
    )  # fmt: skip
