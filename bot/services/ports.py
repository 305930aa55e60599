"""The small interface the services use to act on Discord.

The live bot implements it with discord.py (:mod:`bot.discord_adapter`); the offline
simulation implements it with a recorder. Services never import discord.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NoReturn, Protocol


@dataclass(frozen=True)
class ButtonSpec:
    """A persistent button, named by the record it acts on.

    Subclasses (in :mod:`bot.posts`) hold only that record's ids; the button as Discord
    shows it (label, style, custom id and what a press does) is the one
    ``discord.ui.DynamicItem`` in ``cogs/`` registered for the subclass.
    """


@dataclass(frozen=True)
class Draft:
    """A message to send: plain data, turned into Discord objects by the adapter.

    ``embeds`` are Discord embed dicts; ``buttons`` are laid out in one row.
    ``mention_ids`` and ``mention_role_ids`` are the only members and roles it may ping.
    """

    content: str = ""
    embeds: tuple[dict[str, Any], ...] = ()
    buttons: tuple[ButtonSpec, ...] = ()
    pin: bool = False
    mention_ids: tuple[int, ...] = ()
    mention_role_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class SeenMessage:
    """A message found in a space's history: who and when, never what."""

    message_id: int
    author_id: int
    at: datetime


SpaceKind = Literal["channel", "thread"]


EventPlaceKind = Literal["voice", "stage", "external"]
EventState = Literal["scheduled", "active", "completed", "cancelled"]


@dataclass(frozen=True)
class EventChannel:
    """A voice or stage channel a live discussion could be held in; ``missing`` names the
    permissions the bot lacks there to create the event (empty: it can)."""

    id: int
    name: str
    kind: Literal["voice", "stage"]
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventSpec:
    """A scheduled event as the program wants it on Discord. ``marker`` (in the
    description) finds an event a retried request may already have made."""

    marker: str
    name: str
    description: str
    starts_at: datetime
    ends_at: datetime
    kind: EventPlaceKind
    channel_id: int | None = None
    location: str | None = None


@dataclass(frozen=True)
class ForumPost:
    """A post (thread) someone opened in a forum: who and when, never what."""

    thread_id: int
    author_id: int
    at: datetime


class DiscordError(Exception):
    """Something Discord refused or failed to do.

    ``transient`` ones (rate limits, outages, a dropped connection) are worth retrying soon;
    ``fixable`` ones (missing permissions or access) work once a server admin fixes the
    bot's permissions, so they are retried rarely; the rest will fail the same way again.
    """

    def __init__(self, message: str, *, transient: bool, fixable: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
        self.fixable = fixable


class DirectMessagesClosed(DiscordError):
    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} does not accept direct messages", transient=False)
        self.user_id = user_id


