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
from .state import Channel, Guild, Member, Overwrite, User, new_snowflake

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
    return 200, {"threads": [t.payload() for t in threads], "members": members}


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


def _check_overwrite_grant(
    ctx: Context, guild: Guild, overwrites: list[Overwrite], reference: Channel | None
) -> None:
    """Bots may only allow/deny permissions they hold themselves (unless ADMINISTRATOR)."""
    if not overwrites:
        return
    gperms = ctx.guild_perms(guild)
    if gperms & P.ADMINISTRATOR:
        return
    held = ctx.perms(reference) if reference is not None else gperms
    if not (held | gperms) & P.MANAGE_ROLES:
        raise ApiError(E.MISSING_PERMISSIONS)
    for ow in overwrites:
        if (ow.allow | ow.deny) & ~held:
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
    reference = parent
    perms = ctx.perms(parent) if parent is not None else ctx.guild_perms(guild)
    if not P.has(perms, P.MANAGE_CHANNELS):
        raise ApiError(E.MISSING_PERMISSIONS)
    overwrites = _parse_overwrites(ctx, guild, body.get("permission_overwrites"))
    _check_overwrite_grant(ctx, guild, overwrites, reference)
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
        available_tags=[
            {**t, "id": str(new_snowflake())} for t in body.get("available_tags") or []
        ],
    )
    return 201, ch.payload()


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
        perms = ctx.perms(ch)
        if not (ch.owner_id == ctx.bot.id or P.has(perms, P.MANAGE_THREADS)):
            raise ApiError(E.MISSING_PERMISSIONS)
        if (
            ch.archived
            and body.get("archived") is not False
            and not (set(body) <= {"archived", "locked"})
        ):
            raise ApiError(E.THREAD_ARCHIVED)
        for key in (
            "name",
            "archived",
            "locked",
            "invitable",
            "auto_archive_duration",
            "rate_limit_per_user",
        ):
            if key in body and body[key] is not None:
                setattr(ch, key, body[key])
        if "applied_tags" in body:
            ch.applied_tags = [int(t) for t in body["applied_tags"] or []]
        ctx.world.channel_updated(ch)
        return 200, ch.payload()
    ctx.require(ch, P.MANAGE_CHANNELS)
    if "permission_overwrites" in body:
        overwrites = _parse_overwrites(ctx, guild, body["permission_overwrites"])
        _check_overwrite_grant(ctx, guild, overwrites, ch)
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
    ctx.world.channel_updated(ch)
    return 200, ch.payload()


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
    _check_overwrite_grant(ctx, guild, [ow], ch)
    ch.overwrites[oid] = ow
    ctx.world.channel_updated(ch)
    return 204, None


@route("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}")
async def delete_overwrite(ctx: Context) -> Result:
    ch = ctx.channel()
    guild = ctx.world.guild_of(ch)
    if guild is None:
        raise ApiError(E.WRONG_CHANNEL_TYPE)
    if not P.has(ctx.perms(ch) | ctx.guild_perms(guild), P.MANAGE_ROLES):
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


from . import rest_interactions, rest_messages  # noqa: E402,F401  (register their routes)
