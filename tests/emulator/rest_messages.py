"""REST v10 handlers for messages, pins and threads (incl. forum posts).

Registered on the shared router from :mod:`rest`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from . import errors as E
from . import limits, mentions
from . import permissions as P
from .errors import ApiError, invalid_form
from .rest import Context, Result, check_applied_tags, route
from .state import Channel, Guild, Message, new_snowflake, now


# =========================================================================== messages
def make_attachments(
    ctx: Context,
    channel_id: int,
    body: dict[str, Any],
    existing: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]] | None:
    """Turn multipart ``files[n]`` parts (+ payload ``attachments``) into attachment objects."""
    declared = body.get("attachments")
    if not ctx.files and declared is None:
        return None
    by_index = {}
    for part in ctx.files:
        m = re.fullmatch(r"files\[(\d+)\]", part["field"] or "")
        if m:
            by_index[m.group(1)] = part
    out: list[dict[str, Any]] = []
    keep = {str(a["id"]): a for a in existing or []}
    for meta in declared or [{"id": k} for k in by_index]:
        key = str(meta.get("id"))
        if key in keep:
            out.append(keep[key])
            continue
        part = by_index.get(key)
        if part is None:
            continue
        aid = new_snowflake()
        filename = meta.get("filename") or part["filename"] or "file"
        url = ctx.emu.attachment_url(aid, filename)
        ctx.world.files[aid] = part["data"]
        out.append(
            {
                "id": str(aid),
                "filename": filename,
                "size": len(part["data"]),
                "url": url,
                "proxy_url": url,
                "content_type": part["content_type"],
                **({"description": meta["description"]} if meta.get("description") else {}),
            }
        )
    return out


def check_message_body(
    body: dict[str, Any], prefix: str = "", *, creating: bool = True, has_files: bool = False
) -> None:
    problems = limits.check_message(body, prefix)
    problems += mentions.check_allowed_mentions(body.get("allowed_mentions"), prefix)
    if problems:
        raise invalid_form(problems)
    if creating and not (
        body.get("content")
        or body.get("embeds")
        or has_files
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
    ):
        raise ApiError(E.EMPTY_MESSAGE)


def message_for_bot(ctx: Context, msg: Message) -> dict[str, Any]:
    return ctx.world.rest_payload(msg)


def _writable_channel(ctx: Context, ch: Channel, body: dict[str, Any]) -> None:
    if ch.guild_id is None:
        recipient = ch.recipients[0] if ch.recipients else None
        member_dm_closed = (
            any(
                g.members.get(recipient.id) is not None and g.members[recipient.id].dm_closed
                for g in ctx.world.guilds.values()
            )
            if recipient
            else True
        )
        shares_guild = recipient is not None and any(
            recipient.id in g.members and ctx.bot.id in g.members for g in ctx.world.guilds.values()
        )
        if not shares_guild:
            raise ApiError(E.NO_MUTUAL_GUILDS)
        if member_dm_closed:
            raise ApiError(E.CANNOT_DM)
        return
    if ch.is_thread:
        perms = ctx.require(ch, P.SEND_MESSAGES_IN_THREADS)
        if ch.archived or (ch.locked and not P.has(perms, P.MANAGE_THREADS)):
            raise ApiError(E.THREAD_ARCHIVED)
    else:
        if ch.type in (15, 16):
            raise ApiError(E.FORUM_NO_MESSAGES)
        if ch.type == 4:
            raise ApiError(E.WRONG_CHANNEL_TYPE)
        perms = ctx.require(ch, P.SEND_MESSAGES)
    if body.get("embeds") and not P.has(perms, P.EMBED_LINKS):
        raise ApiError(E.MISSING_PERMISSIONS)
    if ctx.files and not P.has(perms, P.ATTACH_FILES):
        raise ApiError(E.MISSING_PERMISSIONS)
    if body.get("message_reference") and not P.has(perms, P.READ_MESSAGE_HISTORY):
        raise ApiError(E.MISSING_PERMISSIONS)


@route("POST", "/channels/{channel_id}/messages")
async def create_message(ctx: Context) -> Result:
    ch = ctx.channel()
    body = ctx.json
    _writable_channel(ctx, ch, body)
    check_message_body(body, has_files=bool(ctx.files))
    nonce = body.get("nonce")
    if nonce is not None and body.get("enforce_nonce"):
        hit = ctx.world.nonce_hit(ctx.bot, nonce, ctx.emu.nonce_window)
        if hit is not None:
            return 200, message_for_bot(ctx, hit)
    ref = body.get("message_reference")
    replied: Message | None = None
    if ref:
        target = ctx.world.channel_messages(int(ref.get("channel_id") or ch.id))
        replied = next((m for m in target if m.id == int(ref["message_id"])), None)
        if replied is None and ref.get("fail_if_not_exists", True):
            raise invalid_form(
                [("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")]
            )
        if replied is not None and replied.type not in (0, 19, 20, 23):
            # Create Message, Limitations: the referenced message "cannot be a system message"
            raise invalid_form(
                [
                    (
                        "message_reference",
                        "REPLIES_CANNOT_REPLY_TO_SYSTEM_MESSAGE",
                        "Cannot reply to a system message",
                    )
                ]
            )
        ref = {
            "type": ref.get("type", 0),
            "message_id": str(ref["message_id"]),
            "channel_id": str(ref.get("channel_id") or ch.id),
            **({"guild_id": str(ch.guild_id)} if ch.guild_id else {}),
        }
    msg = ctx.world.post_message(
        ch,
        ctx.bot,
        content=body.get("content") or "",
        embeds=body.get("embeds"),
        components=body.get("components"),
        attachments=make_attachments(ctx, ch.id, body),
        flags=(body.get("flags") or 0) & ~64,
        nonce=nonce,
        type=19 if ref else 0,
        message_reference=ref,
        allowed_mentions=body.get("allowed_mentions"),
        reply_to=replied,
    )
    if nonce is not None and body.get("enforce_nonce"):
        ctx.world.remember_nonce(ctx.bot, nonce, msg)
    return 200, message_for_bot(ctx, msg)


def _message(ctx: Context, ch: Channel) -> Message:
    mid = ctx.snowflake("message_id", E.UNKNOWN_MESSAGE)
    msg = ctx.world.messages.get(ch.id, {}).get(mid)
    if msg is None or msg.deleted or msg.ephemeral:
        raise ApiError(E.UNKNOWN_MESSAGE)
    return msg


@route("GET", "/channels/{channel_id}/messages/{message_id}")
async def get_message(ctx: Context) -> Result:
    ch = ctx.channel()
    ctx.require(ch, P.READ_MESSAGE_HISTORY)
    return 200, message_for_bot(ctx, _message(ctx, ch))


@route("GET", "/channels/{channel_id}/messages")
async def list_messages(ctx: Context) -> Result:
    ch = ctx.channel()
    if not P.has(ctx.perms(ch), P.READ_MESSAGE_HISTORY):
        return 200, []
    limit = ctx.int_query("limit", 50, 1, 100)
    msgs = sorted(
        (m for m in ctx.world.channel_messages(ch.id) if not m.ephemeral), key=lambda m: m.id
    )
    if "around" in ctx.query:
        around = int(ctx.query["around"])
        older = [m for m in msgs if m.id <= around][-((limit + 1) // 2) :] if limit > 1 else []
        newer = [m for m in msgs if m.id > around][: limit - len(older)]
        picked = older + newer
        if limit == 1:
            picked = [m for m in msgs if m.id == around]
    elif "after" in ctx.query:
        after = int(ctx.query["after"])
        picked = [m for m in msgs if m.id > after][:limit]
    else:
        before = int(ctx.query.get("before", 1 << 63))
        picked = [m for m in msgs if m.id < before][-limit:]
    picked.sort(key=lambda m: m.id, reverse=True)
    return 200, [message_for_bot(ctx, m) for m in picked]


@route("PATCH", "/channels/{channel_id}/messages/{message_id}")
async def edit_message(ctx: Context) -> Result:
    ch = ctx.channel()
    msg = _message(ctx, ch)
    body = ctx.json
    if msg.author.id != ctx.bot.id:
        if set(body) - {"flags"}:
            raise ApiError(E.CANNOT_EDIT_OTHERS)
        ctx.require(ch, P.MANAGE_MESSAGES)
    if ch.is_thread and ch.archived:
        raise ApiError(E.THREAD_ARCHIVED)
    check_message_body(body, creating=False)
    changes = dict(body)
    atts = make_attachments(ctx, ch.id, body, msg.attachments)
    if atts is not None:
        changes["attachments"] = atts
    ctx.world.edit_message(msg, changes)
    return 200, message_for_bot(ctx, msg)


@route("DELETE", "/channels/{channel_id}/messages/{message_id}")
async def delete_message(ctx: Context) -> Result:
    ch = ctx.channel()
    msg = _message(ctx, ch)
    if msg.author.id != ctx.bot.id and ch.guild_id is not None:
        ctx.require(ch, P.MANAGE_MESSAGES)
    elif msg.author.id != ctx.bot.id:
        raise ApiError(E.CANNOT_EDIT_OTHERS)
    ctx.world.delete_message(msg)
    return 204, None


# --------------------------------------------------------------------------- pins
#: Change log 2025-11-24, "Permission Changes Going into Effect February 2026": from
#: 23 February 2026 pinning needs PIN_MESSAGES; MANAGE_MESSAGES alone no longer does.
PIN_SPLIT_ENFORCED = dt.datetime(2026, 2, 23, tzinfo=dt.UTC).timestamp()
MAX_PINS = 250


def _pin_perms(ctx: Context, ch: Channel) -> None:
    """Pin/Unpin Message: "Requires the PIN_MESSAGES permission" (Message resource). Before
    the split took effect (by Discord's clock), MANAGE_MESSAGES still did."""
    perms = ctx.perms(ch)
    if P.has(perms, P.PIN_MESSAGES):
        return
    if now() < PIN_SPLIT_ENFORCED and P.has(perms, P.MANAGE_MESSAGES):
        return
    raise ApiError(E.MISSING_PERMISSIONS)


async def _pin(ctx: Context) -> Result:
    ch = ctx.channel()
    _pin_perms(ctx, ch)
    msg = _message(ctx, ch)
    if ch.is_thread and ch.archived:
        raise ApiError(E.THREAD_ARCHIVED)
    if msg.type not in (0, 19, 20, 23):
        raise ApiError(E.SYSTEM_MESSAGE)
    if not msg.pinned:
        # Opcodes and Status Codes: 30003 "Maximum number of pins reached for the channel
        # (250)"
        if sum(1 for m in ctx.world.channel_messages(ch.id) if m.pinned) >= MAX_PINS:
            raise ApiError(E.MAX_PINS)
        msg.pinned = True
        msg.pinned_at = _now_iso()
        ctx.world.edit_message(msg, {})
        # Discord posts a "pinned a message" system message (type 6).
        ctx.world.post_message(
            ch,
            ctx.bot,
            type=6,
            message_reference={"type": 0, "message_id": str(msg.id), "channel_id": str(ch.id)},
        )
        _pins_update(ctx, ch)
    return 204, None


async def _unpin(ctx: Context) -> Result:
    ch = ctx.channel()
    _pin_perms(ctx, ch)
    msg = _message(ctx, ch)
    if msg.pinned:
        msg.pinned = False
        ctx.world.edit_message(msg, {})
        _pins_update(ctx, ch)
    return 204, None


def _pins_update(ctx: Context, ch: Channel) -> None:
    from .world import GUILDS, Event

    data = {"channel_id": str(ch.id), "last_pin_timestamp": _now_iso()}
    if ch.guild_id:
        data["guild_id"] = str(ch.guild_id)
    ctx.world.emit(Event("CHANNEL_PINS_UPDATE", data, GUILDS, channel=ch))


def _now_iso() -> str:
    from .state import iso_now

    return iso_now()


for _tmpl in (
    "/channels/{channel_id}/pins/{message_id}",
    "/channels/{channel_id}/messages/pins/{message_id}",
):
    route("PUT", _tmpl)(_pin)
    route("DELETE", _tmpl)(_unpin)


def _pinned(ctx: Context, ch: Channel) -> list[Message]:
    # Get Channel Pins: without READ_MESSAGE_HISTORY "no pins will be returned"
    if not P.has(ctx.perms(ch), P.READ_MESSAGE_HISTORY):
        return []
    return sorted(
        (m for m in ctx.world.channel_messages(ch.id) if m.pinned),
        key=lambda m: m.pinned_at or "",
        reverse=True,
    )


@route("GET", "/channels/{channel_id}/pins")
async def legacy_pins(ctx: Context) -> Result:
    ch = ctx.channel()
    return 200, [message_for_bot(ctx, m) for m in _pinned(ctx, ch)]


@route("GET", "/channels/{channel_id}/messages/pins")
async def pins(ctx: Context) -> Result:
    ch = ctx.channel()
    items = _pinned(ctx, ch)
    before = ctx.query.get("before")
    if before:
        items = [m for m in items if (m.pinned_at or "") < before]
    limit = ctx.int_query("limit", 50, 1, 50)
    return 200, {
        "items": [
            {"pinned_at": m.pinned_at or m.timestamp, "message": message_for_bot(ctx, m)}
            for m in items[:limit]
        ],
        "has_more": len(items) > limit,
    }


# =========================================================================== threads
def _thread_capacity(ctx: Context, guild: Guild) -> None:
    if len(ctx.world.active_threads(guild)) >= ctx.emu.max_active_threads:
        raise ApiError(E.MAX_ACTIVE_THREADS)


@route("POST", "/channels/{channel_id}/threads")
async def start_thread(ctx: Context) -> Result:
    parent = ctx.channel()
    guild = ctx.world.guild_of(parent)
    if guild is None or parent.is_thread or parent.type not in (0, 5, 15, 16):
        raise ApiError(E.WRONG_CHANNEL_TYPE)
    body = ctx.json
    if parent.type in (15, 16):
        return await _forum_post(ctx, guild, parent, body)
    ttype = body.get("type") or 12
    if ttype not in (10, 11, 12) or (ttype == 12 and parent.type == 5):
        raise invalid_form([("type", "BASE_TYPE_CHOICES", "Value must be one of {11, 12}.")])
    ctx.require(parent, P.CREATE_PRIVATE_THREADS if ttype == 12 else P.CREATE_PUBLIC_THREADS)
    _thread_capacity(ctx, guild)
    th = ctx.world.create_thread(
        parent,
        body.get("name", "thread"),
        ttype,
        ctx.bot,
        auto_archive_duration=body.get("auto_archive_duration") or 4320,
        invitable=body.get("invitable", True) is not False,
    )
    return 201, th.payload()


async def _forum_post(ctx: Context, guild: Guild, forum: Channel, body: dict[str, Any]) -> Result:
    message = body.get("message")
    if not isinstance(message, dict):
        raise invalid_form([("message", "BASE_TYPE_REQUIRED", "This field is required")])
    # Start Thread in Forum or Media Channel: SEND_MESSAGES (CREATE_PUBLIC_THREADS is
    # ignored); the starter message follows Create Message's rules.
    perms = ctx.require(forum, P.SEND_MESSAGES)
    if message.get("embeds") and not P.has(perms, P.EMBED_LINKS):
        raise ApiError(E.MISSING_PERMISSIONS)
    if ctx.files and not P.has(perms, P.ATTACH_FILES):
        raise ApiError(E.MISSING_PERMISSIONS)
    check_message_body(message, "message.", has_files=bool(ctx.files))
    applied = check_applied_tags(ctx, forum, body.get("applied_tags"), perms)
    _thread_capacity(ctx, guild)
    th = ctx.world.create_thread(
        forum,
        body.get("name", "post"),
        11,
        ctx.bot,
        auto_archive_duration=body.get("auto_archive_duration")
        or forum.default_auto_archive_duration
        or 4320,
        applied_tags=applied,
    )
    starter = ctx.world.post_message(
        th,
        ctx.bot,
        content=message.get("content") or "",
        embeds=message.get("embeds"),
        components=message.get("components"),
        attachments=make_attachments(ctx, th.id, message),
        flags=message.get("flags") or 0,
        message_id=th.id,
        allowed_mentions=message.get("allowed_mentions"),
    )
    return 201, {**th.payload(), "message": message_for_bot(ctx, starter)}


@route("POST", "/channels/{channel_id}/messages/{message_id}/threads")
async def thread_from_message(ctx: Context) -> Result:
    parent = ctx.channel()
    guild = ctx.world.guild_of(parent)
    if guild is None or parent.type not in (0, 5):
        raise ApiError(E.WRONG_CHANNEL_TYPE)
    msg = _message(ctx, parent)
    ctx.require(parent, P.CREATE_PUBLIC_THREADS, P.READ_MESSAGE_HISTORY)
    if ctx.world.channel(msg.id) is not None:
        raise ApiError(E.THREAD_ALREADY_CREATED)
    _thread_capacity(ctx, guild)
    body = ctx.json
    th = ctx.world.create_thread(
        parent,
        body.get("name", "thread"),
        11 if parent.type == 0 else 10,
        ctx.bot,
        thread_id=msg.id,
        auto_archive_duration=body.get("auto_archive_duration") or 4320,
    )
    return 201, th.payload()


def _thread(ctx: Context) -> Channel:
    th = ctx.channel()
    if not th.is_thread:
        raise ApiError(E.WRONG_CHANNEL_TYPE)
    return th


@route("PUT", "/channels/{channel_id}/thread-members/{user_id}")
async def add_thread_member(ctx: Context) -> Result:
    """Add Thread Member: "Requires the ability to send messages in the thread. Also
    requires the thread is not archived"; in a private thread that is not ``invitable``,
    only moderators (MANAGE_THREADS) add others (Thread Metadata, ``invitable``). Adding
    someone who cannot view the parent succeeds, but they see nothing (Permissions,
    "Inherited Permissions (Threads)")."""
    th = _thread(ctx)
    perms = ctx.require(th, P.SEND_MESSAGES_IN_THREADS)
    if th.archived:
        raise ApiError(E.THREAD_ARCHIVED)
    moderator = P.has(perms, P.MANAGE_THREADS)
    if th.type == 12 and not moderator:
        if ctx.bot.id not in th.thread_members:
            raise ApiError(E.MISSING_ACCESS)
        if not th.invitable:
            raise ApiError(E.MISSING_PERMISSIONS)
    uid = ctx.snowflake("user_id", E.UNKNOWN_USER)
    guild = ctx.world.guild_of(th)
    assert guild is not None
    if guild.members.get(uid) is None:
        raise ApiError(E.UNKNOWN_MEMBER)
    ctx.world.add_thread_member(th, uid)
    return 204, None


@route("PUT", "/channels/{channel_id}/thread-members/@me")
async def join_thread(ctx: Context) -> Result:
    th = _thread(ctx)
    if th.archived:
        raise ApiError(E.THREAD_ARCHIVED)
    ctx.world.add_thread_member(th, ctx.bot.id)
    return 204, None


@route("DELETE", "/channels/{channel_id}/thread-members/{user_id}")
async def remove_thread_member(ctx: Context) -> Result:
    th = _thread(ctx)
    uid = ctx.snowflake("user_id", E.UNKNOWN_USER)
    if uid != ctx.bot.id and th.owner_id != ctx.bot.id:
        ctx.require(th, P.MANAGE_THREADS)
    ctx.world.remove_thread_member(th, uid)
    return 204, None


@route("GET", "/channels/{channel_id}/thread-members")
async def list_thread_members(ctx: Context) -> Result:
    th = _thread(ctx)
    return 200, [
        {"id": str(th.id), "user_id": str(u), "join_timestamp": th.created_at, "flags": 0}
        for u in sorted(th.thread_members)
    ]
