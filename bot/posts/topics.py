"""A discussion topic, in each private space and as a cohort-wide forum post."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal

from bot.posts._text import EMBED_COLOUR, hashtags, mentions
from bot.posts.base import ForumTarget, PartnershipPost, Post, Receipt, RenderContext, SpaceTarget
from bot.services.ports import Draft
from bot.store.effects import Effect, SetCohortThread
from bot.store.models import RoundTopic


async def embed_for(context: RenderContext, topic: RoundTopic) -> dict[str, Any]:
    """The topic's embed as the program shows it: with the program's tag, and the desk
    forum's link on the topic that carries the desk forum's hashtag."""
    config = context.config
    desk = await context.port.desk_forum() if config.desks.hashtag in topic.hashtags else None
    return topic_embed(topic, program_tag=config.hashtags.program, desk_forum=desk)


class TopicPost(PartnershipPost):
    """The topic in one space; the first of a topic's posts to go out marks it posted (the
    store does that, see migration 0004)."""

    kind: Literal["topic"] = "topic"
    event: ClassVar[str] = "topic_posted"
    target: SpaceTarget
    topic_id: int

    @property
    def name(self) -> str:
        return f"topic:{self.topic_id}"

    async def render(self, context: RenderContext) -> Draft | None:
        partnership = await context.reads.partnership(self.partnership_id)
        topic = await context.reads.topic(self.topic_id)
        if partnership is None or topic is None:
            return None
        embed = await embed_for(context, topic)
        if topic.cohort_thread_id:
            link = context.port.channel_link(topic.cohort_thread_id)
            embed["description"] += f"\n\nEveryone on the server is discussing this too: {link}"
        return Draft(
            content=f"{mentions(partnership.member_ids)}, a new discussion topic for you both:",
            embeds=(embed,),
            mention_ids=partnership.member_ids,
        )


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
            content=(
                "A new discussion topic for the whole cohort. Everyone is welcome here, "
                "whether or not you are in a partnership this round."
            ),
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
