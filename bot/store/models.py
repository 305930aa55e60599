"""Typed rows: what the repositories return. Times are timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from bot.domain.checkins import CheckinRating


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True)


class RoundState(StrEnum):
    DRAFT = "draft"
    APPLICATIONS_OPEN = "applications_open"
    APPLICATIONS_CLOSED = "applications_closed"
    RUNNING = "running"
    ENDED = "ended"


class Round(_Row):
    id: int
    name: str
    state: RoundState
    starts_on: date
    ends_on: date
    created_at: AwareDatetime
    updated_at: AwareDatetime


class Participant(_Row):
    discord_id: int
    name: str
    preferred_name: str | None = None
    email: str | None
    timezone: str
    checkin_dm_opt_in: bool
    created_at: AwareDatetime
    updated_at: AwareDatetime


PartnershipState = Literal["confirmed", "active", "member_left", "ended"]
# A partnership that still has (or is about to have) partners in it.
LIVE_STATES: tuple[PartnershipState, ...] = ("confirmed", "active", "member_left")
EndChoice = Literal["keep_in_touch", "wrap_up"]
ContainerKind = Literal["category", "thread_parent"]


class PartnershipMember(_Row):
    participant_id: int
    end_choice: EndChoice | None = None
    left_at: AwareDatetime | None = None


class Partnership(_Row):
    id: int
    round_id: int
    name: str
    state: PartnershipState
    score: float
    reasons: tuple[str, ...]
    channel_id: int | None
    created_at: AwareDatetime
    ended_at: AwareDatetime | None
    members: tuple[PartnershipMember, ...]

    @property
    def member_ids(self) -> tuple[int, ...]:
        return tuple(member.participant_id for member in self.members)

    @property
    def current_member_ids(self) -> tuple[int, ...]:
        """The partners who have not left."""
        return tuple(m.participant_id for m in self.members if m.left_at is None)

    @property
    def stays_open(self) -> bool:
        """Whether the space stays open after the round: every current partner chose to
        keep in touch."""
        return all(m.end_choice == "keep_in_touch" for m in self.members if m.left_at is None)


class SpaceContainer(_Row):
    round_id: int
    number: int
    kind: ContainerKind
    channel_id: int


class ContactEvent(_Row):
    id: int
    partnership_id: int
    participant_id: int
    at: AwareDatetime
    source: Literal["message", "logged"]
    kind: str | None
    message_id: int | None


class AwayRecord(_Row):
    id: int
    participant_id: int
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    note: str | None
    created_at: AwareDatetime
    cancelled_at: AwareDatetime | None


class RoundTopic(_Row):
    id: int
    round_id: int
    position: int
    slug: str
    title: str
    summary: str
    body: str
    prompts: tuple[str, ...]
    due_on: date
    posted_at: AwareDatetime | None
    cohort_thread_id: int | None
    hashtags: tuple[str, ...] = ()


class CheckIn(_Row):
    partnership_id: int
    participant_id: int
    sequence: int
    asked_at: AwareDatetime
    answered_at: AwareDatetime | None
    rating: CheckinRating | None
    comment: str | None


class OutboxItem(_Row):
    """A stored piece of work; :func:`bot.posts.load` turns target and payload into its model."""

    key: str
    partnership_id: int | None
    kind: str
    target: dict[str, Any]
    payload: dict[str, Any]
    due_at: AwareDatetime
    attempts: int
    last_error: str | None
    message_id: int | None
    sent_at: AwareDatetime | None
    created_at: AwareDatetime
    tried_at: AwareDatetime | None
    gave_up_at: AwareDatetime | None


class SentNudge(_Row):
    id: int
    partnership_id: int
    kind: Literal["quiet", "one_sided", "escalation"]
    at: AwareDatetime
    outbox_key: str


class Feedback(_Row):
    partnership_id: int
    participant_id: int
    rating: int
    comment: str | None
    at: AwareDatetime


class AuditEntry(_Row):
    id: int
    at: AwareDatetime
    actor_id: int
    action: str
    detail: dict[str, Any]


class WaitlistEntry(_Row):
    discord_id: int
    added_at: AwareDatetime


class MatchPair(_Row):
    member_a: int
    member_b: int

    @classmethod
    def of(cls, first: int, second: int) -> MatchPair:
        if first == second:
            raise ValueError("a person cannot be paired with themselves")
        low, high = sorted((first, second))
        return cls(member_a=low, member_b=high)


def utc_text(moment: datetime) -> str:
    """The stored form of a time: ISO-8601 in UTC."""
    if moment.tzinfo is UTC:
        return moment.isoformat()
    if moment.tzinfo is None:
        raise ValueError("refusing to store a naive datetime")
    return moment.astimezone(UTC).isoformat()


EventStatus = Literal["scheduled", "active", "completed", "cancelled"]
PlaceKind = Literal["voice", "stage", "external"]


class LiveEvent(_Row):
    """A live discussion of a topic: a Discord scheduled event the program keeps."""

    id: int
    round_id: int
    topic_id: int
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    place_kind: PlaceKind
    channel_id: int | None
    location: str | None
    discord_event_id: int | None
    status: EventStatus
    revision: int
    created_by: int
    created_at: AwareDatetime
    planned_at: AwareDatetime


class DeskPost(_Row):
    """A member's post in the desk forum, and whether they agreed to have it featured."""

    thread_id: int
    author_id: int
    posted_at: AwareDatetime
    consented_at: AwareDatetime | None
    caption: str | None
    featured_at: AwareDatetime | None
    feature_slot: date | None


CaseState = Literal["open", "handled"]
UnmatchedChoice = Literal["keep", "trio", "talk", "withdrawn"]


def pair_subject(partnership_id: int) -> str:
    """The case subject of a partnership."""
    return f"p{partnership_id}"


def member_subject(member_id: int) -> str:
    """The case subject of a person (someone not in a live partnership)."""
    return f"m{member_id}"


def subject_parts(subject: str) -> tuple[int | None, int | None]:
    """``(partnership_id, member_id)`` of a case subject; exactly one is set."""
    kind, number = subject[:1], subject[1:]
    if kind not in ("p", "m") or not number.isdigit():
        raise ValueError(f"not a case subject: {subject!r}")
    return (int(number), None) if kind == "p" else (None, int(number))


class Case(_Row):
    id: int
    subject: str
    partnership_id: int | None
    participant_id: int | None
    title: str
    state: CaseState
    opened_at: AwareDatetime
    updated_at: AwareDatetime
    assignee_id: int | None
    taken_at: AwareDatetime | None
    handled_at: AwareDatetime | None
    handled_by: int | None
    handled_note: str | None
    thread_id: int | None


class CaseEvent(_Row):
    id: int
    case_id: int
    at: AwareDatetime
    kind: str
    actor_id: int | None
    member_id: int | None
    summary: str
    body: str | None
    outbox_key: str


class PartnershipNote(_Row):
    id: int
    partnership_id: int
    author_id: int
    at: AwareDatetime
    text: str


class UnmatchedAnswer(_Row):
    round_id: int
    participant_id: int
    answer: UnmatchedChoice
    answered_at: AwareDatetime
