"""Guild scheduled events (discord-api-docs ``developers/resources/guild-scheduled-event.mdx``).

Create, get, list, modify (including the status changes that start, end and cancel an
event), delete, and list the users marked "Interested". The rules are the page's:

* "Field Requirements By Entity Type": stage (1) and voice (2) events need a ``channel_id``
  of a stage or voice channel and no ``entity_metadata``; external (3) events need
  ``channel_id`` null, ``entity_metadata.location`` (1-100 characters) and a
  ``scheduled_end_time``.
* "Valid Guild Scheduled Event Status Transitions": SCHEDULED -> ACTIVE -> COMPLETED,
  SCHEDULED -> CANCELED; a COMPLETED or CANCELED event can no longer be updated (180000).
* "Guild Scheduled Event Permissions Requirements", and the change log of 2025-11-24: from
  23 February 2026 creating needs CREATE_EVENTS (MANAGE_EVENTS alone no longer does);
  editing someone else's event needs MANAGE_EVENTS.
* At most 100 SCHEDULED or ACTIVE events per guild (30038).

Events reach the bot with the GUILD_SCHEDULED_EVENTS intent (``1 << 16``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import errors as E
from . import permissions as P
from .errors import ApiError, invalid_form
from .rest import Context, Result, route
from .state import Channel, Guild, ScheduledEvent, User, new_snowflake, now
from .world import GUILD_SCHEDULED_EVENTS, Event, World

STAGE, VOICE, EXTERNAL = 1, 2, 3
SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
#: Valid Guild Scheduled Event Status Transitions
TRANSITIONS = {SCHEDULED: {ACTIVE, CANCELED}, ACTIVE: {COMPLETED}}
MAX_UNFINISHED = 100
#: "Any scheduled event which has not begun after its scheduled start time will be
#: automatically cancelled after a few hours": the emulator's figure for "a few hours"
AUTO_CANCEL_AFTER = 2 * 3600.0
#: Change log 2025-11-24: CREATE_EVENTS is required from 23 February 2026.
CREATE_EVENTS_ENFORCED = dt.datetime(2026, 2, 23, tzinfo=dt.UTC).timestamp()
CHANNEL_TYPE = {STAGE: 13, VOICE: 2}

BASE = "/guilds/{guild_id}/scheduled-events"
ONE = BASE + "/{guild_scheduled_event_id}"


def _when(value: Any, field: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise invalid_form([(field, "DATE_TIME_TYPE_PARSE", "Could not parse time.")]) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def _may_create(ctx: Context, guild: Guild, channel: Channel | None) -> int:
    perms = ctx.perms(channel) if channel is not None else ctx.guild_perms(guild)
    creates = P.has(perms, P.CREATE_EVENTS) or (
        now() < CREATE_EVENTS_ENFORCED and P.has(perms, P.MANAGE_EVENTS)
    )
    if not creates:
        raise ApiError(E.MISSING_PERMISSIONS)
    return perms


def _channel_rules(
    ctx: Context, guild: Guild, etype: int, channel: Channel | None, perms: int
) -> None:
    if etype == STAGE and not P.has(perms, P.MANAGE_CHANNELS, P.MUTE_MEMBERS, P.MOVE_MEMBERS):
        raise ApiError(E.MISSING_PERMISSIONS)
    if etype == VOICE and not P.has(perms, P.VIEW_CHANNEL, P.CONNECT):
        raise ApiError(E.MISSING_PERMISSIONS)


def _entity(
    ctx: Context, guild: Guild, etype: int, body: dict[str, Any], current: ScheduledEvent | None
) -> tuple[Channel | None, dict[str, Any] | None]:
    """The channel and metadata an event of ``etype`` gets (Field Requirements By Entity
    Type), from ``body`` and, on an edit, what the event already has."""
    if etype == EXTERNAL:
        channel_id = body.get("channel_id") if "channel_id" in body else None
        if current is not None and current.entity_type != EXTERNAL and "channel_id" not in body:
            channel_id = current.channel_id  # must be set to null when changing to external
        if channel_id is not None:
            raise invalid_form(
                [("channel_id", "GUILD_SCHEDULED_EVENT_CHANNEL_INVALID", "Must be null.")]
            )
        metadata = body.get("entity_metadata")
        if metadata is None and current is not None and current.entity_type == EXTERNAL:
            metadata = current.entity_metadata
        location = (metadata or {}).get("location")
        if not isinstance(location, str) or not 1 <= len(location) <= 100:
            raise invalid_form(
                [("entity_metadata.location", "BASE_TYPE_REQUIRED", "This field is required")]
            )
        return None, {"location": location}
    channel_id = body.get("channel_id", current.channel_id if current else None)
    if channel_id is None:
        raise invalid_form([("channel_id", "BASE_TYPE_REQUIRED", "This field is required")])
    channel = ctx.world.channel(int(channel_id))
    if channel is None or channel.guild_id != guild.id:
        raise ApiError(E.UNKNOWN_CHANNEL)
    if channel.type != CHANNEL_TYPE[etype]:
        raise invalid_form(
            [
                (
                    "channel_id",
                    "GUILD_SCHEDULED_EVENT_CHANNEL_TYPE_INVALID",
                    "A stage event needs a stage channel, a voice event a voice channel.",
                )
            ]
        )
    if (
        current is None
        and isinstance(body.get("entity_metadata"), dict)
        and body["entity_metadata"]
    ):
        raise invalid_form(
            [("entity_metadata", "GUILD_SCHEDULED_EVENT_METADATA_INVALID", "Must be null.")]
        )
    return channel, None


def _times(
    body: dict[str, Any], etype: int, current: ScheduledEvent | None
) -> tuple[str, str | None]:
    start_raw = body.get("scheduled_start_time", current.scheduled_start_time if current else None)
    if start_raw is None:
        raise invalid_form(
            [("scheduled_start_time", "BASE_TYPE_REQUIRED", "This field is required")]
        )
    start = _when(start_raw, "scheduled_start_time")
    if "scheduled_start_time" in body and start.timestamp() < now():
        raise invalid_form(
            [
                (
                    "scheduled_start_time",
                    "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
                    "Cannot schedule event in the past.",
                )
            ]
        )
    end_raw = body.get("scheduled_end_time", current.scheduled_end_time if current else None)
    end = _when(end_raw, "scheduled_end_time") if end_raw is not None else None
    if etype == EXTERNAL and end is None:
        raise invalid_form(
            [("scheduled_end_time", "BASE_TYPE_REQUIRED", "Required for external events.")]
        )
    if end is not None and end <= start:
        raise invalid_form(
            [
                (
                    "scheduled_end_time",
                    "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                    "Cannot schedule event to end before starting.",
                )
            ]
        )
    return _iso(start), _iso(end) if end is not None else None


def _event(ctx: Context, guild: Guild) -> ScheduledEvent:
    eid = ctx.snowflake("guild_scheduled_event_id", E.UNKNOWN_EVENT)
    event = guild.scheduled_events.get(eid)
    if event is None or event.deleted or not _visible(ctx, event):
        raise ApiError(E.UNKNOWN_EVENT)
    return event


def _visible(ctx: Context, event: ScheduledEvent) -> bool:
    if event.channel_id is None:
        return True
    channel = ctx.world.channel(event.channel_id)
    return channel is not None and ctx.world.can_view(ctx.bot.id, channel)


def _may_edit(ctx: Context, guild: Guild, event: ScheduledEvent) -> None:
    channel = ctx.world.channel(event.channel_id) if event.channel_id else None
    perms = ctx.perms(channel) if channel is not None else ctx.guild_perms(guild)
    if event.creator.id == ctx.bot.id:
        ok = P.has(perms, P.CREATE_EVENTS) or P.has(perms, P.MANAGE_EVENTS)
    else:
        ok = P.has(perms, P.MANAGE_EVENTS)
    if not ok:
        raise ApiError(E.MISSING_PERMISSIONS)
    _channel_rules(ctx, guild, event.entity_type, channel, perms)


def emit_event(world: World, name: str, event: ScheduledEvent) -> None:
    world.emit(Event(name, event.payload(), GUILD_SCHEDULED_EVENTS))


@route("POST", BASE)
async def create_event(ctx: Context) -> Result:
    guild = ctx.guild()
    body = ctx.json
    etype = body.get("entity_type")
    if etype not in (STAGE, VOICE, EXTERNAL):
        raise invalid_form([("entity_type", "BASE_TYPE_CHOICES", "Value must be 1, 2 or 3.")])
    channel, metadata = _entity(ctx, guild, etype, body, None)
    perms = _may_create(ctx, guild, channel)
    _channel_rules(ctx, guild, etype, channel, perms)
    start, end = _times(body, etype, None)
    if sum(1 for e in guild.live_events() if not e.finished) >= MAX_UNFINISHED:
        raise ApiError(E.MAX_EVENTS)
    event = ScheduledEvent(
        new_snowflake(),
        guild.id,
        body.get("name") or "",
        etype,
        start,
        ctx.bot,
        channel_id=channel.id if channel else None,
        scheduled_end_time=end,
        description=body.get("description"),
        entity_metadata=metadata,
        privacy_level=body.get("privacy_level") or 2,
        recurrence_rule=body.get("recurrence_rule"),
    )
    guild.scheduled_events[event.id] = event
    emit_event(ctx.world, "GUILD_SCHEDULED_EVENT_CREATE", event)
    return 200, event.payload()


@route("GET", BASE)
async def list_events(ctx: Context) -> Result:
    guild = ctx.guild()
    counts = ctx.query.get("with_user_count", "").lower() in ("1", "true")
    return 200, [e.payload(with_user_count=counts) for e in guild.live_events() if _visible(ctx, e)]


@route("GET", ONE)
async def get_event(ctx: Context) -> Result:
    guild = ctx.guild()
    counts = ctx.query.get("with_user_count", "").lower() in ("1", "true")
    return 200, _event(ctx, guild).payload(with_user_count=counts)


@route("PATCH", ONE)
async def edit_event(ctx: Context) -> Result:
    guild = ctx.guild()
    event = _event(ctx, guild)
    _may_edit(ctx, guild, event)
    if event.finished:
        raise ApiError(E.EVENT_FINISHED)
    body = ctx.json
    status = body.get("status")
    moves = status is not None and status != event.status
    if moves and status not in TRANSITIONS.get(event.status, set()):
        raise invalid_form(
            [
                (
                    "status",
                    "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
                    f"Cannot go from status {event.status} to {status}.",
                )
            ]
        )
    etype = body.get("entity_type") or event.entity_type
    if etype not in (STAGE, VOICE, EXTERNAL):
        raise invalid_form([("entity_type", "BASE_TYPE_CHOICES", "Value must be 1, 2 or 3.")])
    if etype == EXTERNAL and event.entity_type != EXTERNAL:
        # Modify: changing to EXTERNAL needs channel_id null, a location and an end time.
        for key in ("channel_id", "entity_metadata", "scheduled_end_time"):
            if key not in body:
                raise invalid_form([(key, "BASE_TYPE_REQUIRED", "Required to become external.")])
    channel, metadata = _entity(ctx, guild, etype, body, event)
    if channel is not None:
        _channel_rules(ctx, guild, etype, channel, ctx.perms(channel))
    start, end = _times(body, etype, event)
    event.entity_type = etype
    event.channel_id = channel.id if channel else None
    event.entity_metadata = metadata  # discarded for non-external events, as documented
    event.scheduled_start_time, event.scheduled_end_time = start, end
    for key in ("name", "description", "privacy_level", "recurrence_rule"):
        if key in body:
            setattr(event, key, body[key])
    if status is not None:
        event.status = status
    emit_event(ctx.world, "GUILD_SCHEDULED_EVENT_UPDATE", event)
    return 200, event.payload()


@route("DELETE", ONE)
async def delete_event(ctx: Context) -> Result:
    guild = ctx.guild()
    event = _event(ctx, guild)
    _may_edit(ctx, guild, event)
    event.deleted = True
    emit_event(ctx.world, "GUILD_SCHEDULED_EVENT_DELETE", event)
    return 204, None


@route("GET", ONE + "/users")
async def event_users(ctx: Context) -> Result:
    """Get Guild Scheduled Event Users: ascending by user id, ``limit`` up to 100 (default
    100); ``before`` wins over ``after``; ``with_member`` adds guild member data."""
    guild = ctx.guild()
    event = _event(ctx, guild)
    limit = ctx.int_query("limit", 100, 1, 100)
    ids = sorted(event.interested)
    if ctx.query.get("before"):
        before = int(ctx.query["before"])
        ids = [i for i in ids if i < before][-limit:]
    else:
        after = int(ctx.query.get("after") or 0)
        ids = [i for i in ids if i > after][:limit]
    with_member = ctx.query.get("with_member", "").lower() in ("1", "true")
    out = []
    for uid in ids:
        user: User = ctx.world.users[uid]
        entry: dict[str, Any] = {
            "guild_scheduled_event_id": str(event.id),
            "user_id": str(uid),
            "user": user.payload(),
            "response": 1,  # INTERESTED
        }
        member = guild.members.get(uid)
        if with_member and member is not None:
            entry["member"] = member.payload()
        out.append(entry)
    return 200, out
