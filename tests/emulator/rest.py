"""REST v10 core: router, request Context, and users/gateway/guilds/channels/members/roles.

Handlers receive a :class:`Context` and return ``(status, payload)`` or raise
:class:`ApiError`. Routes are keyed by the spec's path templates so the
transcript, spec validation and rate-limit buckets all use the same names.
Messages, pins and threads live in :mod:`rest_messages`; interactions and webhooks in
:mod:`rest_interactions`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import errors as E
from . import permissions as P
from .errors import ApiError, invalid_form
from .spec import PathIndex
from .state import Channel, Guild, Member, Overwrite, User, iso_now, new_snowflake

if TYPE_CHECKING:
    from .server import DiscordEmulator
    from .world import World

Result = tuple[int, Any]
Handler = Callable[["Context"], Awaitable[Result]]


@dataclass
class Route:
    method: str
    template: str
    handler: Handler
    auth: bool = True


@dataclass
class Router:
    routes: dict[tuple[str, str], Route] = field(default_factory=dict)
    _index: PathIndex | None = None

    def add(self, method: str, template: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.routes[(method, template)] = Route(method, template, fn, auth)
            self._index = None
            return fn

        return deco

    def match(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        if self._index is None:
            self._index = PathIndex(sorted({t for _, t in self.routes}))
        found = self._index.match(path)
        if found is None or (method, found[0]) not in self.routes:
            # another template might match with this method (e.g. literal vs param)
            for m, t in self.routes:
                if m == method and re.fullmatch(_rx(t), path):
                    return t, re.fullmatch(_rx(t), path).groupdict()  # type: ignore[union-attr]
            return None
        return found


def _rx(template: str) -> str:
    return re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))


ROUTER = Router()
route = ROUTER.add


@dataclass
class Context:
    emu: DiscordEmulator
    request: web.Request
    method: str
    path: str
    template: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    files: list[dict[str, Any]]

    @property
    def world(self) -> World:
        return self.emu.world

    @property
    def bot(self) -> User:
        assert self.world.bot is not None
        return self.world.bot

    @property
    def json(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}

    def snowflake(self, name: str, unknown: tuple[int, int, str]) -> int:
        try:
            return int(self.params[name])
        except (KeyError, ValueError):
            raise ApiError(unknown) from None

    def guild(self) -> Guild:
        gid = self.snowflake("guild_id", E.UNKNOWN_GUILD)
        guild = self.world.guilds.get(gid)
        if guild is None or self.bot.id not in guild.members:
            raise ApiError(E.UNKNOWN_GUILD)
        return guild

    def channel(self, name: str = "channel_id") -> Channel:
        ch = self.world.channel(self.snowflake(name, E.UNKNOWN_CHANNEL))
        if ch is None:
            raise ApiError(E.UNKNOWN_CHANNEL)
        if ch.guild_id is None and ch.type == 1:
            return ch
        if not self.world.can_view(self.bot.id, ch):
            raise ApiError(E.MISSING_ACCESS)
        return ch

    def perms(self, ch: Channel) -> int:
        return self.world.permissions(self.bot.id, ch)

    def require(self, ch: Channel, *flags: int) -> int:
        perms = self.perms(ch)
        if not P.has(perms, *flags):
            raise ApiError(E.MISSING_PERMISSIONS)
        return perms

    def guild_perms(self, guild: Guild) -> int:
        return P.guild_permissions(guild, guild.members[self.bot.id])

    def int_query(self, name: str, default: int, lo: int, hi: int) -> int:
        raw = self.query.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise invalid_form([(name, "NUMBER_TYPE_COERCE", "Value is not int.")]) from None
        if not lo <= value <= hi:
            raise invalid_form([(name, "NUMBER_TYPE_MAX", f"Must be between {lo} and {hi}.")])
        return value


# =========================================================================== users / meta
@route("GET", "/users/@me")
async def get_me(ctx: Context) -> Result:
    return 200, ctx.emu.bot_user_payload()


@route("GET", "/users/{user_id}")
async def get_user(ctx: Context) -> Result:
    user = ctx.world.users.get(ctx.snowflake("user_id", E.UNKNOWN_USER))
    if user is None:
        raise ApiError(E.UNKNOWN_USER)
    return 200, user.payload()


@route("GET", "/users/@me/guilds")
async def my_guilds(ctx: Context) -> Result:
    out = []
    for g in ctx.world.guilds.values():
        if ctx.bot.id in g.members:
            out.append(
                {
                    "id": str(g.id),
                    "name": g.name,
                    "icon": None,
                    "banner": None,
                    "owner": False,
                    "permissions": str(ctx.guild_perms(g)),
                    "features": [],
                }
            )
    return 200, out


@route("GET", "/oauth2/applications/@me")
async def application_info(ctx: Context) -> Result:
    emu = ctx.emu
    return 200, {
        "id": str(emu.application_id),
        "name": ctx.bot.username,
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "hook": True,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": emu.application_flags,
        "flags_new": str(emu.application_flags),
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "eligible_oauth2_scopes": [],
        "owner": emu.owner.payload(),
        "team": None,
        "bot": ctx.bot.payload(),
        "approximate_guild_count": len(emu.world.guilds),
        "approximate_user_install_count": 0,
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "event_webhooks_url": None,
        "event_webhooks_status": 1,
        "redirect_uris": [],
        "tags": [],
        "integration_types_config": {"0": {}},
        "is_monetized": False,
        "storefront_available": False,
    }


@route("GET", "/gateway")
async def gateway(ctx: Context) -> Result:
    return 200, {"url": ctx.emu.gateway_url}


@route("GET", "/gateway/bot")
async def gateway_bot(ctx: Context) -> Result:
    return 200, {
        "url": ctx.emu.gateway_url,
        "shards": 1,
        "session_start_limit": {
            "total": 1000,
            "remaining": 999,
            "reset_after": 86_400_000,
            "max_concurrency": 1,
        },
    }


@route("POST", "/users/@me/channels")
async def create_dm(ctx: Context) -> Result:
    rid = ctx.json.get("recipient_id")
    user = ctx.world.users.get(int(rid)) if str(rid).isdigit() else None
    if user is None:
        raise ApiError(E.UNKNOWN_USER)
    return 200, ctx.world.dm_channel(user).payload()


# =========================================================================== guilds
@route("GET", "/guilds/{guild_id}")
async def get_guild(ctx: Context) -> Result:
    guild = ctx.guild()
    data = guild.payload()
    if ctx.query.get("with_counts") in ("true", "True", "1"):
        data["approximate_member_count"] = len(guild.members)
        data["approximate_presence_count"] = 0
    return 200, data


@route("GET", "/guilds/{guild_id}/channels")
async def guild_channels(ctx: Context) -> Result:
    guild = ctx.guild()
    return 200, [c.payload() for c in guild.live_channels()]


@route("GET", "/guilds/{guild_id}/threads/active")
async def active_threads(ctx: Context) -> Result:
    guild = ctx.guild()
    threads = [t for t in ctx.world.active_threads(guild) if ctx.world.can_view(ctx.bot.id, t)]
    members = [
        {"id": str(t.id), "user_id": str(ctx.bot.id), "join_timestamp": t.created_at, "flags": 0}
        for t in threads
        if ctx.bot.id in t.thread_members
    ]
    # The spec requires has_more here too (the docs list only threads and members).
    return 200, {"threads": [t.payload() for t in threads], "members": members, "has_more": False}


def _parse_overwrites(ctx: Context, guild: Guild, raw: Any) -> list[Overwrite]:
    out = []
    for i, ow in enumerate(raw or []):
        try:
            oid = int(ow["id"])
            otype = int(ow.get("type") if ow.get("type") is not None else 0)
            allow, deny = int(ow.get("allow") or 0), int(ow.get("deny") or 0)
        except (KeyError, TypeError, ValueError):
            raise invalid_form(
                [
                    (
                        f"permission_overwrites.{i}",
                        "BASE_TYPE_INVALID",
                        "Invalid permission overwrite.",
                    )
                ]
            ) from None
        if (otype == 0 and oid not in guild.roles) or (otype == 1 and oid not in ctx.world.users):
            raise invalid_form(
                [
                    (
                        f"permission_overwrites.{i}.id",
                        "UNKNOWN_OVERWRITE_TARGET",
                        "Unknown role or user for overwrite.",
                    )
                ]
            )
        out.append(Overwrite(oid, otype, allow, deny))
    return out


def _changed_bits(old: Overwrite | None, new: Overwrite) -> int:
    """The bits an overwrite request allows or denies anew (or stops allowing/denying)."""
    if old is None:
        return new.allow | new.deny
    return (old.allow ^ new.allow) | (old.deny ^ new.deny)


def _manage_roles_overwrite(guild: Guild, member: Member, channel: Channel) -> bool:
    """True when an overwrite in ``channel`` allows MANAGE_ROLES ("Manage Permissions") to
    ``member``: its own member overwrite, one of its roles', or @everyone's."""
    for ow in channel.overwrites.values():
        applies = (ow.type == 1 and ow.id == member.id) or (
            ow.type == 0 and (ow.id == guild.id or ow.id in member.roles)
        )
        if applies and ow.allow & P.MANAGE_ROLES:
            return True
    return False


def _check_overwrites_on_create(ctx: Context, guild: Guild, overwrites: list[Overwrite]) -> None:
    """Create Guild Channel: "only permissions your bot has in the guild can be
    allowed/denied. Setting MANAGE_ROLES permission in channels is only possible for guild
    administrators" (Guild resource; change log 2021-01-22)."""
    if not overwrites:
        return
    gperms = ctx.guild_perms(guild)
    if gperms == P.ALL:  # administrator (or owner)
        return
    if not gperms & P.MANAGE_ROLES:
        raise ApiError(E.MISSING_PERMISSIONS)
    for ow in overwrites:
        bits = ow.allow | ow.deny
        if bits & P.MANAGE_ROLES or bits & ~gperms:
            raise ApiError(E.MISSING_PERMISSIONS)