class DiscordPort(Protocol):
    """What the program needs from Discord, in its own words."""

    async def free_channel_slots(self) -> int:
        """How many more channels the guild can hold (Discord allows 500)."""

    async def ensure_container(self, round_name: str, number: int, kind: SpaceKind) -> int:
        """The category (channels) or parent channel (threads) ``number`` for a round."""

    async def ensure_space(
        self, container_id: int, kind: SpaceKind, name: str, marker: str, members: Sequence[int]
    ) -> int:
        """The partnership's private space, found by ``marker`` or created; its id."""

    async def send(self, channel_id: int, draft: Draft, nonce: str) -> int:
        """Send ``draft``; Discord drops a resend with the same ``nonce``. The message id."""

    async def send_direct(self, user_id: int, draft: Draft, nonce: str) -> int:
        """A direct message; raises :class:`DirectMessagesClosed` when the member said no."""

    async def send_to_coordinators(self, draft: Draft, nonce: str) -> int: ...

    async def program_channel(self, which: Literal["coordinators", "announcements"]) -> int:
        """The id of one of the program's own channels."""

    async def send_announcement(self, draft: Draft, nonce: str) -> int: ...

    async def open_cohort_thread(self, title: str, draft: Draft, nonce: str) -> tuple[int, int]:
        """A forum post in the cohort forum, open to everyone: ``(thread id, message id)``."""

    async def open_case(self, title: str, marker: str, draft: Draft, nonce: str) -> tuple[int, int]:
        """A case's card in the coordinators' channel and the thread started from it,
        found by ``title`` (the thread) or ``marker`` (the card's footer) before anything
        is created: ``(thread id, card message id)``."""

    async def edit_case_card(self, thread_id: int, draft: Draft) -> None:
        """Show ``draft`` as the card the case thread ``thread_id`` started from."""

    async def private_thread(self, user_id: int) -> int:
        """A private thread for one member, with only them and the bot in it (for what
        must reach them privately when they do not accept direct messages)."""

    async def close_space(
        self, space_id: int, kind: SpaceKind, members: Sequence[int], keep_open: bool
    ) -> None:
        """End facilitation: read-only archive, or left open when partners keep in touch."""

    async def find_sent(self, channel_id: int, draft: Draft, since: datetime) -> int | None:
        """A message of the bot's in the channel, posted since ``since``, that reads as
        ``draft`` does: how a send that may have reached Discord is found again."""

    async def find_sent_direct(self, user_id: int, draft: Draft, since: datetime) -> int | None:
        """The same, in the bot's direct messages with a member."""

    async def remove_member(self, space_id: int, kind: SpaceKind, member_id: int) -> None:
        """Take a member out of a space (their overwrite, or their thread membership)."""

    async def history_after(self, space_id: int, after_message_id: int | None) -> list[SeenMessage]:
        """Messages posted in a space after the given one, oldest first (bot's own excluded)."""

    async def set_waitlist_role(self, user_id: int, on: bool) -> bool:
        """Give or take the waitlist role; False when the user is not on the server."""

    async def waitlist_role(self) -> int:
        """The id of the role that round announcements mention (created when missing)."""

    def channel_link(self, channel_id: int) -> str: ...

    # Live discussions and #welcometomydesk ----------------------------------------------

    async def event_channels(self) -> list[EventChannel]:
        """The server's voice and stage channels, with what the bot lacks in each."""

    async def missing_event_permissions(self) -> tuple[str, ...]:
        """What the bot lacks at server level to create an event with an external link."""

    async def ensure_scheduled_event(self, spec: EventSpec) -> int:
        """The event found by ``spec.marker``, or created; its Discord id."""

    async def edit_scheduled_event(self, event_id: int, spec: EventSpec) -> None:
        """Give a scheduled event new times (and place)."""

    async def cancel_scheduled_event(self, event_id: int) -> None:
        """Cancel a scheduled event (nothing to do when it is already over or gone)."""

    async def scheduled_event_state(self, event_id: int) -> EventState | None:
        """The event's status on Discord now; None when it was deleted."""

    async def interested(self, event_id: int) -> list[int]:
        """Everyone who pressed *Interested* on the event, by user id."""

    async def desk_forum(self) -> int:
        """The #welcometomydesk forum (created when missing)."""

    async def desk_posts(self) -> list[ForumPost]:
        """The open posts in the desk forum (to catch up on any made while offline)."""


class Disconnected:
    """A DiscordPort for tools that run without the bot (the command line, offline reports).

    Every Discord action is refused as a transient fault, so work such a tool queues waits
    in the outbox for the bot, never counted as sent.
    """

    def __init__(self, guild_id: int) -> None:
        self._guild_id = guild_id

    def channel_link(self, channel_id: int) -> str:
        return f"https://discord.com/channels/{self._guild_id}/{channel_id}"

    def __getattr__(self, name: str) -> Any:
        async def refuse(*args: object, **kwargs: object) -> NoReturn:
            raise DiscordError(f"{name}: this tool does not connect to Discord", transient=True)

        return refuse
