"""The live implementation of :class:`bot.services.ports.DiscordPort`, on discord.py."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Final, TypeVar

import aiohttp
import discord

from bot.config import DiscordSettings
from bot.pacing import Pacer
from bot.services.ports import DirectMessagesClosed, DiscordError, Draft, SeenMessage, SpaceKind
from bot.ui import view_of

log = logging.getLogger(__name__)

T = TypeVar("T")
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
DMS_CLOSED = 50007  # Discord's code for "Cannot send messages to this user"
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
        return await self._call(lambda: self.guild.create_text_channel(name, overwrites=overwrites))

    async def _ensure_forum(self, name: str) -> discord.ForumChannel:
        existing = discord.utils.get(self.guild.forums, name=name)
        if existing is not None:
            return existing
        log.info("creating forum #%s", name)
        return await self._call(
            lambda: self.guild.create_forum(name, topic="Cohort-wide discussion of each topic")
        )

    async def _ensure_role(self, name: str, *, mentionable: bool = True) -> discord.Role:
        existing = discord.utils.get(self.guild.roles, name=name)
        if existing is not None:
            return existing
        return await self._call(lambda: self.guild.create_role(name=name, mentionable=mentionable))

    # Spaces ---------------------------------------------------------------------------------

    async def free_channel_slots(self) -> int:
        return GUILD_CHANNEL_LIMIT - len(self.guild.channels)

    async def ensure_container(self, round_name: str, number: int, kind: SpaceKind) -> int:
        guild = self.guild
        if kind == "channel":
            name = f"{round_name} partners" if number == 1 else f"{round_name} partners {number}"
            category = discord.utils.get(guild.categories, name=name)
            if category is None:
                category = await self._call(
                    lambda: guild.create_category(name, overwrites=self._private_overwrites([]))
                )
            return category.id
        # Private threads are only visible to members who can view their parent, so the
        # round's participants get a role that sees the parent but cannot post in it.
        name = _slug(f"{round_name} partners {number}")
        channel = discord.utils.get(guild.text_channels, name=name)
        if channel is None:
            role = await self._ensure_role(name, mentionable=False)
            overwrites = self._private_overwrites([])
            overwrites[role] = THREAD_PARENT_PARTICIPANT
            channel = await self._call(
                lambda: guild.create_text_channel(name, overwrites=overwrites)
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
        created = await self._call(
            lambda: category.create_text_channel(name, topic=marker, overwrites=overwrites)
        )
        return created.id

    async def _ensure_thread_space(self, parent_id: int, name: str, members: Sequence[int]) -> int:
        parent = self.guild.get_channel(parent_id)
        if not isinstance(parent, discord.TextChannel):
            raise DiscordError(f"channel {parent_id} is gone", transient=False)
        thread = discord.utils.get(parent.threads, name=name)
        if thread is None:
            thread = await self._call(
                lambda: parent.create_thread(
                    name=name,
                    type=discord.ChannelType.private_thread,
                    invitable=False,
                    auto_archive_duration=10080,
                )
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

    def _private_overwrites(self, members: Sequence[int]) -> Overwrites:
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
                view_channel=True, send_messages=True, read_message_history=True
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

    async def open_cohort_thread(self, title: str, draft: Draft, nonce: str) -> tuple[int, int]:
        forum = await self._channel(self._required(self._forum_id))
        if not isinstance(forum, discord.ForumChannel):
            raise DiscordError("the cohort forum is missing", transient=False)
        existing = discord.utils.get(forum.threads, name=title)
        if existing is not None:  # opened before a restart
            return existing.id, existing.id
        created = await self._call(
            lambda: forum.create_thread(
                name=title[:100],
                content=draft.content or None,
                embeds=_embeds(draft),
                allowed_mentions=discord.AllowedMentions.none(),
            )
        )
        return created.thread.id, created.message.id

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
            thread = await self._call(
                lambda: parent.create_thread(
                    name=name,
                    type=discord.ChannelType.private_thread,
                    invitable=False,
                    auto_archive_duration=WEEK_MINUTES,
                )
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
            raise DiscordError(message, transient=transient) from error
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise DiscordError(f"connection problem: {error!r}", transient=True) from error


def _embeds(draft: Draft) -> list[discord.Embed]:
    return [discord.Embed.from_dict(embed) for embed in draft.embeds]


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())
