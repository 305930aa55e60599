"""Rendering the lifecycle's posts: intro, topics, cohort threads, end reminder, closing,
and the round announcement."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.applications import Application
from bot.domain.calendar import format_local_date
from bot.services.ports import Post
from bot.services.render import (
    RenderContext,
    Template,
    first_name,
    flag,
    join_names,
    local_time,
    mentions,
)
from bot.store.models import Partnership, Topic

EMBED_COLOUR = 0x2E6DA4
FIELD_LIMIT = 1024


async def intro(context: RenderContext, payload: Mapping[str, Any]) -> Post | None:
    partnership = await _partnership(context, payload)
    if partnership is None:
        return None
    round_ = await context.store.rounds.get(partnership.round_id)
    assert round_ is not None
    people = await context.store.people.participants(list(partnership.member_ids))
    names = join_names([first_name(people.get(m)) for m in partnership.member_ids])
    header = context.messages.intro.header.format(
        names=names, round_name=round_.name, end_date=format_local_date(round_.ends_on)
    )
    embeds = []
    for member_id in partnership.member_ids:
        application = await context.store.people.application(round_.id, member_id)
        if application is not None:
            embeds.append(_partner_embed(context, application))
    if partnership.reasons:
        embeds.append(
            {
                "title": context.messages.intro.why_matched_title,
                "description": "\n".join(f"- {reason}" for reason in partnership.reasons)[:4096],
                "color": EMBED_COLOUR,
            }
        )
    guidelines = context.messages.guidelines
    embeds.append(
        {"title": guidelines.title, "description": guidelines.body, "color": EMBED_COLOUR}
    )
    return Post(
        content=f"{mentions(partnership.member_ids)}\n{header}",
        embeds=tuple(embeds),
        pin=True,
        mention_ids=partnership.member_ids,
    )


def _partner_embed(context: RenderContext, application: Application) -> dict[str, Any]:
    stage = application.career_stage.value.replace("_", " ")
    fields = [
        (
            "Role",
            f"{stage.capitalize()}-career, {application.sector.value} library"
            if stage != "student"
            else f"Student, {application.sector.value} libraries",
        ),
        ("Institution", application.institution),
        ("Country", f"{flag(application.country)} {application.country}"),
        ("Local time", local_time(application.timezone, context.clock.now())),
        ("Interests", ", ".join(application.interests) or "not given"),
        ("Hopes for the partnership", application.hopes or "not given"),
    ]
    if application.returning_note:
        fields.append(("Returning: what I'd like to do differently", application.returning_note))
    return {
        "title": application.name[:256],
        "color": EMBED_COLOUR,
        "fields": [
            {"name": name, "value": value[:FIELD_LIMIT], "inline": len(value) < 40}
            for name, value in fields
        ],
    }


async def topic_post(context: RenderContext, payload: Mapping[str, Any]) -> Post | None:
    partnership = await _partnership(context, payload)
    topic = await context.store.topics.get(int(payload["topic_id"]))
    if partnership is None or topic is None:
        return None
    embed = topic_embed(topic)
    if topic.cohort_thread_id:
        link = context.port.channel_link(topic.cohort_thread_id)
        embed["description"] += f"\n\nEveryone on the server is discussing this too: {link}"
    return Post(
        content=f"{mentions(partnership.member_ids)}, a new discussion topic for you both:",
        embeds=(embed,),
        mention_ids=partnership.member_ids,
    )


async def cohort_thread(context: RenderContext, payload: Mapping[str, Any]) -> Post | None:
    topic = await context.store.topics.get(int(payload["topic_id"]))
    if topic is None:
        return None
    return Post(
        content=(
            "A new discussion topic for the whole cohort. Everyone is welcome here, "
            "whether or not you are in a partnership this round."
        ),
        embeds=(topic_embed(topic),),
    )


def topic_embed(topic: Topic) -> dict[str, Any]:
    prompts = "\n".join(f"- {prompt}" for prompt in topic.prompts)
    description = f"{topic.body}\n\n{prompts}" if prompts else topic.body
    return {
        "title": f"Topic {topic.position}: {topic.title}"[:256],
        "description": description[:3500],
        "color": EMBED_COLOUR,
        "footer": {"text": topic.summary[:2048]},
    }


async def end_reminder(context: RenderContext, payload: Mapping[str, Any]) -> Post | None:
    partnership = await _partnership(context, payload)
    if partnership is None:
        return None
    round_ = await context.store.rounds.get(partnership.round_id)
    assert round_ is not None
    text = context.messages.end.reminder.format(
        mentions=mentions(partnership.member_ids), end_date=format_local_date(round_.ends_on)
    )
    return Post(
        content=text,
        buttons=(
            (f"iln:end:keep:{partnership.id}", "We'll keep in touch", "success"),
            (f"iln:end:wrap:{partnership.id}", "We'll wrap up", "secondary"),
        ),
        mention_ids=partnership.member_ids,
    )


async def closing(context: RenderContext, payload: Mapping[str, Any]) -> Post | None:
    partnership = await _partnership(context, payload)
    if partnership is None:
        return None
    round_ = await context.store.rounds.get(partnership.round_id)
    assert round_ is not None
    end = context.messages.end
    keep_open = all(m.end_choice == "keep_in_touch" for m in partnership.members)
    parts = [
        end.closing.format(mentions=mentions(partnership.member_ids), round_name=round_.name),
        end.kept_open_note if keep_open else end.archived_note,
        end.feedback_prompt,
        end.notify_me_invite,
    ]
    return Post(
        content="\n\n".join(parts)[:2000],
        buttons=((f"iln:feedback:{partnership.id}", "Share feedback", "primary"),),
        mention_ids=partnership.member_ids,
    )


async def applications_open(context: RenderContext, payload: Mapping[str, Any]) -> Post | None:
    round_ = await context.store.rounds.get(int(payload["round_id"]))
    if round_ is None:
        return None
    role_id = await context.port.waitlist_role()
    text = context.messages.round.applications_open.format(
        role_mention=f"<@&{role_id}>",
        round_name=round_.name,
        close_hint=f"Partnerships start on {format_local_date(round_.starts_on)}.",
    )
    return Post(content=text, mention_role_ids=(role_id,))


async def missing_permissions(context: RenderContext, payload: Mapping[str, Any]) -> Post:
    lines = "\n".join(f"- {problem}" for problem in payload["problems"])
    return Post(
        content=(
            "The bot is missing permissions it needs. A server admin can grant them to "
            f"the bot's role:\n{lines}"
        )[:2000]
    )


async def _partnership(context: RenderContext, payload: Mapping[str, Any]) -> Partnership | None:
    return await context.store.partnerships.get(int(payload["partnership_id"]))


TEMPLATES: dict[str, Template] = {
    "intro": intro,
    "topic": topic_post,
    "cohort_thread": cohort_thread,
    "end_reminder": end_reminder,
    "closing": closing,
    "applications_open": applications_open,
    "missing_permissions": missing_permissions,
}
