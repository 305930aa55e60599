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

    async def history_after(self, space_id: int, after_message_id: int | None) -> list[SeenMessage]:
        """Messages posted in a space after the given one, oldest first (bot's own excluded)."""

    async def set_waitlist_role(self, user_id: int, on: bool) -> bool:
        """Give or take the waitlist role; False when the user is not on the server."""

    async def waitlist_role(self) -> int:
        """The id of the role that round announcements mention (created when missing)."""

    def channel_link(self, channel_id: int) -> str: ...


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
