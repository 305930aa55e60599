"""The live implementation of :class:`bot.services.ports.DiscordPort`, on discord.py."""

from __future__ import annotations

import contextvars
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Final, Literal, TypeVar

import aiohttp
import discord

from bot.config import DeskSettings, DiscordSettings
from bot.pacing import Pacer
from bot.services.ports import (
    DirectMessagesClosed,
    DiscordError,
    Draft,
    EventChannel,
    EventSpec,
    EventState,
    ForumPost,
    SeenMessage,
    SpaceKind,
)
from bot.ui import view_of

log = logging.getLogger(__name__)

T = TypeVar("T")
C = TypeVar("C", bound=discord.abc.Snowflake)

# While set, a server error that answers the request stops discord.py from retrying it.
_CREATING: contextvars.ContextVar[bool] = contextvars.ContextVar("creating", default=False)
_RETRIED_STATUSES = frozenset({500, 502, 504, 524})  # what discord.py retries by itself


class CreationUncertain(Exception):
    """Discord answered a create request with a server error: it may have been carried out."""


def creation_guard() -> aiohttp.TraceConfig:
    """The client's HTTP trace that makes creating things safe to retry.

    discord.py answers a 500 by sleeping and sending the same request again. For a message
    that is harmless (its nonce makes Discord drop the copy), but a channel, a category, a
    thread or a forum post would be created twice, because Discord may have carried out
    the first request before failing. During a creation (see :meth:`DiscordAdapter._create`)
    such an answer raises instead, so the adapter can look for what exists first.
    """

    async def on_request_end(
        session: aiohttp.ClientSession,
        context: object,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        if _CREATING.get() and params.response.status in _RETRIED_STATUSES:
            params.response.release()
            raise CreationUncertain(f"HTTP {params.response.status} from {params.url.path}")

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(on_request_end)
    return trace


# Keyed the way discord.py's channel-creation calls accept: roles, members or bare ids.
Overwrites = dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite]

# Every permission the bot needs and why; the set-up check and the README use this list.
REQUIRED_PERMISSIONS: dict[str, str] = {
    "view_channel": "see the program's channels",
    "manage_channels": "create categories and a private channel per partnership",
    "manage_roles": "set who can see each private space and give the waitlist role",
    "send_messages": "post intros, topics, reminders and nudges",
    "send_messages_in_threads": "post in private threads and cohort discussion threads",
    "create_public_threads": "open a cohort-wide discussion thread for each topic",
    "create_private_threads": "use private threads when the server is near its channel limit",
    "manage_threads": "add partners to private threads and archive them at the end",
    "embed_links": "show intros and topics as embeds",
    "attach_files": "attach the matching preview as a CSV file",
    "read_message_history": "catch up on contact missed while the bot was offline",
    "pin_messages": "pin each partnership's introduction",
    "create_events": "schedule live discussions as server events",
    "connect": "hold live discussions in a voice channel",
}

SPACE_MEMBER_PERMISSIONS = discord.PermissionOverwrite(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    attach_files=True,
    embed_links=True,
    read_message_history=True,
)
ARCHIVED_MEMBER_PERMISSIONS = discord.PermissionOverwrite(
    view_channel=True,
    read_message_history=True,
    send_messages=False,
    send_messages_in_threads=False,
)
THREAD_PARENT_PARTICIPANT = discord.PermissionOverwrite(
    view_channel=True,
    read_message_history=True,
    send_messages=False,
    send_messages_in_threads=True,
    create_public_threads=False,
    create_private_threads=False,
)
GUILD_CHANNEL_LIMIT = 500
# Looking for a post that may have been sent: how far back (the clocks may differ a little)
# and how many of the channel's messages since then to read.
FIND_MARGIN = timedelta(minutes=2)
FIND_LIMIT = 100
THREAD_NAME_LIMIT = 100
DMS_CLOSED = 50007  # Discord's code for "Cannot send messages to this user"
MAXIMUM_REACHED = (30000, 30100)  # Discord's codes for "maximum number of ... reached"
NO_MUTUAL_GUILD = 50278  # the same, for someone who shares no server with the bot any more
THREAD_ALREADY_CREATED = 160004  # "A thread has already been created for this message"
CASE_CARD_SEARCH = 50  # recent messages of the coordinators' channel searched for a card
WEEK_MINUTES: Final = 10080  # the longest auto-archive Discord offers