def _check_overwrites_on_edit(
    ctx: Context, guild: Guild, channel: Channel, overwrites: list[Overwrite]
) -> None:
    """Modify Channel / Edit Channel Permissions: MANAGE_ROLES is required; "only
    permissions your bot has in the guild or parent channel (if applicable) can be
    allowed/denied (unless your bot has a MANAGE_ROLES overwrite in the channel)"; setting
    MANAGE_ROLES itself only for administrators or with that overwrite (change log
    2021-01-22). Only what a request changes is checked; removals need MANAGE_ROLES only."""
    gperms = ctx.guild_perms(guild)
    if gperms == P.ALL:
        return
    if not P.has(ctx.perms(channel), P.MANAGE_ROLES):
        raise ApiError(E.MISSING_PERMISSIONS)
    me = guild.members[ctx.bot.id]
    if _manage_roles_overwrite(guild, me, channel):
        return
    held = gperms
    parent = ctx.world.channel(channel.parent_id) if channel.parent_id else None
    if parent is not None:
        held |= ctx.perms(parent)
    for ow in overwrites:
        changed = _changed_bits(channel.overwrites.get(ow.id), ow)
        if changed & P.MANAGE_ROLES or changed & ~held:
            raise ApiError(E.MISSING_PERMISSIONS)


