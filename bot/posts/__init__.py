"""Every kind of work the outbox holds, one typed model each (see :mod:`bot.posts.base`).

A new post kind is a model in the module of its feature, added to :data:`AnyWork` below;
nothing else lists the kinds. Its persistent buttons are :class:`ButtonSpec` subclasses
next to it, each with its one ``DynamicItem`` in the feature's cog.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from bot.posts.away import AvailabilityAsk, AwayNoted, WelcomeBack
from bot.posts.base import (
    ActionContext,
    AnnouncementsTarget,
    CaseTarget,
    CoordinatorsTarget,
    DirectTarget,
    ForumTarget,
    Post,
    PrivateTarget,
    Receipt,
    RenderContext,
    SpaceTarget,
    Target,
    ThreadTarget,
    Work,
)
from bot.posts.cases import CaseCard, CaseFollowUp, CaseReply, OpenCase
from bot.posts.checkins import CheckinAlert, CheckinDm, CheckinPrompt
from bot.posts.closing import Closing, EndReminder
from bot.posts.contact import Escalation, Nudge
from bot.posts.desks import DeskFeature, DeskWelcome
from bot.posts.digest import WeeklyDigest
from bot.posts.events import EventNote, EventReminder, SyncEvent
from bot.posts.membership import PartnerLeft, RemoveFromSpace
from bot.posts.outreach import UnmatchedNotice
from bot.posts.pairs import PairEnded
from bot.posts.privacy import ErasureNotice, PartnerErased
from bot.posts.rounds import ApplicationsOpen
from bot.posts.setup import DeliveryFailed, MissingPermissions
from bot.posts.spaces import ArchiveSpace, Intro, OpenSpace
from bot.posts.topics import CohortThread, TopicPost

AnyWork = Annotated[
    OpenSpace
    | Intro
    | TopicPost
    | CohortThread
    | EndReminder
    | Closing
    | ArchiveSpace
    | ApplicationsOpen
    | MissingPermissions
    | DeliveryFailed
    | Nudge
    | Escalation
    | AwayNoted
    | WelcomeBack
    | AvailabilityAsk
    | CheckinPrompt
    | CheckinDm
    | CheckinAlert
    | PartnerLeft
    | RemoveFromSpace
    | SyncEvent
    | EventNote
    | EventReminder
    | DeskWelcome
    | DeskFeature
    | OpenCase
    | CaseCard
    | CaseFollowUp
    | CaseReply
    | UnmatchedNotice
    | PairEnded
    | PartnerErased
    | ErasureNotice
    | WeeklyDigest,
    Field(discriminator="kind"),
]

_ADAPTER: TypeAdapter[Any] = TypeAdapter(AnyWork)


def load(kind: str, target: dict[str, Any], payload: dict[str, Any]) -> Work:
    """The model of a stored piece of work (the reverse of :meth:`Work.stored`)."""
    data = {**payload, "kind": kind}
    if target:
        data["target"] = target
    work: Work = _ADAPTER.validate_python(data)
    return work


def kinds() -> tuple[type[Work], ...]:
    """Every kind of work, in the order listed above."""
    union = AnyWork.__origin__  # type: ignore[attr-defined]
    return tuple(union.__args__)


__all__ = [
    "ActionContext",
    "AnnouncementsTarget",
    "AnyWork",
    "CaseTarget",
    "CoordinatorsTarget",
    "DirectTarget",
    "ForumTarget",
    "Post",
    "PrivateTarget",
    "Receipt",
    "RenderContext",
    "SpaceTarget",
    "Target",
    "ThreadTarget",
    "Work",
    "kinds",
    "load",
]
