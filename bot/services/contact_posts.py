"""Rendering the contact feature's posts: nudges, escalations, away notices, availability
asks, check-ins and coordinators' alerts. Rendered at send time from the store, so a post
that no longer applies (a cancelled away period, a changed answer) is skipped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.content import pick
from bot.domain.calendar import availability_dates, checkin_dates, format_local_date, post_instant
from bot.services.checkins import RATING_LABELS
from bot.services.ports import Post
from bot.services.render import RenderContext, Template, first_name, mentions
from bot.store.models import Partnership

FALLBACK_TOPIC = "what you are each working on at the moment"
COMMENT_LIMIT = 1000


async def nudge(context: RenderContext, payload: Mapping[str, Any]) -> Post | None:
    partnership = await _live(context, payload)
    if partnership is None:
        return None
    recipients = [int(m) for m in payload["recipients"]]
    days = str(payload["days"])
    topic_title = await _current_topic_title(context, partnership)
    series, number = f"p{partnership.id}:nudge", int(payload["number"])
    if payload["kind"] == "quiet":
        text = _varied(context.messages.nudge.quiet, series, number).format(
            mentions=mentions(recipients), days=days, topic_title=topic_title
        )
    else:
        text = _varied(context.messages.nudge.one_sided, series, number).format(
            silent_mention=mentions(recipients), days=days, topic_title=topic_title
        )
    return Post(content=text, mention_ids=tuple(recipients))


async def escalation(context: RenderContext, payload: Mapping[str, Any]) -> Post | None:
    partnership = await context.store.partnerships.get(int(payload["partnership_id"]))
    if partnership is None:
        return None
    text = context.messages.coordinator.escalation.format(
        partnership_name=partnership.name,
        days_since_contact=str(payload["days"]),
        nudges=str(payload["nudges"]),
        away_summary=str(payload["away_summary"]),
    )
    people = await context.store.people.participants(list(partnership.member_ids))
    names = [people[m].name if m in people else f"member {m}" for m in partnership.member_ids]
    silent = [int(m) for m in payload.get("silent", ())]
    lines = [text, f"Partners: {', '.join(names)}"]
    if silent and len(silent) < len(partnership.member_ids):
        quiet = [people[m].name if m in people else f"member {m}" for m in silent]
        lines.append(f"Not heard from: {', '.join(quiet)}")
    if partnership.channel_id is not None:
        lines.append(f"Space: {context.port.channel_link(partnership.channel_id)}")
    return Post(content="\n".join(lines)[:2000])


async def away_noted(context: RenderContext, payload: Mapping[str, Any]) -> Post | None:
    partnership = await _live(context, payload)
    period = await context.store.activity.away_period(int(payload["away_id"]))
    if partnership is None or period is None or period.cancelled_at is not None:
        return None
    person = await context.store.people.participant(period.participant_id)
    zone = ZoneInfo(person.timezone if person else "UTC")
    first = period.starts_at.astimezone(zone).date()
    last = (period.ends_at - timedelta(microseconds=1)).astimezone(zone).date()
    text = context.messages.away.noted.format(
        member_mention=f"<@{period.participant_id}>",
        start=format_local_date(first),
        end=format_local_date(last),
        note=f"Note: {period.note}" if period.note else "",
    )
    return Post(content=text.strip(), mention_ids=(period.participant_id,))


async def welcome_back(context: RenderContext, payload: Mapping[str, Any]) -> Post | None:
    partnership = await _live(context, payload)
    period = await context.store.activity.away_period(int(payload["away_id"]))
    if partnership is None or period is None or period.cancelled_at is not None:
        return None
    if period.participant_id not in partnership.member_ids:
        return None
    text = pick(context.messages.away.welcome_back, f"away:{period.id}").format(
        member_mention=f"<@{period.participant_id}>"
    )
    return Post(content=text, mention_ids=(period.participant_id,))


async def availability_ask(context: RenderContext, payload: Mapping[str, Any]) -> Post | None:
    partnership = await _live(context, payload)
    if partnership is None or await _superseded(context, partnership, payload, "availability"):
        return None
    members = _current_members(partnership)
    text = _varied(
        context.messages.availability.ask,
        f"p{partnership.id}",
        int(payload["sequence"]),
    )
    return Post(
        content=text.format(mentions=mentions(members)),
        buttons=(
            (f"iln:avail:none:{partnership.id}", "No changes", "secondary"),
            (f"iln:avail:add:{partnership.id}", "Add dates", "primary"),
        ),
        mention_ids=members,
    )


async def checkin_prompt(context: RenderContext, payload: Mapping[str, Any]) -> Post | None:
    partnership = await _live(context, payload)
    if partnership is None or await _superseded(context, partnership, payload, "checkin"):
        return None
    members = _current_members(partnership)
    return Post(
        content=context.messages.checkin.prompt.format(mentions=mentions(members)),
        buttons=(_checkin_button(partnership.id, int(payload["sequence"])),),
        mention_ids=members,
    )


async def checkin_dm(context: RenderContext, payload: Mapping[str, Any]) -> Post | None:
    partnership = await _live(context, payload)
    if partnership is None or await _superseded(context, partnership, payload, "checkin"):
        return None
    member_id = int(payload["member_id"])
    person = await context.store.people.participant(member_id)
    assert partnership.channel_id is not None
    text = context.messages.checkin.dm.format(
        member_name=first_name(person),
        channel_link=context.port.channel_link(partnership.channel_id),
    )
    # If DMs are closed this lands in the space, so it names the member.
    return Post(
        content=f"<@{member_id}> {text}",
        buttons=(_checkin_button(partnership.id, int(payload["sequence"])),),
        mention_ids=(member_id,),
    )


async def checkin_alert(context: RenderContext, payload: Mapping[str, Any]) -> Post | None:
    partnership = await context.store.partnerships.get(int(payload["partnership_id"]))
    if partnership is None:
        return None
    member_id, sequence = int(payload["member_id"]), int(payload["sequence"])
    answers = await context.store.activity.checkins(partnership.id)
    answer = next(
        (a for a in answers if a.participant_id == member_id and a.sequence == sequence), None
    )
    if answer is None or answer.rating != "not_working":
        return None  # the member changed their answer before it went out
    person = await context.store.people.participant(member_id)
    comment = answer.comment or "(no comment)"
    text = context.messages.checkin.coordinator_alert.format(
        member_name=person.name if person else f"member {member_id}",
        partnership_name=partnership.name,
        rating=RATING_LABELS[answer.rating],
        comment=comment[:COMMENT_LIMIT],
    )
    return Post(content=text)


async def partner_left(context: RenderContext, payload: Mapping[str, Any]) -> Post | None:
    partnership = await context.store.partnerships.get(int(payload["partnership_id"]))
    if partnership is None:
        return None
    member_id = int(payload["member_id"])
    person = await context.store.people.participant(member_id)
    text = context.messages.coordinator.partner_left.format(
        member_name=person.name if person else f"member {member_id}",
        partnership_name=partnership.name,
    )
    return Post(content=text)


def _varied(variants: Sequence[str], series: str, number: int) -> str:
    """The wording for post ``number`` (1-based) of a series: the first is picked for
    ``{series}:1``, each later one takes the next wording, so a pair never gets the same
    text twice in a row (picking for every post's key separately often repeats one)."""
    first = variants.index(pick(variants, f"{series}:1"))
    return variants[(first + number - 1) % len(variants)]


def _checkin_button(partnership_id: int, sequence: int) -> tuple[str, str, str]:
    return (f"iln:checkin:{partnership_id}:{sequence}", "Tell us privately", "primary")


def _current_members(partnership: Partnership) -> tuple[int, ...]:
    return tuple(m.participant_id for m in partnership.members if m.left_at is None)


async def _live(context: RenderContext, payload: Mapping[str, Any]) -> Partnership | None:
    partnership = await context.store.partnerships.get(int(payload["partnership_id"]))
    if partnership is None or partnership.state != "active" or partnership.channel_id is None:
        return None
    return partnership


async def _current_topic_title(context: RenderContext, partnership: Partnership) -> str:
    """The round's latest posted topic; before any is posted, the first one."""
    topics = await context.store.topics.for_round(partnership.round_id)
    posted = [t for t in topics if t.posted_at is not None]
    if posted:
        return max(posted, key=lambda t: (t.posted_at or datetime.min, t.position)).title
    return topics[0].title if topics else FALLBACK_TOPIC


async def _superseded(
    context: RenderContext, partnership: Partnership, payload: Mapping[str, Any], series: str
) -> bool:
    """Whether the next ask of the same series is already due: after downtime only the
    latest one goes out, so a pair is not asked the same question twice in a row."""
    round_ = await context.store.rounds.get(partnership.round_id)
    if round_ is None:
        return True
    dates = (availability_dates if series == "availability" else checkin_dates)(
        round_.starts_on, round_.ends_on, context.schedule
    )
    sequence = int(payload["sequence"])
    if sequence >= len(dates):
        return False
    people = await context.store.people.participants(list(partnership.member_ids))
    zones = [people[m].timezone for m in partnership.member_ids if m in people] or ["UTC"]
    upcoming = post_instant(dates[sequence], context.schedule.post_hour, zones)
    return upcoming <= context.clock.now()


TEMPLATES: dict[str, Template] = {
    "nudge": nudge,
    "escalation": escalation,
    "away_noted": away_noted,
    "welcome_back": welcome_back,
    "availability_ask": availability_ask,
    "checkin_prompt": checkin_prompt,
    "checkin_dm": checkin_dm,
    "checkin_alert": checkin_alert,
    "partner_left": partner_left,
}