@route("POST", "/guilds/{guild_id}/channels")
async def create_channel(ctx: Context) -> Result:
    guild = ctx.guild()
    body = ctx.json
    ctype = body.get("type") or 0
    if ctype not in (0, 2, 4, 5, 13, 14, 15, 16):
        raise invalid_form(
            [("type", "BASE_TYPE_CHOICES", "Value must be one of {0, 2, 4, 5, 13, 14, 15, 16}.")]
        )
    parent = None
    if body.get("parent_id") is not None:
        parent = ctx.world.channel(int(body["parent_id"]))
        if parent is None or parent.guild_id != guild.id or parent.type != 4 or ctype == 4:
            raise invalid_form(
                [("parent_id", "CHANNEL_PARENT_INVALID", "Category does not exist.")]
            )
    perms = ctx.perms(parent) if parent is not None else ctx.guild_perms(guild)
    if not P.has(perms, P.MANAGE_CHANNELS):
        raise ApiError(E.MISSING_PERMISSIONS)
    overwrites = _parse_overwrites(ctx, guild, body.get("permission_overwrites"))
    _check_overwrites_on_create(ctx, guild, overwrites)
    if len(guild.live_channels()) >= ctx.emu.max_guild_channels:
        raise ApiError(
            E.MAX_CHANNELS,
            message=f"Maximum number of guild channels reached ({ctx.emu.max_guild_channels})",
        )
    if parent is not None:
        n = sum(1 for c in guild.live_channels() if c.parent_id == parent.id)
        if n >= ctx.emu.max_category_channels:
            raise invalid_form(
                [
                    (
                        "parent_id",
                        "CHANNEL_PARENT_MAX_CHANNELS",
                        f"Maximum number of channels in category reached "
                        f"({ctx.emu.max_category_channels})",
                    )
                ]
            )
    if parent is not None and not body.get("permission_overwrites"):
        # Discord syncs a new child's overwrites with its category when none are given
        # (discord.py sends an empty list in that case).
        overwrites = [Overwrite(o.id, o.type, o.allow, o.deny) for o in parent.overwrites.values()]
    flags = _channel_flags(ctype, body.get("flags"))
    ch = ctx.world.create_channel(
        guild,
        body.get("name", ""),
        ctype,
        parent_id=parent.id if parent else None,
        overwrites=overwrites,
        topic=body.get("topic"),
        position=body.get("position"),
        nsfw=bool(body.get("nsfw")),
        rate_limit_per_user=body.get("rate_limit_per_user") or 0,
        available_tags=forum_tags(body.get("available_tags"), []),
        flags=flags,
        default_auto_archive_duration=body.get("default_auto_archive_duration"),
    )
    return 201, ch.payload()


