"""In-memory Discord world: users, guilds, roles, channels, messages, interactions.

Objects here are plain dataclasses; ``*_payload`` methods render them exactly the
way Discord's API v10 does (snowflakes as strings, permissions as strings, ISO
timestamps), because discord.py parses these payloads with ``data['key']``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

_increment = itertools.count(1)
_last_ms = 0
_now: Callable[[], float] = time.time


@contextlib.contextmanager
def discord_time(now: Callable[[], float]) -> Iterator[None]:
    """Let Discord's clock (snowflakes, so every ``created_at``, and timestamps) follow
    ``now`` (seconds since the epoch), e.g. a test's manual clock, instead of the wall."""
    global _now, _last_ms
    saved = _now, _last_ms
    _now, _last_ms = now, 0
    try:
        yield
    finally:
        _now, _last_ms = saved


def now() -> float:
    """Discord's clock (seconds since the epoch): the wall, or a test's clock under
    :func:`discord_time`."""
    return _now()


def new_snowflake() -> int:
    """A strictly increasing snowflake based on the current time (Discord's layout)."""
    global _last_ms
    ms = max(int(_now() * 1000), _last_ms)
    _last_ms = ms
    return ((ms - DISCORD_EPOCH_MS) << 22) | (1 << 17) | (next(_increment) & 0xFFF)


def iso_now() -> str:
    return dt.datetime.fromtimestamp(_now(), dt.UTC).isoformat()


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(24)


@dataclass
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    avatar: str | None = None

    @property
    def name(self) -> str:
        """Alias of ``username`` (as discord.py's ``User.name``)."""
        return self.username

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": self.avatar,
            "avatar_decoration_data": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "collectibles": None,
            "primary_guild": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "description": None,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": self.hoist,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }


@dataclass
class Member:
    user: User
    guild_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso_now)
    dm_closed: bool = False

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.username

    def payload(self, *, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        return data


@dataclass
class Overwrite:
    id: int
    type: int  # 0 = role, 1 = member
    allow: int = 0
    deny: int = 0

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


@dataclass
class Channel:
    id: int
    type: int
    name: str | None = None
    guild_id: int | None = None
    position: int = 0
    parent_id: int | None = None
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    topic: str | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    last_message_id: int | None = None
    flags: int = 0
    # DMs
    recipients: list[User] = field(default_factory=list)
    # threads
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 4320
    thread_members: set[int] = field(default_factory=set)
    message_count: int = 0
    applied_tags: list[int] = field(default_factory=list)
    created_at: str = field(default_factory=iso_now)
    archive_timestamp: str | None = None
    # forums
    available_tags: list[dict[str, Any]] = field(default_factory=list)
    default_auto_archive_duration: int | None = None
    # voice and stage
    bitrate: int = 64000
    user_limit: int = 0
    deleted: bool = False

    @property
    def is_thread(self) -> bool:
        return self.type in (10, 11, 12)

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "flags": self.flags,
            "last_message_id": _opt_str(self.last_message_id),
        }
        if self.type in (1, 3):
            data["recipients"] = [u.payload() for u in self.recipients]
            return data
        data.update(
            guild_id=_opt_str(self.guild_id),
            name=self.name,
            parent_id=_opt_str(self.parent_id),
            rate_limit_per_user=self.rate_limit_per_user,
        )
        if self.is_thread:
            data.update(
                owner_id=_opt_str(self.owner_id),
                message_count=self.message_count,
                total_message_sent=self.message_count,
                member_count=min(len(self.thread_members), 50),
                applied_tags=[str(t) for t in self.applied_tags],
                thread_metadata={
                    "archived": self.archived,
                    "archive_timestamp": self.archive_timestamp or self.created_at,
                    "auto_archive_duration": self.auto_archive_duration,
                    "locked": self.locked,
                    "create_timestamp": self.created_at,
                    **({"invitable": self.invitable} if self.type == 12 else {}),
                },
            )
            return data
        data.update(
            position=self.position,
            permission_overwrites=[o.payload() for o in self.overwrites.values()],
            nsfw=self.nsfw,
        )
        if self.type in (0, 5, 15, 16):
            data["topic"] = self.topic
        if self.default_auto_archive_duration is not None:
            data["default_auto_archive_duration"] = self.default_auto_archive_duration
        if self.type in (15, 16):
            data.update(
                available_tags=self.available_tags,
                default_reaction_emoji=None,
                default_thread_rate_limit_per_user=0,
                default_sort_order=None,
                default_forum_layout=0,
            )
        if self.type in (2, 13):
            data.update(bitrate=self.bitrate, user_limit=self.user_limit, rtc_region=None)
        return data


