"""What every queued piece of work shares: its key, where a post goes, how it is rendered
and performed, and what it leaves in the store once Discord has it.

A post kind is one pydantic model: its fields are what the outbox stores, ``key`` names it
uniquely, ``target`` says where it goes, :meth:`Post.render` turns it into what Discord
gets at send time (from the store, so a late edit is honoured), and :meth:`Work.effects`
lists what the store records in the same transaction that marks it done. A few kinds are
actions rather than messages (opening or archiving a space): they override
:meth:`Work.perform` instead of rendering.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from bot.clock import Clock
from bot.config import Config
from bot.content import Messages
from bot.domain.calendar import Series
from bot.posts import limits
from bot.posts.reads import Reads
from bot.services.ports import DiscordPort, Draft
from bot.services.zones import MemberZones
from bot.store import Store
from bot.store.effects import Effect

log = logging.getLogger(__name__)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SpaceTarget(_Frozen):
    """A partnership's private space (a channel, or a private thread)."""

    to: Literal["space"] = "space"
    channel_id: int


class CoordinatorsTarget(_Frozen):
    to: Literal["coordinators"] = "coordinators"


class AnnouncementsTarget(_Frozen):
    to: Literal["announcements"] = "announcements"


class ForumTarget(_Frozen):
    """A new post (thread) in the cohort forum, open to everyone."""

    to: Literal["forum"] = "forum"
    title: str


class DirectTarget(_Frozen):
    """A direct message; when the member does not accept them, ``fallback_channel_id``."""

    to: Literal["dm"] = "dm"
    user_id: int
    fallback_channel_id: int | None = None


class ThreadTarget(_Frozen):
    """A message in an existing public thread or forum post (a cohort thread, a desk post)."""

    to: Literal["thread"] = "thread"
    thread_id: int


class CaseTarget(_Frozen):
    """The thread of the case about ``subject`` (a partnership or a person), once it is
    open; see :mod:`bot.posts.cases`."""

    to: Literal["case"] = "case"
    subject: str


class PrivateTarget(_Frozen):
    """A direct message; when the member does not accept them, a private thread the bot
    opens for them alone (never a space their partner shares)."""

    to: Literal["private"] = "private"
    user_id: int


Target = Annotated[
    SpaceTarget
    | CoordinatorsTarget
    | AnnouncementsTarget
    | ForumTarget
    | DirectTarget
    | ThreadTarget
    | CaseTarget
    | PrivateTarget,
    Field(discriminator="to"),
]


@dataclass(frozen=True)
class Receipt:
    """What Discord gave back: the message, and the channel or thread it is in."""

    message_id: int | None = None
    channel_id: int | None = None


class Schedule(Protocol):
    """The planner that decides when dated posts are due, as the posts ask it."""

    def latest(self, partnership_id: int, series: Series, now: datetime) -> int | None:
        """The newest entry of ``series`` due by ``now`` for the partnership (0: none yet);
        None when the partnership has no calendar (it is no longer live)."""
        ...


@dataclass(frozen=True)
class RenderContext:
    """What rendering reads: the store at send time, the texts, the program's settings and
    the planner's calendar. ``first_tried`` is when the post was first tried."""

    store: Store
    clock: Clock
    messages: Messages
    port: DiscordPort
    config: Config
    zones: MemberZones
    schedule: Schedule
    reads: Reads
    first_tried: datetime | None = None

    def as_of(self) -> datetime:
        """The moment what a post says depends on: its first try. A retry after a crash
        then renders the text it may already have posted, so the look before resending
        recognises it (see ``Dispatcher.deliver``)."""
        return self.first_tried or self.clock.now()


class Spaces(Protocol):
    """The part of the space service that the space actions perform."""

    async def open(self, partnership_id: int) -> int | None: ...

    async def archive(self, partnership_id: int) -> bool: ...

    async def remove(self, partnership_id: int, member_id: int) -> bool: ...


Deliver = Callable[[Target, Draft, str], Awaitable[Receipt]]


@dataclass(frozen=True)
class ActionContext:
    render: RenderContext
    deliver: Deliver
    spaces: Spaces


class Work(_Frozen):
    """Anything the outbox holds; subclasses set ``kind`` to a literal of their own."""

    kind: str
    partnership_id: int | None = None
    # The name of what happened, as the offline simulation's timeline prints it.
    event: ClassVar[str]

    @property
    def key(self) -> str:
        """Unique among all work: queueing the same key twice queues it once."""
        raise NotImplementedError

    @property
    def alerts_on_failure(self) -> bool:
        """Whether coordinators hear of it when Discord keeps refusing it."""
        return True

    async def perform(self, context: ActionContext, nonce: str) -> Receipt | None:
        """Do it on Discord; None when it no longer applies (nothing was done)."""
        raise NotImplementedError

    def effects(self, receipt: Receipt, now: datetime) -> Sequence[Effect]:
        """What the store records with "done", in the same transaction."""
        return ()

    def stored(self) -> tuple[str, str]:
        """``(target, payload)`` as the outbox keeps them (JSON); :func:`bot.posts.load`
        reverses it."""
        return "{}", self.model_dump_json(exclude={"kind"})


class Post(Work):
    """A message the bot posts."""

    target: Target

    async def render(self, context: RenderContext) -> Draft | None:
        """The message as it should read now, or None when it no longer applies."""
        raise NotImplementedError

    def stored(self) -> tuple[str, str]:
        return self.target.model_dump_json(), self.model_dump_json(exclude={"kind", "target"})

    async def perform(self, context: ActionContext, nonce: str) -> Receipt | None:
        draft = await self.render(context.render)
        if draft is None:
            return None
        too_long = limits.problems(draft)
        if too_long:
            log.warning("%s did not fit Discord's limits, shortened: %s", self.key, too_long)
            draft = limits.fit(draft)
        return await context.deliver(self.target, draft, nonce)


class PartnershipPost(Post):
    """A post about one partnership, keyed ``p{partnership_id}:{name}``."""

    partnership_id: int

    @property
    def name(self) -> str:
        raise NotImplementedError

    @property
    def key(self) -> str:
        return f"p{self.partnership_id}:{self.name}"