REQUIRE_TAG = 1 << 4
PINNED_THREAD = 1 << 1
FORUM_TYPES = (15, 16)


def _channel_flags(ctype: int, raw: Any) -> int:
    """Channel flags a request may set: REQUIRE_TAG only on forum and media channels
    (Channel resource, "Channel Flags")."""
    flags = int(raw or 0)
    if flags & REQUIRE_TAG and ctype not in FORUM_TYPES:
        raise invalid_form(
            [("flags", "CHANNEL_FLAGS_INVALID", "REQUIRE_TAG is only for forum channels.")]
        )
    return flags


def forum_tags(raw: Any, existing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``available_tags`` of a create or edit, as stored (Channel resource, "Forum Tag
    Object"): names of 0-20 characters, unique (40061); at most one of ``emoji_id`` and
    ``emoji_name``; a tag sent with a known ``id`` keeps it, others get a new one."""
    known = {str(t["id"]) for t in existing}
    tags: list[dict[str, Any]] = []
    names: set[str] = set()
    for i, tag in enumerate(raw or []):
        if not isinstance(tag, dict):
            continue
        name = str(tag.get("name") or "")
        if len(name) > 20:
            raise invalid_form(
                [(f"available_tags.{i}.name", "BASE_TYPE_MAX_LENGTH", "Must be 20 or fewer.")]
            )
        if name in names:
            raise ApiError(E.TAG_NAMES_UNIQUE)
        names.add(name)
        if tag.get("emoji_id") and tag.get("emoji_name"):
            raise invalid_form(
                [
                    (
                        f"available_tags.{i}",
                        "TAG_EMOJI_EXCLUSIVE",
                        "Only one of emoji_id and emoji_name may be set.",
                    )
                ]
            )
        tid = str(tag["id"]) if tag.get("id") is not None and str(tag["id"]) in known else None
        tags.append(
            {
                "id": tid or str(new_snowflake()),
                "name": name,
                "moderated": bool(tag.get("moderated")),
                "emoji_id": str(tag["emoji_id"]) if tag.get("emoji_id") else None,
                "emoji_name": tag.get("emoji_name") or None,
            }
        )
    return tags


def check_applied_tags(
    ctx: Context, forum: Channel, raw: Any, perms: int, field_name: str = "applied_tags"
) -> list[int]:
    """``applied_tags`` of a forum post or post edit: known tags of that forum, moderated
    ones only with MANAGE_THREADS, and at least one when the forum has REQUIRE_TAG (40067,
    "A tag is required to create a forum post in this channel")."""
    tags = {int(t["id"]): t for t in forum.available_tags}
    applied = [int(t) for t in raw or []]
    for i, tid in enumerate(applied):
        if tid not in tags:
            raise invalid_form([(f"{field_name}.{i}", "BASE_TYPE_CHOICES", "Unknown tag.")])
        if tags[tid]["moderated"] and not P.has(perms, P.MANAGE_THREADS):
            raise ApiError(E.MISSING_PERMISSIONS)
    if forum.flags & REQUIRE_TAG and not applied:
        raise ApiError(E.TAG_REQUIRED)
    return applied


# =========================================================================== channels
@route("GET", "/channels/{channel_id}")
async def get_channel(ctx: Context) -> Result:
    return 200, ctx.channel().payload()


@route("PATCH", "/channels/{channel_id}")
async def edit_channel(ctx: Context) -> Result:
    ch = ctx.channel()
    body = ctx.json
    guild = ctx.world.guild_of(ch)
    if guild is None:
        raise ApiError(E.WRONG_CHANNEL_TYPE)
    if ch.is_thread:
        return _edit_thread(ctx, ch, body)
    ctx.require(ch, P.MANAGE_CHANNELS)
    if "permission_overwrites" in body:
        overwrites = _parse_overwrites(ctx, guild, body["permission_overwrites"])
        _check_overwrites_on_edit(ctx, guild, ch, overwrites)
        ch.overwrites = {o.id: o for o in overwrites}
    if "parent_id" in body:
        pid = body["parent_id"]
        if pid is not None:
            parent = ctx.world.channel(int(pid))
            if parent is None or parent.type != 4 or parent.guild_id != guild.id:
                raise invalid_form(
                    [("parent_id", "CHANNEL_PARENT_INVALID", "Category does not exist.")]
                )
        ch.parent_id = int(pid) if pid is not None else None
    if body.get("name") is not None:
        name = body["name"]
        ch.name = re.sub(r"\s+", "-", name.strip()).lower() if ch.type in (0, 5, 15) else name
    for key in ("topic", "nsfw", "rate_limit_per_user", "position"):
        if key in body and body[key] is not None:
            setattr(ch, key, body[key])
    if body.get("flags") is not None:
        ch.flags = _channel_flags(ch.type, body["flags"])
    if "available_tags" in body and body["available_tags"] is not None:
        if ch.type not in FORUM_TYPES:
            raise ApiError(E.WRONG_CHANNEL_TYPE)
        ch.available_tags = forum_tags(body["available_tags"], ch.available_tags)
    if "default_auto_archive_duration" in body:
        ch.default_auto_archive_duration = body["default_auto_archive_duration"]
    ctx.world.channel_updated(ch)
    return 200, ch.payload()


def _edit_thread(ctx: Context, th: Channel, body: dict[str, Any]) -> Result:
    """Modify Channel (Thread) and the Threads topic, "Editing & Deleting Threads": name,
    archived, auto_archive_duration (and tags) need MANAGE_THREADS or being the creator;
    locked and rate_limit_per_user need MANAGE_THREADS; unarchiving a thread that stays
    locked needs the creator or MANAGE_THREADS; an archived thread only takes unarchiving
    (50083 otherwise)."""
    perms = ctx.perms(th)
    moderator = P.has(perms, P.MANAGE_THREADS)
    creator = th.owner_id == ctx.bot.id
    given = {k for k, v in body.items() if v is not None}
    if given & {"locked", "rate_limit_per_user"} and not moderator:
        raise ApiError(E.MISSING_PERMISSIONS)
    owner_fields = {"name", "auto_archive_duration", "applied_tags", "invitable", "flags"}
    if given & owner_fields and not (moderator or creator):
        raise ApiError(E.MISSING_PERMISSIONS)
    if "archived" in given:
        unarchiving = body["archived"] is False
        stays_locked = th.locked and body.get("locked") is not False
        if unarchiving and not stays_locked:
            ok = moderator or creator or P.has(perms, P.SEND_MESSAGES_IN_THREADS)
        else:
            ok = moderator or creator
        if not ok:
            raise ApiError(E.MISSING_PERMISSIONS)
    if th.archived and body.get("archived") is not False and not given <= {"archived", "locked"}:
        raise ApiError(E.THREAD_ARCHIVED)
    if "invitable" in given and th.type != 12:
        raise invalid_form(
            [("invitable", "THREAD_INVITABLE_INVALID", "Only private threads are invitable.")]
        )
    parent = ctx.world.channel(th.parent_id or 0)
    if "applied_tags" in body:
        if parent is None or parent.type not in FORUM_TYPES:
            raise ApiError(E.WRONG_CHANNEL_TYPE)
        th.applied_tags = check_applied_tags(ctx, parent, body["applied_tags"], perms)
    if "flags" in given:
        flags = int(body["flags"])
        if flags & PINNED_THREAD and (parent is None or parent.type not in FORUM_TYPES):
            raise invalid_form(
                [("flags", "CHANNEL_FLAGS_INVALID", "PINNED is only for forum posts.")]
            )
        th.flags = flags
    for key in ("name", "archived", "locked", "invitable", "auto_archive_duration"):
        if key in given:
            setattr(th, key, body[key])
    if "rate_limit_per_user" in given:
        th.rate_limit_per_user = body["rate_limit_per_user"]
    if "archived" in given:
        th.archive_timestamp = iso_now()
    ctx.world.channel_updated(th)
    return 200, th.payload()


@route("DELETE", "/channels/{channel_id}")
async def delete_channel(ctx: Context) -> Result:
    ch = ctx.channel()
    if ch.guild_id is None:
        return 200, ch.payload()
    ctx.require(ch, P.MANAGE_THREADS if ch.is_thread else P.MANAGE_CHANNELS)
    payload = ch.payload()
    ctx.world.delete_channel(ch)
    return 200, payload


@route("PUT", "/channels/{channel_id}/permissions/{overwrite_id}")
async def put_overwrite(ctx: Context) -> Result:
    ch = ctx.channel()
    guild = ctx.world.guild_of(ch)
    if guild is None or ch.is_thread:
        raise ApiError(E.WRONG_CHANNEL_TYPE)
    oid = ctx.snowflake("overwrite_id", E.UNKNOWN_ROLE)
    body = ctx.json
    [ow] = _parse_overwrites(ctx, guild, [{**body, "id": oid}])
    _check_overwrites_on_edit(ctx, guild, ch, [ow])
    ch.overwrites[oid] = ow
    ctx.world.channel_updated(ch)
    return 204, None


@route("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}")
async def delete_overwrite(ctx: Context) -> Result:
    ch = ctx.channel()
    guild = ctx.world.guild_of(ch)
    if guild is None:
        raise ApiError(E.WRONG_CHANNEL_TYPE)
    if not P.has(ctx.perms(ch), P.MANAGE_ROLES):
        raise ApiError(E.MISSING_PERMISSIONS)
    if ch.overwrites.pop(ctx.snowflake("overwrite_id", E.UNKNOWN_ROLE), None) is not None:
        ctx.world.channel_updated(ch)
    return 204, None


@route("POST", "/channels/{channel_id}/typing")
async def typing(ctx: Context) -> Result:
    ch = ctx.channel()
    ctx.require(ch, P.SEND_MESSAGES_IN_THREADS if ch.is_thread else P.SEND_MESSAGES)
    return 204, None


# =========================================================================== members / roles
def _member(ctx: Context, guild: Guild) -> Member:
    uid = ctx.snowflake("user_id", E.UNKNOWN_USER)
    member = guild.members.get(uid)
    if member is None:
        raise ApiError(E.UNKNOWN_MEMBER if uid in ctx.world.users else E.UNKNOWN_USER)
    return member


@route("GET", "/guilds/{guild_id}/members")
async def list_members(ctx: Context) -> Result:
    from .world import GUILD_MEMBERS

    guild = ctx.guild()
    if GUILD_MEMBERS not in ctx.emu.privileged_intents:
        raise ApiError(E.MISSING_ACCESS)
    limit = ctx.int_query("limit", 1, 1, 1000)
    after = int(ctx.query.get("after", 0))
    members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
    return 200, [m.payload() for m in members[:limit]]


@route("GET", "/guilds/{guild_id}/members/{user_id}")
async def get_member(ctx: Context) -> Result:
    guild = ctx.guild()
    return 200, _member(ctx, guild).payload()


def _top_position(guild: Guild, member: Member) -> int:
    if member.id == guild.owner_id:
        return 1 << 30
    return max((guild.roles[r].position for r in member.roles if r in guild.roles), default=0)


def _can_manage_role(ctx: Context, guild: Guild, role_id: int) -> None:
    role = guild.roles.get(role_id)
    if role is None:
        raise ApiError(E.UNKNOWN_ROLE)
    if not P.has(ctx.guild_perms(guild), P.MANAGE_ROLES):
        raise ApiError(E.MISSING_PERMISSIONS)
    if (
        role.position >= _top_position(guild, guild.members[ctx.bot.id])
        or role.managed
        or role.id == guild.id
    ):
        raise ApiError(E.MISSING_PERMISSIONS)


@route("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
async def add_member_role(ctx: Context) -> Result:
    guild = ctx.guild()
    member = _member(ctx, guild)
    rid = ctx.snowflake("role_id", E.UNKNOWN_ROLE)
    _can_manage_role(ctx, guild, rid)
    if rid not in member.roles:
        member.roles.append(rid)
        ctx.world.member_updated(guild, member)
    return 204, None


@route("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
async def remove_member_role(ctx: Context) -> Result:
    guild = ctx.guild()
    member = _member(ctx, guild)
    rid = ctx.snowflake("role_id", E.UNKNOWN_ROLE)
    _can_manage_role(ctx, guild, rid)
    if rid in member.roles:
        member.roles.remove(rid)
        ctx.world.member_updated(guild, member)
    return 204, None


@route("PATCH", "/guilds/{guild_id}/members/{user_id}")
async def edit_member(ctx: Context) -> Result:
    guild = ctx.guild()
    member = _member(ctx, guild)
    body = ctx.json
    if "roles" in body and body["roles"] is not None:
        new = [int(r) for r in body["roles"]]
        for rid in set(new) ^ set(member.roles):
            _can_manage_role(ctx, guild, rid)
        member.roles = new
    if "nick" in body:
        if not P.has(ctx.guild_perms(guild), P.MANAGE_NICKNAMES):
            raise ApiError(E.MISSING_PERMISSIONS)
        member.nick = body["nick"]
    ctx.world.member_updated(guild, member)
    return 200, member.payload()


@route("DELETE", "/guilds/{guild_id}/members/{user_id}")
async def kick_member(ctx: Context) -> Result:
    guild = ctx.guild()
    member = _member(ctx, guild)
    if not P.has(ctx.guild_perms(guild), P.KICK_MEMBERS) or _top_position(
        guild, member
    ) >= _top_position(guild, guild.members[ctx.bot.id]):
        raise ApiError(E.MISSING_PERMISSIONS)
    ctx.world.remove_member(guild, member.id)
    return 204, None


@route("GET", "/guilds/{guild_id}/roles")
async def list_roles(ctx: Context) -> Result:
    guild = ctx.guild()
    return 200, [r.payload() for r in guild.roles.values()]


@route("POST", "/guilds/{guild_id}/roles")
async def create_role(ctx: Context) -> Result:
    guild = ctx.guild()
    gperms = ctx.guild_perms(guild)
    if not P.has(gperms, P.MANAGE_ROLES):
        raise ApiError(E.MISSING_PERMISSIONS)
    body = ctx.json
    perms = int(body.get("permissions") or guild.everyone.permissions)
    if perms & ~gperms and not gperms & P.ADMINISTRATOR:
        raise ApiError(E.MISSING_PERMISSIONS)
    if len(guild.roles) >= 250:
        raise ApiError(E.MAX_ROLES)
    role = ctx.world.create_role(
        guild,
        body.get("name") or "new role",
        perms,
        color=body.get("color") or 0,
        hoist=bool(body.get("hoist")),
        mentionable=bool(body.get("mentionable")),
    )
    return 200, role.payload()


@route("PATCH", "/guilds/{guild_id}/roles/{role_id}")
async def edit_role(ctx: Context) -> Result:
    from .world import GUILDS, Event

    guild = ctx.guild()
    rid = ctx.snowflake("role_id", E.UNKNOWN_ROLE)
    if rid == guild.id:
        if not P.has(ctx.guild_perms(guild), P.MANAGE_ROLES):
            raise ApiError(E.MISSING_PERMISSIONS)
    else:
        _can_manage_role(ctx, guild, rid)
    role = guild.roles.get(rid)
    if role is None:
        raise ApiError(E.UNKNOWN_ROLE)
    body = ctx.json
    for key in ("name", "color", "hoist", "mentionable"):
        if body.get(key) is not None:
            setattr(role, key, body[key])
    if body.get("permissions") is not None:
        # Permissions, "Permission Hierarchy": a bot "can only grant permissions it has"
        # to roles it edits.
        gperms = ctx.guild_perms(guild)
        granted = int(body["permissions"]) & ~role.permissions
        if granted & ~gperms and gperms != P.ALL:
            raise ApiError(E.MISSING_PERMISSIONS)
        role.permissions = int(body["permissions"])
    ctx.world.emit(
        Event("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.payload()}, GUILDS)
    )
    return 200, role.payload()


@route("DELETE", "/guilds/{guild_id}/roles/{role_id}")
async def delete_role(ctx: Context) -> Result:
    from .world import GUILDS, Event

    guild = ctx.guild()
    rid = ctx.snowflake("role_id", E.UNKNOWN_ROLE)
    _can_manage_role(ctx, guild, rid)
    del guild.roles[rid]
    for m in guild.members.values():
        if rid in m.roles:
            m.roles.remove(rid)
    ctx.world.emit(
        Event("GUILD_ROLE_DELETE", {"guild_id": str(guild.id), "role_id": str(rid)}, GUILDS)
    )
    return 204, None


from . import rest_events, rest_interactions, rest_messages  # noqa: E402,F401  (their routes)