@dataclass
class Message:
    id: int
    channel_id: int
    author: User
    guild_id: int | None = None
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None
    pinned: bool = False
    pinned_at: str | None = None
    flags: int = 0
    type: int = 0
    nonce: str | int | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    mentions: list[User] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    #: who this message notified and why ("user", "role", "everyone", "here", "reply")
    pinged: dict[int, str] = field(default_factory=dict)
    #: what Discord parses when a request has no allowed_mentions (differs for webhooks)
    default_parse: tuple[str, ...] = ("users", "roles", "everyone")
    message_reference: dict[str, Any] | None = None
    #: user id that may see this message (ephemeral interaction responses)
    ephemeral_for: int | None = None
    #: the interaction this message answers (original response or follow-up)
    interaction_id: int | None = None
    deleted: bool = False

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    def payload(
        self, *, member: Member | None = None, hide_content: bool = False
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.payload(),
            "content": "" if hide_content else self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": False,
            "mention_everyone": self.mention_everyone,
            "mentions": [u.payload() for u in self.mentions],
            "mention_roles": [str(r) for r in self.mention_roles],
            "attachments": [] if hide_content else self.attachments,
            "embeds": [] if hide_content else self.embeds,
            "components": [] if hide_content else self.components,
            "pinned": self.pinned,
            "type": self.type,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if member is not None:
            data["member"] = member.payload(with_user=False)
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            data["application_id"] = str(self.application_id)
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
        if self.message_reference is not None:
            data["message_reference"] = self.message_reference
        return data


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    scheduled_events: dict[int, ScheduledEvent] = field(default_factory=dict)

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    def payload(self) -> dict[str, Any]:
        """REST ``GET /guilds/{id}`` shape (no members/channels)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_members": 500000,
            "max_presences": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "nsfw": False,
            "premium_progress_bar_enabled": False,
            "home_header": None,
            "widget_channel_id": None,
            "incidents_data": None,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "region": "deprecated",
        }

    def live_events(self) -> list[ScheduledEvent]:
        return [e for e in self.scheduled_events.values() if not e.deleted]

    def live_channels(self) -> list[Channel]:
        return [c for c in self.channels.values() if not c.deleted and not c.is_thread]

    def live_threads(self) -> list[Channel]:
        return [c for c in self.channels.values() if not c.deleted and c.is_thread]


@dataclass
class ScheduledEvent:
    """A guild scheduled event (Guild Scheduled Event resource) and who is interested."""

    id: int
    guild_id: int
    name: str
    entity_type: int  # 1 stage instance, 2 voice, 3 external
    scheduled_start_time: str
    creator: User
    channel_id: int | None = None
    scheduled_end_time: str | None = None
    description: str | None = None
    entity_metadata: dict[str, Any] | None = None
    privacy_level: int = 2
    status: int = 1  # 1 scheduled, 2 active, 3 completed, 4 canceled
    image: str | None = None
    recurrence_rule: dict[str, Any] | None = None
    #: user ids that marked the event "Interested", in the order they did
    interested: list[int] = field(default_factory=list)
    deleted: bool = False

    @property
    def finished(self) -> bool:
        return self.status in (3, 4)

    def payload(self, *, with_user_count: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "guild_id": str(self.guild_id),
            "name": self.name,
            "description": self.description,
            "channel_id": _opt_str(self.channel_id),
            "creator_id": str(self.creator.id),
            "creator": self.creator.payload(),
            "image": self.image,
            "scheduled_start_time": self.scheduled_start_time,
            "scheduled_end_time": self.scheduled_end_time,
            "status": self.status,
            "entity_type": self.entity_type,
            "entity_id": None,
            "recurrence_rule": self.recurrence_rule,
            "privacy_level": self.privacy_level,
            "guild_scheduled_event_exceptions": [],
            "entity_metadata": self.entity_metadata if self.entity_type == 3 else None,
        }
        if with_user_count:
            data["user_count"] = len(self.interested)
        return data


@dataclass
class Interaction:
    """A pending/answered interaction, with everything the bot did in reply."""

    id: int
    token: str
    type: int
    guild_id: int | None
    channel_id: int
    user: User
    data: dict[str, Any]
    created: float = field(default_factory=time.monotonic)
    message_id: int | None = None  # the component's message
    acknowledged: bool = False
    response_type: int | None = None
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    #: raw callback bodies the bot sent, in order
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    #: for a modal submit: the interaction the modal answered
    triggered_by: Interaction | None = None

    def metadata(self) -> dict[str, Any]:
        """The message's ``interaction_metadata`` for a response to this interaction."""
        meta: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "user": self.user.payload(),
            "authorizing_integration_owners": {"0": str(self.guild_id)}
            if self.guild_id
            else {"1": str(self.user.id)},
        }
        if self.type == 2:
            meta["name"] = self.data.get("name")
        if self.message_id is not None and self.type == 3:
            meta["interacted_message_id"] = str(self.message_id)
        if self.type == 5 and self.triggered_by is not None:
            meta["triggering_interaction_metadata"] = self.triggered_by.metadata()
        return meta