def required_permissions() -> discord.Permissions:
    return discord.Permissions(**dict.fromkeys(REQUIRED_PERMISSIONS, True))


class DiscordAdapter:
    """Acts on the one configured guild through discord.py, paced under the global limit."""

    def __init__(self, client: discord.Client, settings: DiscordSettings, pacer: Pacer) -> None:
        self._client = client
        self._settings = settings
        self._pacer = pacer
        self._coordinator_channel_id: int | None = None
        self._announcement_channel_id: int | None = None
        self._forum_id: int | None = None

    @property
    def guild(self) -> discord.Guild:
        guild = self._client.get_guild(self._settings.guild_id)
        if guild is None:
            raise DiscordError(f"not connected to guild {self._settings.guild_id}", transient=True)
        return guild

    # Set-up ---------------------------------------------------------------------------------

    async def prepare_guild(self) -> list[str]:
        """Create the program's shared channels when missing; returns missing permissions."""
        guild = self.guild
        missing = [
            f"{name.replace('_', ' ').title()}: needed to {why}"
            for name, why in REQUIRED_PERMISSIONS.items()
            if not getattr(guild.me.guild_permissions, name)
        ]
        coordinator_role = self._coordinator_role()
        private: Overwrites = {
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            guild.me: discord.PermissionOverwrite(view_channel=True, send_messages=True),
        }
        if coordinator_role is not None:
            private[coordinator_role] = discord.PermissionOverwrite(view_channel=True)
        coordinators = await self._ensure_text_channel(self._settings.coordinators_channel, private)
        if coordinator_role is not None and coordinator_role not in coordinators.overwrites:
            # The role was created after the channel: let the coordinators in now.
            await self._call(
                lambda: coordinators.set_permissions(coordinator_role, view_channel=True)
            )
        announcements = await self._ensure_text_channel(self._settings.announcements_channel, {})
        forum = await self._ensure_forum(self._settings.cohort_forum)
        self._coordinator_channel_id = coordinators.id
        self._announcement_channel_id = announcements.id
        self._forum_id = forum.id
        await self._ensure_role(self._settings.waitlist_role)
        return missing

    def _coordinator_role(self) -> discord.Role | None:
        return discord.utils.get(self.guild.roles, name=self._settings.coordinator_role)

    async def _ensure_text_channel(
        self,
        name: str,
        overwrites: Overwrites,
    ) -> discord.TextChannel:
        existing = discord.utils.get(self.guild.text_channels, name=name)
        if existing is not None:
            return existing
        log.info("creating channel #%s", name)
        return await self._create(
            f"channel #{name}",
            lambda: self.guild.create_text_channel(name, overwrites=overwrites),
            lambda: self._fetch_channel(discord.TextChannel, name=name),
        )

    async def _ensure_forum(self, name: str) -> discord.ForumChannel:
        existing = discord.utils.get(self.guild.forums, name=name)
        if existing is not None:
            return existing
        log.info("creating forum #%s", name)
        return await self._create(
            f"forum #{name}",
            lambda: self.guild.create_forum(name, topic="Cohort-wide discussion of each topic"),
            lambda: self._fetch_channel(discord.ForumChannel, name=name),
        )

    async def _ensure_role(self, name: str, *, mentionable: bool = True) -> discord.Role:
        existing = discord.utils.get(self.guild.roles, name=name)
        if existing is not None:
            return existing
        return await self._create(
            f"role {name}",
            lambda: self.guild.create_role(name=name, mentionable=mentionable),
            lambda: self._fetch_role(name),
        )

    # Spaces ---------------------------------------------------------------------------------

    async def free_channel_slots(self) -> int:
        return GUILD_CHANNEL_LIMIT - len(self.guild.channels)

    async def ensure_container(self, round_name: str, number: int, kind: SpaceKind) -> int:
        guild = self.guild
        if kind == "channel":
            name = f"{round_name} partners" if number == 1 else f"{round_name} partners {number}"
            category = discord.utils.get(guild.categories, name=name)
            if category is None:
                category = await self._create(
                    f"category {name}",
                    lambda: guild.create_category(name, overwrites=self._private_overwrites([])),
                    lambda: self._fetch_channel(discord.CategoryChannel, name=name),
                )
            return category.id
        # Private threads are only visible to members who can view their parent, so the
        # round's participants get a role that sees the parent but cannot post in it.
        name = _slug(f"{round_name} partners {number}")
        channel = discord.utils.get(guild.text_channels, name=name)
        if channel is None:
            role = await self._ensure_role(name, mentionable=False)
            overwrites = self._private_overwrites([], moderate_threads=True)
            overwrites[role] = THREAD_PARENT_PARTICIPANT
            channel = await self._create(
                f"channel #{name}",
                lambda: guild.create_text_channel(name, overwrites=overwrites),
                lambda: self._fetch_channel(discord.TextChannel, name=name),
            )
        return channel.id

    async def ensure_space(
        self, container_id: int, kind: SpaceKind, name: str, marker: str, members: Sequence[int]
    ) -> int:
        if kind == "channel":
            return await self._ensure_channel_space(container_id, name, marker, members)
        return await self._ensure_thread_space(container_id, name, members)

    async def _ensure_channel_space(
        self, category_id: int, name: str, marker: str, members: Sequence[int]
    ) -> int:
        category = self.guild.get_channel(category_id)
        if not isinstance(category, discord.CategoryChannel):
            raise DiscordError(f"category {category_id} is gone", transient=False)
        for channel in category.text_channels:
            if channel.topic == marker:  # created before a restart: adopt, never duplicate
                return channel.id
        overwrites = self._private_overwrites(members)
        created = await self._create(
            f"space #{name}",
            lambda: category.create_text_channel(name, topic=marker, overwrites=overwrites),
            lambda: self._fetch_channel(discord.TextChannel, parent=category_id, topic=marker),
        )
        return created.id

    async def _ensure_thread_space(self, parent_id: int, name: str, members: Sequence[int]) -> int:
        parent = self.guild.get_channel(parent_id)
        if not isinstance(parent, discord.TextChannel):
            raise DiscordError(f"channel {parent_id} is gone", transient=False)
        thread = discord.utils.get(parent.threads, name=name)
        if thread is None:
            thread = await self._create(
                f"private thread {name}",
                lambda: parent.create_thread(
                    name=name,
                    type=discord.ChannelType.private_thread,
                    invitable=False,
                    auto_archive_duration=WEEK_MINUTES,
                ),
                lambda: self._fetch_thread(parent_id, name),
            )
        role = discord.utils.get(self.guild.roles, name=parent.name)
        for member_id in members:
            member = self.guild.get_member(member_id)
            if member is None:
                continue
            if role is not None and role not in member.roles:
                await self._call(
                    functools.partial(member.add_roles, role, reason="ILN partnership")
                )
            await self._call(functools.partial(thread.add_user, member))
        return thread.id

    def _private_overwrites(
        self, members: Sequence[int], *, moderate_threads: bool = False
    ) -> Overwrites:
        """Who sees a private space (or, with ``moderate_threads``, a round's channel of
        private threads, whose threads coordinators can then open and moderate)."""
        guild = self.guild
        overwrites: Overwrites = {
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            # Discord lets the bot put in an overwrite only what it holds in the guild, and
            # Manage Permissions not at all: it edits overwrites with its guild-level Manage
            # Roles. This keeps its own access should a server admin narrow @everyone.
            guild.me: discord.PermissionOverwrite(
                view_channel=True,
                send_messages=True,
                manage_channels=True,
                read_message_history=True,
                embed_links=True,
                pin_messages=True,
            ),
        }
        coordinator_role = self._coordinator_role()
        if coordinator_role is not None:
            overwrites[coordinator_role] = discord.PermissionOverwrite(
                view_channel=True,
                send_messages=True,
                read_message_history=True,
                manage_threads=True if moderate_threads else None,
            )
        for member_id in members:
            overwrites[discord.Object(member_id)] = SPACE_MEMBER_PERMISSIONS
        return overwrites

    async def close_space(
        self, space_id: int, kind: SpaceKind, members: Sequence[int], keep_open: bool
    ) -> None:
        channel = await self._channel(space_id)
        if isinstance(channel, discord.Thread):
            if not keep_open:
                await self._call(lambda: channel.edit(locked=True, archived=True))
            return
        if keep_open or not isinstance(channel, discord.TextChannel):
            return
        # One PATCH with every overwrite: partners who left the server are no Member objects,
        # which discord.py's per-target set_permissions refuses.
        archived = set(members)
        overwrites: dict[
            discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite
        ]
        overwrites = {
            target: overwrite
            for target, overwrite in channel.overwrites.items()
            if target.id not in archived
        }
        overwrites.update({discord.Object(m): ARCHIVED_MEMBER_PERMISSIONS for m in archived})
        await self._call(lambda: channel.edit(overwrites=overwrites))

    async def remove_member(self, space_id: int, kind: SpaceKind, member_id: int) -> None:
        channel = await self._channel(space_id)
        try:
            if isinstance(channel, discord.Thread):
                await self._call(lambda: channel.remove_user(discord.Object(member_id)))
            elif isinstance(channel, discord.TextChannel):
                # The member may have left the server (no Member object), which discord.py's
                # set_permissions refuses: one PATCH without their overwrite instead.
                kept: Overwrites = {
                    target: overwrite
                    for target, overwrite in channel.overwrites.items()
                    if target.id != member_id
                }
                if len(kept) < len(channel.overwrites):
                    await self._call(lambda: channel.edit(overwrites=kept))
        except DiscordError as error:
            if not isinstance(error.__cause__, discord.NotFound):  # already gone: done
                raise

    # Posting --------------------------------------------------------------------------------

    async def send(self, channel_id: int, draft: Draft, nonce: str) -> int:
        channel = await self._channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            raise DiscordError(f"channel {channel_id} cannot take messages", transient=False)
        if isinstance(channel, discord.Thread) and channel.archived and not channel.locked:
            # A quiet thread archives itself; the bot's post brings it back, as a member's would.
            await self._call(lambda: channel.edit(archived=False))
        message = await self._send_to(channel, draft, nonce)
        if draft.pin and not message.pinned:
            await self._call(message.pin)
        return message.id

    async def send_direct(self, user_id: int, draft: Draft, nonce: str) -> int:
        user = self._client.get_user(user_id)
        if user is None:
            user = await self._call(lambda: self._client.fetch_user(user_id))
        try:
            channel = user.dm_channel
            if channel is None:
                channel = await self._call(user.create_dm)
            message = await self._send_to(channel, draft, nonce)
        except DiscordError as error:
            cause = error.__cause__
            if isinstance(cause, discord.Forbidden) and cause.code in (DMS_CLOSED, NO_MUTUAL_GUILD):
                raise DirectMessagesClosed(user_id) from cause
            raise
        return message.id

    async def send_to_coordinators(self, draft: Draft, nonce: str) -> int:
        return await self.send(self._required(self._coordinator_channel_id), draft, nonce)

    async def send_announcement(self, draft: Draft, nonce: str) -> int:
        return await self.send(self._required(self._announcement_channel_id), draft, nonce)

    async def program_channel(self, which: Literal["coordinators", "announcements"]) -> int:
        if which == "coordinators":
            return self._required(self._coordinator_channel_id)
        return self._required(self._announcement_channel_id)

    async def find_sent(self, channel_id: int, draft: Draft, since: datetime) -> int | None:
        channel = await self._channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            return None
        return await self._find_in(channel, draft, since)

    async def find_sent_direct(self, user_id: int, draft: Draft, since: datetime) -> int | None:
        user = self._client.get_user(user_id)
        if user is None:
            user = await self._call(lambda: self._client.fetch_user(user_id))
        channel = user.dm_channel
        if channel is None:
            channel = await self._call(user.create_dm)
        return await self._find_in(channel, draft, since)

    async def _find_in(
        self, channel: discord.abc.Messageable, draft: Draft, since: datetime
    ) -> int | None:
        """The bot's own message since ``since`` that reads as ``draft`` (its own messages
        are readable without the message-content intent)."""
        me = self._client.user
        after = discord.Object(discord.utils.time_snowflake(since - FIND_MARGIN))
        await self._pacer.slot()
        try:
            async for message in channel.history(limit=FIND_LIMIT, after=after):
                if me is not None and message.author.id == me.id and _reads_as(message, draft):
                    return message.id
        except discord.HTTPException as error:
            raise DiscordError(f"could not read history: {error}", transient=True) from error
        return None

    async def open_cohort_thread(self, title: str, draft: Draft, nonce: str) -> tuple[int, int]:
        forum = await self._channel(self._required(self._forum_id))
        if not isinstance(forum, discord.ForumChannel):
            raise DiscordError("the cohort forum is missing", transient=False)
        name = title[:THREAD_NAME_LIMIT]
        existing = discord.utils.get(forum.threads, name=name)
        if existing is not None:  # opened before a restart
            return existing.id, existing.id
        tags = self._forum_tags(forum)
        created = await self._create(
            f"forum post {name}",
            lambda: forum.create_thread(
                name=name,
                content=draft.content or None,
                embeds=_embeds(draft),
                allowed_mentions=discord.AllowedMentions.none(),
                applied_tags=tags,
            ),
            lambda: self._fetch_thread(forum.id, name),
        )
        if isinstance(created, discord.Thread):  # found again: its starter has its id
            return created.id, created.id
        return created.thread.id, created.message.id

    def _forum_tags(self, forum: discord.ForumChannel) -> list[discord.ForumTag]:
        """The tag a post needs when the forum requires one: the configured tag, or else
        the forum's first (an admin may have set the forum up before the bot came)."""
        if not forum.flags.require_tag:
            return []
        wanted = self._settings.cohort_forum_tag
        if wanted is not None:
            tag = discord.utils.get(forum.available_tags, name=wanted)
            if tag is not None:
                return [tag]
            log.warning("the forum #%s has no tag %r; using its first tag", forum.name, wanted)
        if not forum.available_tags:
            raise DiscordError(
                f"the forum #{forum.name} requires a tag on every post but has none",
                transient=False,
                fixable=True,
            )
        tag = forum.available_tags[0]
        log.info("the forum #%s requires a tag: topic posts get %r", forum.name, tag.name)
        return [tag]

    # Cases ----------------------------------------------------------------------------------

    async def open_case(self, title: str, marker: str, draft: Draft, nonce: str) -> tuple[int, int]:
        channel = await self._channel(self._required(self._coordinator_channel_id))
        if not isinstance(channel, discord.TextChannel):
            raise DiscordError("the coordinators' channel is missing", transient=False)
        name = title[:100]
        existing = discord.utils.get(channel.threads, name=name)
        if existing is not None:  # opened before a restart
            return existing.id, existing.id
        card = await self._find_card(channel, marker)
        if card is None:
            card = await self._send_to(channel, draft, nonce)
        try:
            thread = await self._call(
                lambda: card.create_thread(name=name, auto_archive_duration=WEEK_MINUTES)
            )
        except DiscordError as error:
            # discord.py retried a 5xx that Discord had applied: the thread is there, and a
            # thread started from a message has the message's id.
            cause = error.__cause__
            if isinstance(cause, discord.HTTPException) and cause.code == THREAD_ALREADY_CREATED:
                return card.id, card.id
            raise
        return thread.id, card.id

    async def _find_card(self, channel: discord.TextChannel, marker: str) -> discord.Message | None:
        """A card sent before a crash (its thread never made): the bot's own message whose
        footer is ``marker``, among the channel's latest."""
        me = self._client.user
        await self._pacer.slot()
        try:
            async for message in channel.history(limit=CASE_CARD_SEARCH):
                mine = me is not None and message.author.id == me.id
                if mine and message.embeds and message.embeds[0].footer.text == marker:
                    return message
        except discord.HTTPException as error:
            raise DiscordError(
                f"reading the coordinators' channel: {error}", transient=True
            ) from error
        return None

    async def edit_case_card(self, thread_id: int, draft: Draft) -> None:
        channel = await self._channel(self._required(self._coordinator_channel_id))
        if not isinstance(channel, discord.TextChannel):
            raise DiscordError("the coordinators' channel is missing", transient=False)
        card = channel.get_partial_message(thread_id)  # a thread shares its starter's id
        view = view_of(draft.buttons)
        await self._call(
            lambda: card.edit(
                content=draft.content or None,
                embeds=_embeds(draft),
                view=view,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        )

    async def private_thread(self, user_id: int) -> int:
        guild = self.guild
        member = guild.get_member(user_id)
        if member is None:
            raise DiscordError(f"member {user_id} is not on the server", transient=False)
        parent = await self._channel(self._required(self._announcement_channel_id))
        if not isinstance(parent, discord.TextChannel):
            raise DiscordError("the announcements channel is missing", transient=False)
        name = f"ILN coordinators and {member.display_name}"[:100]
        me = self._client.user
        found = next(
            (
                t
                for t in parent.threads
                if t.name == name and t.type is discord.ChannelType.private_thread
                and me is not None and t.owner_id == me.id
            ),
            None,
        )  # fmt: skip
        if found is not None:
            thread = found
        else:
            thread = await self._create(
                f"private thread {name}",
                lambda: parent.create_thread(
                    name=name,
                    type=discord.ChannelType.private_thread,
                    invitable=False,
                    auto_archive_duration=WEEK_MINUTES,
                ),
                lambda: self._fetch_thread(parent.id, name),
            )
        await self._call(functools.partial(thread.add_user, member))
        return thread.id

    async def history_after(self, space_id: int, after_message_id: int | None) -> list[SeenMessage]:
        channel = await self._channel(space_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return []
        after = discord.Object(after_message_id) if after_message_id else None
        me = self._client.user
        seen = []
        await self._pacer.slot()
        async for message in channel.history(limit=None, after=after, oldest_first=True):
            if (me is not None and message.author.id == me.id) or message.author.bot:
                continue
            seen.append(SeenMessage(message.id, message.author.id, message.created_at))
        return seen

    async def set_waitlist_role(self, user_id: int, on: bool) -> bool:
        member = self.guild.get_member(user_id)
        role = await self._ensure_role(self._settings.waitlist_role)
        if member is None:
            return False
        if on and role not in member.roles:
            await self._call(lambda: member.add_roles(role, reason="asked to hear about rounds"))
        elif not on and role in member.roles:
            await self._call(lambda: member.remove_roles(role, reason="asked to stop"))
        return True

    async def waitlist_role(self) -> int:
        return (await self._ensure_role(self._settings.waitlist_role)).id

    def channel_link(self, channel_id: int) -> str:
        return f"https://discord.com/channels/{self._settings.guild_id}/{channel_id}"

    # Plumbing -------------------------------------------------------------------------------

    async def _send_to(
        self, channel: discord.abc.Messageable, draft: Draft, nonce: str
    ) -> discord.Message:
        view = view_of(draft.buttons)
        return await self._call(
            lambda: channel.send(
                content=draft.content or None,
                embeds=_embeds(draft),
                # discord.py's overloads type ``view`` as ``View``, but the implementation's
                # default is None and None means "no components".
                view=view,  # type: ignore[arg-type]
                nonce=nonce,
                allowed_mentions=discord.AllowedMentions(
                    everyone=False,
                    roles=[discord.Object(i) for i in draft.mention_role_ids],
                    users=[discord.Object(i) for i in draft.mention_ids],
                ),
            )
        )

    async def _create(
        self,
        what: str,
        create: Callable[[], Awaitable[T]],
        find_again: Callable[[], Awaitable[Any]],
    ) -> T | Any:
        """Create something once: when Discord answers with a server error, ask it what
        exists before anything is created again (see :func:`creation_guard`)."""
        token = _CREATING.set(True)
        try:
            return await self._call(create)
        except CreationUncertain as uncertain:
            found = await find_again()
            if found is not None:
                log.warning("Discord failed creating %s (%s) but had made it", what, uncertain)
                return found
            raise DiscordError(
                f"Discord failed creating {what} ({uncertain}); it will be tried again",
                transient=True,
            ) from uncertain
        finally:
            _CREATING.reset(token)

    async def _fetch_channel(
        self,
        kind: type[C],
        *,
        name: str | None = None,
        parent: int | None = None,
        topic: str | None = None,
    ) -> C | None:
        """A channel as Discord has it now (not as the gateway has told us so far)."""
        for channel in await self._call(self.guild.fetch_channels):
            if (
                isinstance(channel, kind)
                and (name is None or channel.name == name)
                and (parent is None or getattr(channel, "category_id", None) == parent)
                and (topic is None or getattr(channel, "topic", None) == topic)
            ):
                return channel
        return None

    async def _fetch_thread(self, parent_id: int, name: str) -> discord.Thread | None:
        threads = await self._call(self.guild.active_threads)
        return next((t for t in threads if t.parent_id == parent_id and t.name == name), None)

    async def _fetch_role(self, name: str) -> discord.Role | None:
        return discord.utils.get(await self._call(self.guild.fetch_roles), name=name)

    async def _channel(self, channel_id: int) -> discord.abc.GuildChannel | discord.Thread:
        found = self.guild.get_channel_or_thread(channel_id)
        if found is not None:
            return found
        fetched = await self._call(lambda: self._client.fetch_channel(channel_id))
        if isinstance(fetched, discord.abc.PrivateChannel):
            raise DiscordError(f"channel {channel_id} is not in the guild", transient=False)
        return fetched

    def _required(self, channel_id: int | None) -> int:
        if channel_id is None:
            raise DiscordError("the program's channels are not set up yet", transient=True)
        return channel_id

    async def _call(self, action: Callable[[], Awaitable[T]]) -> T:
        """One Discord request, paced, with its failure translated for the services."""
        await self._pacer.slot()
        try:
            return await action()
        except discord.Forbidden as error:
            message = f"missing permission ({error.code}): {error.text}"
            raise DiscordError(message, transient=False, fixable=True) from error
        except discord.NotFound as error:
            raise DiscordError(
                f"not found ({error.code}): {error.text}", transient=False
            ) from error
        except discord.HTTPException as error:
            transient = error.status == 429 or error.status >= 500
            message = f"HTTP {error.status} ({error.code}): {error.text}"
            # 30xxx: "maximum number of ... reached" (channels, roles, pins...): it works
            # again once a server admin makes room, so it is retried rarely, not given up.
            at_a_limit = MAXIMUM_REACHED[0] <= error.code < MAXIMUM_REACHED[1]
            raise DiscordError(message, transient=transient, fixable=at_a_limit) from error
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise DiscordError(f"connection problem: {error!r}", transient=True) from error

    # Live discussions and #welcometomydesk (issue 14) ---------------------------------------
    # Kept apart from the methods above so the two can change independently.

    _desk_forum_id: int | None = None

    async def prepare_community(self, desks: DeskSettings, program_tag: str) -> None:
        """Create the desk forum when missing (called at start-up after prepare_guild)."""
        existing = discord.utils.get(self.guild.forums, name=desks.forum)
        if existing is None:
            log.info("creating forum #%s", desks.forum)
            topic = (
                "Share a photo of your workspace, whether a busy service desk or a kitchen "
                f"table. {desks.hashtag} {program_tag}"
            )
            existing = await self._create(
                f"forum #{desks.forum}",
                lambda: self.guild.create_forum(desks.forum, topic=topic),
                lambda: self._fetch_channel(discord.ForumChannel, name=desks.forum),
            )
        self._desk_forum_id = existing.id

    async def desk_forum(self) -> int:
        if self._desk_forum_id is None:
            raise DiscordError("the desk forum is not set up yet", transient=True)
        return self._desk_forum_id

    async def desk_posts(self) -> list[ForumPost]:
        forum = self.guild.get_channel(await self.desk_forum())
        if not isinstance(forum, discord.ForumChannel):
            return []
        return [
            ForumPost(
                thread.id,
                thread.owner_id,
                thread.created_at or discord.utils.snowflake_time(thread.id),
            )
            for thread in forum.threads
            if thread.owner_id is not None
        ]

    async def event_channels(self) -> list[EventChannel]:
        guild = self.guild
        found = []
        for channel in guild.channels:
            if isinstance(channel, discord.StageChannel):
                kind: Literal["voice", "stage"] = "stage"
                needs = STAGE_EVENT_PERMISSIONS
            elif isinstance(channel, discord.VoiceChannel):
                kind, needs = "voice", VOICE_EVENT_PERMISSIONS
            else:
                continue
            held = channel.permissions_for(guild.me)
            missing = tuple(label for name, label in needs if not getattr(held, name))
            found.append(EventChannel(channel.id, channel.name, kind, missing))
        return found

    async def missing_event_permissions(self) -> tuple[str, ...]:
        held = self.guild.me.guild_permissions
        return tuple(label for name, label in EXTERNAL_EVENT_PERMISSIONS if not getattr(held, name))

    async def ensure_scheduled_event(self, spec: EventSpec) -> int:
        guild = self.guild
        existing = await self._events_marked(spec.marker)
        if existing:  # created before a restart or a retried request: adopt it
            return existing[0].id
        options: dict[str, Any] = {
            "name": spec.name,
            "description": spec.description,
            "start_time": spec.starts_at,
            "end_time": spec.ends_at,
            "privacy_level": discord.PrivacyLevel.guild_only,
        }
        if spec.kind == "external":
            options.update(entity_type=discord.EntityType.external, location=spec.location)
        else:
            channel = guild.get_channel(spec.channel_id or 0)
            if not isinstance(channel, discord.VoiceChannel | discord.StageChannel):
                raise DiscordError(f"channel {spec.channel_id} is gone", transient=False)
            entity = (
                discord.EntityType.stage_instance
                if spec.kind == "stage"
                else discord.EntityType.voice
            )
            options.update(entity_type=entity, channel=channel)
        created = await self._create(
            "a scheduled event",
            lambda: guild.create_scheduled_event(**options),
            lambda: self._first_event_marked(spec.marker),
        )
        return int(created.id)

    async def edit_scheduled_event(self, event_id: int, spec: EventSpec) -> None:
        event = await self._call(lambda: self.guild.fetch_scheduled_event(event_id))
        if event.status is not discord.EventStatus.scheduled:
            return
        if event.start_time == spec.starts_at and event.end_time == spec.ends_at:
            return  # already so (a retry after Discord applied it)
        await self._call(
            lambda: event.edit(name=spec.name, start_time=spec.starts_at, end_time=spec.ends_at)
        )

    async def cancel_scheduled_event(self, event_id: int) -> None:
        try:
            event = await self._call(lambda: self.guild.fetch_scheduled_event(event_id))
        except DiscordError as error:
            if isinstance(error.__cause__, discord.NotFound):
                return  # deleted on Discord already
            raise
        if event.status is discord.EventStatus.scheduled:
            await self._call(event.cancel)

    async def scheduled_event_state(self, event_id: int) -> EventState | None:
        try:
            event = await self._call(lambda: self.guild.fetch_scheduled_event(event_id))
        except DiscordError as error:
            if isinstance(error.__cause__, discord.NotFound):
                return None
            raise
        return EVENT_STATES[event.status]

    async def interested(self, event_id: int) -> list[int]:
        event = self.guild.get_scheduled_event(event_id)
        if event is None:
            event = await self._call(lambda: self.guild.fetch_scheduled_event(event_id))
        await self._pacer.slot()
        try:
            return [user.id async for user in event.users(limit=None)]
        except discord.HTTPException as error:
            raise DiscordError(
                f"HTTP {error.status} reading who is interested", transient=error.status >= 500
            ) from error

    async def _first_event_marked(self, marker: str) -> discord.ScheduledEvent | None:
        marked = await self._events_marked(marker)
        return marked[0] if marked else None

    async def _events_marked(self, marker: str) -> list[discord.ScheduledEvent]:
        events = await self._call(lambda: self.guild.fetch_scheduled_events())
        return sorted(
            (e for e in events if (e.description or "").endswith(marker)), key=lambda e: e.id
        )


# What Discord's Guild Scheduled Event page requires to create an event, per entity type.
VOICE_EVENT_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("connect", "Connect"),
    ("create_events", "Create Events"),
)
STAGE_EVENT_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("manage_channels", "Manage Channels"),
    ("mute_members", "Mute Members"),
    ("move_members", "Move Members"),
    ("create_events", "Create Events"),
)
EXTERNAL_EVENT_PERMISSIONS = (("create_events", "Create Events"),)
EVENT_STATES: dict[discord.EventStatus, EventState] = {
    discord.EventStatus.scheduled: "scheduled",
    discord.EventStatus.active: "active",
    discord.EventStatus.completed: "completed",
    discord.EventStatus.canceled: "cancelled",
}


def _reads_as(message: discord.Message, draft: Draft) -> bool:
    """Whether a posted message is that draft: the same text and the same embed texts."""
    if message.content != draft.content or len(message.embeds) != len(draft.embeds):
        return False
    return all(
        (sent.title or "", sent.description or "")
        == (wanted.get("title", ""), wanted.get("description", ""))
        for sent, wanted in zip(message.embeds, draft.embeds, strict=True)
    )


def _embeds(draft: Draft) -> list[discord.Embed]:
    return [discord.Embed.from_dict(embed) for embed in draft.embeds]


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())
