"""A discussion topic, in each private space and as a cohort-wide forum post."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal

from bot.domain.calendar import Series
from bot.domain.wording import cadence
from bot.posts._text import EMBED_COLOUR, hashtags, mentions
from bot.posts.away import AddDatesButton, NoChangesButton, superseded
from bot.posts.base import ForumTarget, PartnershipPost, Post, Receipt, RenderContext, SpaceTarget
from bot.posts.checkins import CheckinButton
from bot.services.ports import ButtonSpec, Draft
from bot.store.effects import Effect, SetCohortThread
from bot.store.models import Partnership, RoundTopic


async def embed_for(context: RenderContext, topic: RoundTopic) -> dict[str, Any]:
    """The topic's embed as the program shows it: with the program's tag, and the desk
    forum's link on the topic that carries the desk forum's hashtag."""
    config = context.config
    desk = await context.port.desk_forum() if config.desks.hashtag in topic.hashtags else None
    return topic_embed(topic, program_tag=config.hashtags.program, desk_forum=desk)


class TopicPost(PartnershipPost):
    """The topic in one space; the first of a topic's posts to go out marks it posted (the
    store does that, see migration 0004).

    It may carry the asks the calendar folded into it (``availability`` and ``checkin``
    name their sequence numbers): each adds a short paragraph after the topic and its
    buttons, so a pair gets one post where it would have had two or three that week."""

    kind: Literal["topic"] = "topic"
    event: ClassVar[str] = "topic_posted"
    target: SpaceTarget
    topic_id: int
    availability: int | None = None
    checkin: int | None = None

    @property
    def name(self) -> str:
        return f"topic:{self.topic_id}"

    async def render(self, context: RenderContext) -> Draft | None:
        partnership = await context.reads.partnership(self.partnership_id)
        topic = await context.reads.topic(self.topic_id)
        if partnership is None or topic is None:
            return None
        texts = context.messages.topic
        embed = await embed_for(context, topic)
        if topic.cohort_thread_id:
            link = context.port.channel_link(topic.cohort_thread_id)
            embed["description"] += "\n\n" + texts.cohort_link.format(link=link)
        asks, buttons = await self._asks(context, partnership)
        embeds = [embed]
        if asks:
            embeds.append({"description": "\n\n".join(asks), "color": EMBED_COLOUR})
        return Draft(
            content=texts.in_space.format(mentions=mentions(partnership.member_ids)),
            embeds=tuple(embeds),
            buttons=tuple(buttons),
            mention_ids=partnership.member_ids,
        )

    async def _asks(
        self, context: RenderContext, partnership: Partnership
    ) -> tuple[list[str], list[ButtonSpec]]:
        """The carried asks still current (after downtime only the latest of a series goes
        out), with their buttons: the availability ask's two, then the check-in's one."""
        if partnership.state != "active":
            return [], []
        texts, buttons = [], []
        schedule = context.config.round
        if self.availability is not None and not await superseded(
            context, partnership, Series.AVAILABILITY, self.availability
        ):
            texts.append(context.messages.availability.in_topic)
            buttons += [NoChangesButton(partnership.id), AddDatesButton(partnership.id)]
        if self.checkin is not None and not await superseded(
            context, partnership, Series.CHECKIN, self.checkin
        ):
            every = cadence(schedule.checkin_every_days)
            texts.append(context.messages.checkin.in_topic.format(cadence=every))
            buttons.append(CheckinButton(partnership.id, self.checkin))
        return texts, buttons


class CohortThread(Post):
    """The topic as a forum post open to the whole server; opened a moment before the first
    space gets the topic, so every space's post can link to it."""

    kind: Literal["cohort_thread"] = "cohort_thread"
    event: ClassVar[str] = "cohort_thread_opened"
    target: ForumTarget
    round_id: int
    topic_id: int

    @property
    def key(self) -> str:
        return f"r{self.round_id}:cohort_thread:{self.topic_id}"

    async def render(self, context: RenderContext) -> Draft | None:
        topic = await context.reads.topic(self.topic_id)
        if topic is None:
            return None
        return Draft(
            content=context.messages.topic.in_cohort,
            embeds=(await embed_for(context, topic),),
        )

    def effects(self, receipt: Receipt, now: datetime) -> Sequence[Effect]:
        if receipt.channel_id is None:
            return ()
        return (SetCohortThread(self.topic_id, receipt.channel_id),)


def topic_embed(
    topic: RoundTopic, *, program_tag: str | None = None, desk_forum: int | None = None
) -> dict[str, Any]:
    """The topic as an embed: body, prompts and hashtags (the topic's, then the program's),
    its summary in the footer; ``desk_forum`` adds the invitation to the desk forum (the
    topic service keeps the topic's own text within an embed's limits, leaving room for
    these two short lines, so nothing here is cut)."""
    parts = [topic.body]
    if topic.prompts:
        parts.append("\n".join(f"- {prompt}" for prompt in topic.prompts))
    if desk_forum is not None:
        parts.append(f"Share a photo of your workspace with the whole cohort in <#{desk_forum}>.")
    tags = hashtags(topic.hashtags, [program_tag] if program_tag else [])
    if tags:
        parts.append(tags)
    return {
        "title": f"Topic {topic.position}: {topic.title}"[:256],
        "description": "\n\n".join(parts),
        "color": EMBED_COLOUR,
        "footer": {"text": topic.summary[:2048]},
    }
