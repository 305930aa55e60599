"""Domain operations on the emulated Discord world, shared by REST handlers and the Driver.

Every mutation emits the gateway event Discord would send; the gateway applies
intents and visibility per session. Permission checks for the *bot* live in the
REST layer (rest.py); the Driver checks what a human member may do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import mentions
from . import permissions as P
from .state import (
    Channel,
    Guild,
    Interaction,
    Member,
    Message,
    Overwrite,
    Role,
    User,
    iso_now,
    new_snowflake,
    normalise_components,
    normalise_embeds,
    now,
)

GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
GUILD_SCHEDULED_EVENTS = 1 << 16


@dataclass
class Event:
    """A gateway dispatch waiting to be routed to sessions."""

    name: str
    data: dict[str, Any]
    intent: int | None = None
    #: channel the bot must be able to view for the event to be delivered
    channel: Channel | None = None
    #: payload for sessions without the MESSAGE_CONTENT intent (content blanked)
    without_content: dict[str, Any] | None = None


EmitFn = Callable[[Event], None]


@dataclass
class World:
    """All guilds, users, channels and messages of one emulator instance."""

    emit: EmitFn
    users: dict[int, User] = field(default_factory=dict)
    guilds: dict[int, Guild] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    messages: dict[int, dict[int, Message]] = field(default_factory=dict)
    interactions: dict[int, Interaction] = field(default_factory=dict)
    #: (application_id, guild_id or None) -> list of command payloads
    commands: dict[tuple[int, int | None], list[dict[str, Any]]] = field(default_factory=dict)
    #: (author_id, nonce) -> (message_id, Discord time): the docs scope enforce_nonce to
    #: "the same author with the same nonce", not to a channel
    nonces: dict[tuple[int, str], tuple[int, float]] = field(default_factory=dict)
    #: attachment bytes by attachment id, for tests to inspect
    files: dict[int, bytes] = field(default_factory=dict)
    bot: User | None = None
    #: MESSAGE_CONTENT enabled for the app (controls REST blanking)
    message_content_enabled: bool = False

    # ------------------------------------------------------------------ lookups
    def channel(self, channel_id: int) -> Channel | None:
        ch = self.channels.get(channel_id)
        return None if ch is None or ch.deleted else ch

    def guild_of(self, channel: Channel) -> Guild | None:
        return self.guilds.get(channel.guild_id) if channel.guild_id is not None else None

    def member(self, guild_id: int, user_id: int) -> Member | None:
        guild = self.guilds.get(guild_id)
        return guild.members.get(user_id) if guild else None

    def bot_member(self, guild: Guild) -> Member:
        assert self.bot is not None
        return guild.members[self.bot.id]

    def permissions(self, user_id: int, channel: Channel) -> int:
        """Effective permissions of a user in a channel (DMs: sending is allowed)."""
        guild = self.guild_of(channel)
        if guild is None:
            is_recipient = any(u.id == user_id for u in channel.recipients)
            return (
                (
                    P.VIEW_CHANNEL
                    | P.SEND_MESSAGES
                    | P.READ_MESSAGE_HISTORY
                    | P.EMBED_LINKS
                    | P.ATTACH_FILES
                )
                if is_recipient or user_id == (self.bot and self.bot.id)
                else 0
            )
        member = guild.members.get(user_id)
        if member is None:
            return 0
        return P.channel_permissions(guild, member, channel)

    def can_view(self, user_id: int, channel: Channel) -> bool:
        return bool(self.permissions(user_id, channel) & P.VIEW_CHANNEL)

    def channel_messages(self, channel_id: int) -> list[Message]:
        return [m for m in self.messages.get(channel_id, {}).values() if not m.deleted]

    def find_message(self, message_id: int) -> Message | None:
        for msgs in self.messages.values():
            m = msgs.get(message_id)
            if m is not None and not m.deleted:
                return m
        return None

    # ------------------------------------------------------------------ users/guilds
    def create_user(
        self, username: str, *, bot: bool = False, global_name: str | None = None
    ) -> User:
        user = User(new_snowflake(), username, global_name=global_name, bot=bot)
        self.users[user.id] = user
        return user

    def create_guild(self, name: str, owner: User) -> Guild:
        gid = new_snowflake()
        guild = Guild(gid, name, owner.id)
        guild.roles[gid] = Role(gid, gid, "@everyone", P.DEFAULT_EVERYONE, position=0)
        guild.members[owner.id] = Member(owner, gid)
        self.guilds[gid] = guild
        return guild

    def add_member(
        self,
        guild: Guild,
        user: User,
        roles: list[int] | None = None,
        *,
        dm_closed: bool = False,
        dispatch: bool = True,
    ) -> Member:
        member = Member(user, guild.id, list(roles or []), dm_closed=dm_closed)
        guild.members[user.id] = member
        if dispatch:
            self.emit(
                Event(
                    "GUILD_MEMBER_ADD",
                    {**member.payload(), "guild_id": str(guild.id)},
                    GUILD_MEMBERS,
                )
            )
        return member

    def remove_member(self, guild: Guild, user_id: int) -> None:
        member = guild.members.pop(user_id, None)
        if member is None:
            return
        for ch in guild.channels.values():
            ch.thread_members.discard(user_id)
        self.emit(
            Event(
                "GUILD_MEMBER_REMOVE",
                {"guild_id": str(guild.id), "user": member.user.payload()},
                GUILD_MEMBERS,
            )
        )

    def member_updated(self, guild: Guild, member: Member) -> None:
        self.emit(
            Event(
                "GUILD_MEMBER_UPDATE",
                {**member.payload(), "guild_id": str(guild.id)},
                GUILD_MEMBERS,
            )
        )

    def create_role(
        self,
        guild: Guild,
        name: str,
        permissions: int = 0,
        *,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
        position: int | None = None,
    ) -> Role:
        if position is None:
            # Discord puts new roles just above @everyone and shifts the rest up.
            position = 1
            for r in guild.roles.values():
                if r.id != guild.id and r.position >= 1:
                    r.position += 1
        role = Role(
            new_snowflake(), guild.id, name, permissions, position, color, hoist, mentionable
        )
        guild.roles[role.id] = role
        self.emit(
            Event("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.payload()}, GUILDS)
        )
        return role

    # ------------------------------------------------------------------ channels
    def create_channel(
        self,
        guild: Guild,
        name: str,
        type: int = 0,
        *,
        parent_id: int | None = None,
        overwrites: list[Overwrite] | None = None,
        topic: str | None = None,
        position: int | None = None,
        nsfw: bool = False,
        rate_limit_per_user: int = 0,
        available_tags: list[dict[str, Any]] | None = None,
        flags: int = 0,
        default_auto_archive_duration: int | None = None,
        bitrate: int | None = None,
        user_limit: int = 0,
    ) -> Channel:
        if type in (0, 5, 15):
            # Discord normalises text-like channel names: lower case, spaces -> dashes
            name = re.sub(r"\s+", "-", name.strip()).lower()
        if position is None:
            position = len([c for c in guild.live_channels() if c.type == type])
        ch = Channel(
            new_snowflake(),
            type,
            name,
            guild.id,
            position,
            parent_id,
            {o.id: o for o in overwrites or []},
            topic,
            nsfw,
            rate_limit_per_user,
            available_tags=available_tags or [],
            flags=flags,
            default_auto_archive_duration=default_auto_archive_duration,
        )
        if bitrate is not None:
            ch.bitrate = bitrate
        ch.user_limit = user_limit
        guild.channels[ch.id] = ch
        self.channels[ch.id] = ch
        self.emit(Event("CHANNEL_CREATE", ch.payload(), GUILDS, channel=ch))
        return ch

    def channel_updated(self, ch: Channel) -> None:
        name = "THREAD_UPDATE" if ch.is_thread else "CHANNEL_UPDATE"
        self.emit(Event(name, ch.payload(), GUILDS, channel=ch))

    def delete_channel(self, ch: Channel) -> None:
        # Visibility is evaluated before deletion so the bot hears about it.
        payload = ch.payload()
        name = "THREAD_DELETE" if ch.is_thread else "CHANNEL_DELETE"
        if ch.is_thread:
            payload = {k: payload[k] for k in ("id", "guild_id", "parent_id", "type")}
        self.emit(Event(name, payload, GUILDS, channel=ch))
        ch.deleted = True
        guild = self.guild_of(ch)
        if guild is not None and ch.type == 4:
            for child in guild.live_channels():
                if child.parent_id == ch.id:
                    child.parent_id = None
                    self.channel_updated(child)

    def dm_channel(self, user: User) -> Channel:
        assert self.bot is not None
        for ch in self.channels.values():
            if ch.type == 1 and any(u.id == user.id for u in ch.recipients):
                return ch
        ch = Channel(new_snowflake(), 1, recipients=[user])
        self.channels[ch.id] = ch
        return ch

    # ------------------------------------------------------------------ threads
    def create_thread(
        self,
        parent: Channel,
        name: str,
        type: int,
        owner: User,
        *,
        thread_id: int | None = None,
        auto_archive_duration: int = 4320,
        invitable: bool = True,
        applied_tags: list[int] | None = None,
    ) -> Channel:
        guild = self.guild_of(parent)
        assert guild is not None
        th = Channel(
            thread_id or new_snowflake(),
            type,
            name,
            guild.id,
            0,
            parent.id,
            owner_id=owner.id,
            auto_archive_duration=auto_archive_duration,
            invitable=invitable,
            thread_members={owner.id},
            applied_tags=list(applied_tags or []),
        )
        guild.channels[th.id] = th
        self.channels[th.id] = th
        self.emit(
            Event("THREAD_CREATE", {**th.payload(), "newly_created": True}, GUILDS, channel=th)
        )
        return th

    def add_thread_member(self, th: Channel, user_id: int) -> None:
        if user_id in th.thread_members:
            return
        th.thread_members.add(user_id)
        guild = self.guild_of(th)
        member = guild.members.get(user_id) if guild else None
        added = {"id": str(th.id), "user_id": str(user_id), "join_timestamp": iso_now(), "flags": 0}
        if member is not None:
            added["member"] = member.payload()
        self.emit(
            Event(
                "THREAD_MEMBERS_UPDATE",
                {
                    "id": str(th.id),
                    "guild_id": str(th.guild_id),
                    "member_count": len(th.thread_members),
                    "added_members": [added],
                },
                GUILD_MEMBERS,
                channel=th,
            )
        )
        if self.bot is not None and user_id == self.bot.id:
            # Sent even without GUILD_MEMBERS: the current user's own thread membership.
            self.emit(
                Event(
                    "THREAD_MEMBER_UPDATE",
                    {**added, "guild_id": str(th.guild_id)},
                    GUILDS,
                    channel=th,
                )
            )

    def remove_thread_member(self, th: Channel, user_id: int) -> None:
        if user_id not in th.thread_members:
            return
        th.thread_members.discard(user_id)
        self.emit(
            Event(
                "THREAD_MEMBERS_UPDATE",
                {
                    "id": str(th.id),
                    "guild_id": str(th.guild_id),
                    "member_count": len(th.thread_members),
                    "removed_member_ids": [str(user_id)],
                },
                GUILD_MEMBERS,
                channel=th,
            )
        )

    def active_threads(self, guild: Guild) -> list[Channel]:
        return [t for t in guild.live_threads() if not t.archived]

    # ------------------------------------------------------------------ messages
    def post_message(
        self,
        ch: Channel,
        author: User,
        *,
        content: str = "",
        embeds: list[dict[str, Any]] | None = None,
        components: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        flags: int = 0,
        nonce: str | int | None = None,
        type: int = 0,
        message_id: int | None = None,
        ephemeral_for: int | None = None,
        interaction_id: int | None = None,
        webhook_id: int | None = None,
        interaction_metadata: dict[str, Any] | None = None,
        message_reference: dict[str, Any] | None = None,
        allowed_mentions: dict[str, Any] | None = None,
        default_parse: tuple[str, ...] = mentions.PARSE_ALL,
        sender_permissions: int | None = None,
        reply_to: Message | None = None,
        dispatch: bool = True,
    ) -> Message:
        """Store and dispatch a message; mentions follow Discord's allowed-mentions rules
        (see :mod:`mentions`) for a sender holding ``sender_permissions`` in ``ch``."""
        guild = self.guild_of(ch)
        if sender_permissions is None:
            sender_permissions = self.permissions(author.id, ch)
        found = mentions.resolve(
            self,
            ch,
            author,
            content,
            components=components or (),
            allowed=allowed_mentions,
            default_parse=default_parse,
            sender_permissions=sender_permissions,
            reply_to=reply_to,
        )
        if flags & 64:
            found.pinged = {}  # an ephemeral answer notifies nobody
        msg = Message(
            message_id or new_snowflake(),
            ch.id,
            author,
            ch.guild_id,
            content,
            normalise_embeds(embeds),
            normalise_components(components),
            list(attachments or []),
            flags=flags,
            type=type,
            nonce=nonce,
            webhook_id=webhook_id,
            interaction_metadata=interaction_metadata,
            mentions=found.users,
            mention_roles=found.roles,
            mention_everyone=found.everyone,
            pinged=found.pinged,
            default_parse=default_parse,
            message_reference=message_reference,
            ephemeral_for=ephemeral_for,
            interaction_id=interaction_id,
            application_id=webhook_id,
        )
        self.messages.setdefault(ch.id, {})[msg.id] = msg
        if not msg.ephemeral:
            ch.last_message_id = msg.id
            if ch.is_thread:
                ch.message_count += 1
        if dispatch and not msg.ephemeral:
            self.emit(self._message_event("MESSAGE_CREATE", msg, guild))
        return msg

    def _message_event(self, name: str, msg: Message, guild: Guild | None) -> Event:
        member = guild.members.get(msg.author.id) if guild else None
        data = msg.payload(member=member)
        hidden = data
        if self._content_gated(msg):
            hidden = msg.payload(member=member, hide_content=True)
        intent = GUILD_MESSAGES if guild is not None else DIRECT_MESSAGES
        return Event(
            name, data, intent, channel=self.channel(msg.channel_id), without_content=hidden
        )

    def _content_gated(self, msg: Message) -> bool:
        """True when Discord would blank this message for an app without MESSAGE_CONTENT."""
        if self.bot is None or msg.author.id == self.bot.id or msg.guild_id is None:
            return False
        return not any(u.id == self.bot.id for u in msg.mentions)

    def rest_payload(self, msg: Message) -> dict[str, Any]:
        """A message as REST returns it to the bot (content blanked without the intent)."""
        hide = not self.message_content_enabled and self._content_gated(msg)
        return msg.payload(hide_content=hide)

    def edit_message(
        self, msg: Message, changes: dict[str, Any], *, notify: bool = False
    ) -> Message:
        """Apply an edit; ``notify`` for the one edit that does ping: completing a deferred
        ("thinking") interaction response."""
        if "content" in changes or "components" in changes or "allowed_mentions" in changes:
            # An edit re-parses mentions (with the edit's allowed_mentions) but notifies
            # nobody anew: Discord only pings on create.
            ch = self.channels[msg.channel_id]
            found = mentions.resolve(
                self,
                ch,
                msg.author,
                changes.get("content") if changes.get("content") is not None else msg.content,
                components=changes.get("components") or msg.components,
                allowed=changes.get("allowed_mentions"),
                default_parse=msg.default_parse,
                sender_permissions=self.permissions(msg.author.id, ch),
            )
            msg.mentions, msg.mention_roles = found.users, found.roles
            msg.mention_everyone = found.everyone
            if notify and not msg.flags & 64:
                msg.pinged = found.pinged
        for key in ("content", "embeds", "components", "attachments", "flags"):
            if key in changes and changes[key] is not None:
                value = changes[key]
                if key == "embeds":
                    value = normalise_embeds(value)
                elif key == "components":
                    value = normalise_components(value)
                setattr(msg, key, value)
        msg.edited_timestamp = iso_now()
        if not msg.ephemeral:
            self.emit(
                self._message_event(
                    "MESSAGE_UPDATE", msg, self.guild_of(self.channels[msg.channel_id])
                )
            )
        return msg

    def delete_message(self, msg: Message) -> None:
        msg.deleted = True
        if msg.ephemeral:
            return
        ch = self.channels[msg.channel_id]
        data = {"id": str(msg.id), "channel_id": str(ch.id)}
        if ch.guild_id is not None:
            data["guild_id"] = str(ch.guild_id)
        self.emit(
            Event(
                "MESSAGE_DELETE",
                data,
                GUILD_MESSAGES if ch.guild_id else DIRECT_MESSAGES,
                channel=ch,
            )
        )

    def remember_nonce(self, author: User, nonce: str | int, msg: Message) -> None:
        self.nonces[(author.id, str(nonce))] = (msg.id, now())

    def nonce_hit(self, author: User, nonce: str | int, window: float) -> Message | None:
        """The message ``author`` created with ``nonce`` within ``window`` seconds of
        Discord's clock, if it still exists (Create Message: ``enforce_nonce``)."""
        hit = self.nonces.get((author.id, str(nonce)))
        if hit is None or now() - hit[1] > window:
            return None
        return self.find_message(hit[0])