def _opt_str(value: int | None) -> str | None:
    return None if value is None else str(value)


# --------------------------------------------------------------------------- stored shapes
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})


def normalise_embeds(embeds: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Embeds as Discord stores them: ``type`` is always ``rich`` for what a bot sends
    (Create Message: "it will be `rich` regardless"), fields carry ``inline``."""
    out = []
    for embed in embeds or []:
        stored = {k: v for k, v in embed.items() if k not in ("provider", "video")}
        stored["type"] = "rich"
        if "fields" in stored:
            stored["fields"] = [{"inline": False, **f} for f in stored["fields"] or []]
        out.append(stored)
    return out


def normalise_components(components: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Components as Discord stores them: every component gets a numeric ``id``
    (Component Reference, "Anatomy of a Component": generated sequentially when left
    empty, never reusing an id the message already has; ``0`` counts as empty), and
    selects their default ``min_values``/``max_values`` of 1."""
    copied = _deep_copy(components or [])
    taken: set[int] = set()

    def collect(items: list[Any]) -> None:
        for c in items:
            if isinstance(c, dict):
                if isinstance(c.get("id"), int) and c["id"] > 0:
                    taken.add(c["id"])
                for child in _children(c):
                    collect([child])

    collect(copied)
    counter = itertools.count(1)

    def assign(items: list[Any]) -> None:
        for c in items:
            if not isinstance(c, dict):
                continue
            if not (isinstance(c.get("id"), int) and c["id"] > 0):
                n = next(counter)
                while n in taken:
                    n = next(counter)
                c["id"] = n
                taken.add(n)
            if c.get("type") in SELECT_TYPES:
                c.setdefault("min_values", 1)
                c.setdefault("max_values", 1)
            for child in _children(c):
                assign([child])

    assign(copied)
    return copied


def _children(component: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(component.get("components") or [])
    for key in ("accessory", "component"):
        if isinstance(component.get(key), dict):
            found.append(component[key])
    return found


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
