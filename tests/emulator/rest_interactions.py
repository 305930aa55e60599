"""Application commands, interaction callbacks and interaction webhooks.

discord.py 2.7 always calls the callback with ``?with_response=1`` and parses
``{"interaction": {...}, "resource": {...}}`` (InteractionCallbackResponse);
without the query Discord answers 204, which we mirror.
"""

from __future__ import annotations

import time
from typing import Any

from . import errors as E
from . import limits, mentions
from .errors import ApiError, invalid_form
from .rest import Context, Result, route
from .rest_messages import check_message_body, make_attachments
from .state import Interaction, Message, new_snowflake

LOADING = 128
EPHEMERAL = 64
COMPONENT_INTERACTION_TYPES = (3, 5)


# =========================================================================== commands
def _command_key(ctx: Context) -> tuple[int, int | None]:
    app = ctx.snowflake("application_id", E.UNKNOWN_WEBHOOK)
    if app != ctx.emu.application_id:
        raise ApiError(E.MISSING_ACCESS)
    guild_id = None
    if "guild_id" in ctx.params:
        guild_id = ctx.guild().id
    return app, guild_id


def _make_command(
    ctx: Context, body: dict[str, Any], guild_id: int | None, existing: list[dict[str, Any]]
) -> dict[str, Any]:
    ctype = body.get("type") or 1
    prev = next((c for c in existing if c["name"] == body.get("name") and c["type"] == ctype), None)
    data = {
        "id": prev["id"] if prev else str(new_snowflake()),
        "application_id": str(ctx.emu.application_id),
        "version": str(new_snowflake()),
        "type": ctype,
        "name": body.get("name"),
        "name_localizations": body.get("name_localizations"),
        "description": body.get("description", "") if ctype == 1 else "",
        "description_localizations": body.get("description_localizations"),
        "options": body.get("options") or [],
        # Discord answers permission bit sets as strings, whatever the request used
        "default_member_permissions": _bitfield(body.get("default_member_permissions")),
        "nsfw": bool(body.get("nsfw")),
        "contexts": body.get("contexts"),
        "integration_types": body.get("integration_types") or [0],
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    else:
        data["dm_permission"] = body.get("dm_permission", True)
    return data


def _bitfield(value: Any) -> str | None:
    return None if value is None else str(int(value))


def _check_unique(commands: list[dict[str, Any]]) -> None:
    seen: set[tuple[Any, Any]] = set()
    for i, c in enumerate(commands):
        key = (c.get("name"), c.get("type") or 1)
        if key in seen:
            raise invalid_form(
                [
                    (
                        f"{i}.name",
                        "APPLICATION_COMMANDS_DUPLICATE_NAME",
                        f"Application command names must be unique ({key[0]})",
                    )
                ]
            )
        seen.add(key)
    if sum(1 for c in commands if (c.get("type") or 1) == 1) > 100:
        raise invalid_form([("", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")])


for _base in (
    "/applications/{application_id}/commands",
    "/applications/{application_id}/guilds/{guild_id}/commands",
):

    @route("GET", _base)
    async def list_commands(ctx: Context) -> Result:
        return 200, ctx.world.commands.get(_command_key(ctx), [])

    @route("PUT", _base)
    async def bulk_overwrite(ctx: Context) -> Result:
        key = _command_key(ctx)
        body = ctx.body if isinstance(ctx.body, list) else []
        _check_unique(body)
        existing = ctx.world.commands.get(key, [])
        ctx.world.commands[key] = [_make_command(ctx, c, key[1], existing) for c in body]
        return 200, ctx.world.commands[key]

    @route("POST", _base)
    async def upsert_command(ctx: Context) -> Result:
        key = _command_key(ctx)
        existing = ctx.world.commands.setdefault(key, [])
        cmd = _make_command(ctx, ctx.json, key[1], existing)
        existing[:] = [c for c in existing if c["id"] != cmd["id"]] + [cmd]
        return 201, cmd

    @route("GET", _base + "/{command_id}")
    async def get_command(ctx: Context) -> Result:
        return 200, _find_command(ctx)

    @route("PATCH", _base + "/{command_id}")
    async def edit_command(ctx: Context) -> Result:
        cmd = _find_command(ctx)
        for k, v in ctx.json.items():
            cmd[k] = _bitfield(v) if k == "default_member_permissions" else v
        cmd["version"] = str(new_snowflake())
        return 200, cmd

    @route("DELETE", _base + "/{command_id}")
    async def delete_command(ctx: Context) -> Result:
        cmd = _find_command(ctx)
        cmds = ctx.world.commands[_command_key(ctx)]
        cmds.remove(cmd)
        return 204, None


def _find_command(ctx: Context) -> dict[str, Any]:
    cid = ctx.params.get("command_id")
    for c in ctx.world.commands.get(_command_key(ctx), []):
        if c["id"] == cid:
            return c
    raise ApiError(E.UNKNOWN_COMMAND)


# =========================================================================== callbacks
def _interaction_by_id(ctx: Context) -> Interaction:
    iid = ctx.snowflake("interaction_id", E.UNKNOWN_INTERACTION)
    inter = ctx.world.interactions.get(iid)
    if inter is None or inter.token != ctx.params.get("interaction_token"):
        raise ApiError(E.UNKNOWN_INTERACTION)
    return inter


def _interaction_by_token(ctx: Context) -> Interaction:
    app = ctx.snowflake("webhook_id", E.UNKNOWN_WEBHOOK)
    token = ctx.params.get("webhook_token")
    if app == ctx.emu.application_id:
        for inter in ctx.world.interactions.values():
            if inter.token == token:
                if time.monotonic() - inter.created > 15 * 60:
                    break
                return inter
    raise ApiError(E.UNKNOWN_WEBHOOK)


def _response_message(
    ctx: Context, inter: Interaction, data: dict[str, Any], *, flags: int, msg_type: int
) -> Message:
    ch = ctx.world.channels[inter.channel_id]
    meta = inter.metadata()
    return ctx.world.post_message(
        ch,
        ctx.bot,
        content=data.get("content") or "",
        embeds=data.get("embeds"),
        components=data.get("components"),
        attachments=make_attachments(ctx, ch.id, data),
        flags=flags,
        type=msg_type,
        ephemeral_for=inter.user.id if flags & EPHEMERAL else None,
        interaction_id=inter.id,
        webhook_id=ctx.emu.application_id,
        interaction_metadata=meta,
        allowed_mentions=data.get("allowed_mentions"),
        default_parse=mentions.PARSE_USERS,
    )


def _focused_option(data: dict[str, Any]) -> dict[str, Any] | None:
    """The option an autocomplete interaction is for (inside any subcommands)."""
    for option in data.get("options") or []:
        if option.get("focused"):
            return dict(option)
        inner = _focused_option(option)
        if inner is not None:
            return inner
    return None


@route("POST", "/interactions/{interaction_id}/{interaction_token}/callback", auth=False)
async def interaction_callback(ctx: Context) -> Result:
    inter = _interaction_by_id(ctx)
    if time.monotonic() - inter.created > ctx.emu.interaction_deadline and not inter.acknowledged:
        raise ApiError(E.UNKNOWN_INTERACTION)
    if inter.acknowledged:
        raise ApiError(E.ALREADY_ACKNOWLEDGED)
    body = ctx.json
    rtype = body.get("type")
    data = body.get("data") or {}
    is_component = inter.type in COMPONENT_INTERACTION_TYPES
    allowed = {4, 5, 9} | ({6, 7} if is_component else set())
    if inter.type == 5:
        allowed.discard(9)
    if inter.type == 4:
        allowed = {8}
    if rtype not in allowed:
        raise invalid_form(
            [
                (
                    "type",
                    "INTERACTION_RESPONSE_TYPE_INVALID",
                    "Interaction response type is invalid for this interaction.",
                )
            ]
        )
    if rtype in (4, 7):
        check_message_body(data, "data.", creating=rtype == 4, has_files=bool(ctx.files))
    if rtype == 5 and (data.get("flags") or 0) & ~EPHEMERAL:
        # "If you create a callback with the type DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE the
        # only valid message flag you may use is EPHEMERAL" (Receiving and Responding)
        raise invalid_form(
            [("data.flags", "INTERACTION_FLAGS_INVALID", "Only EPHEMERAL may be set.")]
        )
    if rtype == 9:
        problems = limits.check_modal(data)
        if problems:
            raise invalid_form(problems)
    if rtype == 8:
        problems = limits.check_autocomplete(data, _focused_option(inter.data))
        if problems:
            raise invalid_form(problems)
    msg: Message | None = None
    flags = data.get("flags") or 0
    if rtype == 4:
        msg = _response_message(
            ctx,
            inter,
            data,
            flags=flags & (EPHEMERAL | 4 | 4096 | 32768),
            msg_type=20 if inter.type == 2 else 19,
        )
        inter.original_message_id = msg.id
    elif rtype == 5:
        msg = _response_message(
            ctx,
            inter,
            {},
            flags=LOADING | (flags & EPHEMERAL),
            msg_type=20 if inter.type == 2 else 19,
        )
        inter.original_message_id = msg.id
    elif rtype in (6, 7):
        inter.original_message_id = inter.message_id
        if rtype == 7 and inter.message_id is not None:
            target = ctx.world.find_message(inter.message_id)
            if target is not None:
                changes = dict(data)
                atts = make_attachments(ctx, target.channel_id, data, target.attachments)
                if atts is not None:
                    changes["attachments"] = atts
                msg = ctx.world.edit_message(target, changes)
    elif rtype == 9:
        inter.modal = data
    elif rtype == 8:
        inter.modal = None
    inter.acknowledged = True
    inter.response_type = rtype
    inter.callbacks.append(body)
    if ctx.query.get("with_response", "").lower() not in ("1", "true"):
        return 204, None
    info: dict[str, Any] = {"id": str(inter.id), "type": inter.type}
    if msg is not None and rtype in (4, 5):
        info.update(
            response_message_id=str(msg.id),
            response_message_loading=rtype == 5,
            response_message_ephemeral=bool(msg.flags & EPHEMERAL),
        )
    out: dict[str, Any] = {"interaction": info}
    if msg is not None and rtype in (4, 7):
        # Receiving and Responding, "Interaction Callback Resource Object": a message is
        # only present for CHANNEL_MESSAGE_WITH_SOURCE and UPDATE_MESSAGE.
        out["resource"] = {"type": rtype, "message": ctx.world.rest_payload(msg)}
    return 200, out


# =========================================================================== webhooks
def _webhook_message(ctx: Context, inter: Interaction, which: str) -> Message:
    if which == "@original":
        mid = inter.original_message_id
    else:
        try:
            mid = int(which)
        except ValueError:
            raise ApiError(E.UNKNOWN_MESSAGE) from None
        if mid not in inter.followup_ids and mid != inter.original_message_id:
            raise ApiError(E.UNKNOWN_MESSAGE)
    msg = ctx.world.find_message(mid) if mid is not None else None
    if msg is None:
        raise ApiError(E.UNKNOWN_MESSAGE)
    return msg


@route("POST", "/webhooks/{webhook_id}/{webhook_token}", auth=False)
async def followup(ctx: Context) -> Result:
    inter = _interaction_by_token(ctx)
    if not inter.acknowledged:
        raise ApiError(E.UNKNOWN_WEBHOOK)
    body = ctx.json
    check_message_body(body, has_files=bool(ctx.files))
    flags = body.get("flags") or 0
    original = ctx.world.find_message(inter.original_message_id or 0)
    if inter.response_type == 5 and original is not None and original.flags & LOADING:
        # Discord: the first follow-up after a deferred response replaces the "thinking" message.
        changes = dict(body)
        changes["flags"] = original.flags & ~LOADING
        atts = make_attachments(ctx, original.channel_id, body)
        if atts is not None:
            changes["attachments"] = atts
        msg = ctx.world.edit_message(original, changes, notify=True)
    else:
        msg = _response_message(
            ctx, inter, body, flags=flags & (EPHEMERAL | 4 | 4096 | 32768), msg_type=0
        )
        inter.followup_ids.append(msg.id)
    if ctx.query.get("wait", "").lower() in ("1", "true"):
        return 200, ctx.world.rest_payload(msg)
    return 204, None


for _tmpl in (
    "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
    "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
):

    @route("GET", _tmpl, auth=False)
    async def get_webhook_message(ctx: Context) -> Result:
        inter = _interaction_by_token(ctx)
        which = ctx.params.get("message_id", "@original")
        return 200, ctx.world.rest_payload(_webhook_message(ctx, inter, which))

    @route("PATCH", _tmpl, auth=False)
    async def edit_webhook_message(ctx: Context) -> Result:
        inter = _interaction_by_token(ctx)
        which = ctx.params.get("message_id", "@original")
        msg = _webhook_message(ctx, inter, which)
        body = ctx.json
        check_message_body(body, creating=False)
        changes = dict(body)
        completing = bool(msg.flags & LOADING)
        if completing:
            changes["flags"] = msg.flags & ~LOADING
        else:
            changes.pop("flags", None)
        atts = make_attachments(ctx, msg.channel_id, body, msg.attachments)
        if atts is not None:
            changes["attachments"] = atts
        ctx.world.edit_message(msg, changes, notify=completing)
        return 200, ctx.world.rest_payload(msg)

    @route("DELETE", _tmpl, auth=False)
    async def delete_webhook_message(ctx: Context) -> Result:
        inter = _interaction_by_token(ctx)
        which = ctx.params.get("message_id", "@original")
        ctx.world.delete_message(_webhook_message(ctx, inter, which))
        return 204, None
