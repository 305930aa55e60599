"""Discord permission bits and the permission computation algorithm.

Implements the algorithm from Discord's "Permissions" documentation:
guild base permissions (@everyone role + member roles, owner/ADMINISTRATOR
bypass), then channel overwrites in the order @everyone -> roles -> member,
then the implicit rules (no VIEW_CHANNEL => nothing; no SEND_MESSAGES =>
no mention/embeds/attachments). Threads inherit from their parent channel.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import Channel, Guild, Member

CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_AUDIT_LOG = 1 << 7
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
SPEAK = 1 << 21
MUTE_MEMBERS = 1 << 22
DEAFEN_MEMBERS = 1 << 23
MOVE_MEMBERS = 1 << 24
USE_VAD = 1 << 25
CHANGE_NICKNAME = 1 << 26
MANAGE_NICKNAMES = 1 << 27
MANAGE_ROLES = 1 << 28
MANAGE_WEBHOOKS = 1 << 29
USE_APPLICATION_COMMANDS = 1 << 31
REQUEST_TO_SPEAK = 1 << 32
MANAGE_EVENTS = 1 << 33
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
MODERATE_MEMBERS = 1 << 40
CREATE_EVENTS = 1 << 44
PIN_MESSAGES = 1 << 51

ALL = (1 << 53) - 1

#: What Discord gives @everyone in a freshly created guild (roughly).
DEFAULT_EVERYONE = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS
    | SEND_MESSAGES_IN_THREADS
    | CONNECT
    | SPEAK
    | USE_VAD
    | REQUEST_TO_SPEAK
)

#: Permissions the seeded bot role gets: what a partnership bot needs, not ADMINISTRATOR.
DEFAULT_BOT = (
    DEFAULT_EVERYONE
    | MANAGE_CHANNELS
    | MANAGE_ROLES
    | MANAGE_MESSAGES
    | MANAGE_THREADS
    | PIN_MESSAGES
    | MENTION_EVERYONE
    | MANAGE_NICKNAMES
    | KICK_MEMBERS
    | MODERATE_MEMBERS
)

THREAD_TYPES = frozenset({10, 11, 12})


def guild_permissions(guild: Guild, member: Member) -> int:
    """Base (guild-level) permissions of ``member``."""
    if member.user.id == guild.owner_id:
        return ALL
    perms = guild.roles[guild.id].permissions
    for role_id in member.roles:
        role = guild.roles.get(role_id)
        if role is not None:
            perms |= role.permissions
    if perms & ADMINISTRATOR:
        return ALL
    return perms


def _apply_overwrites(guild: Guild, member: Member, channel: Channel, perms: int) -> int:
    everyone = channel.overwrites.get(guild.id)
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for role_id in member.roles:
        ow = channel.overwrites.get(role_id)
        if ow is not None and ow.type == 0:
            allow |= ow.allow
            deny |= ow.deny
    perms = (perms & ~deny) | allow
    own = channel.overwrites.get(member.user.id)
    if own is not None and own.type == 1:
        perms = (perms & ~own.deny) | own.allow
    return perms


def channel_permissions(guild: Guild, member: Member, channel: Channel) -> int:
    """Effective permissions of ``member`` in ``channel`` (threads use their parent)."""
    base = guild_permissions(guild, member)
    if base == ALL:
        perms = ALL
    else:
        target = channel
        if channel.type in THREAD_TYPES and channel.parent_id is not None:
            target = guild_channel(guild, channel.parent_id) or channel
        perms = _apply_overwrites(guild, member, target, base)
        if not perms & VIEW_CHANNEL:
            return 0
        if not perms & SEND_MESSAGES:
            perms &= ~(SEND_TTS_MESSAGES | MENTION_EVERYONE | EMBED_LINKS | ATTACH_FILES)
    if (
        channel.type == 12
        and not perms & MANAGE_THREADS
        and member.user.id not in (channel.thread_members)
    ):
        # A private thread is only visible to its members and thread moderators.
        return 0
    return perms


def guild_channel(guild: Guild, channel_id: int) -> Channel | None:
    ch = guild.channels.get(channel_id)
    return ch


def has(perms: int, *flags: int) -> bool:
    """True when every flag in ``flags`` is set (ADMINISTRATOR implies all)."""
    if perms & ADMINISTRATOR:
        return True
    return all(perms & f == f for f in flags)


def missing(perms: int, flags: Iterable[int]) -> list[int]:
    return [f for f in flags if not has(perms, f)]
