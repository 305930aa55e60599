"""A round's discussion topics: what partners see, and what coordinators may change."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from bot.clock import Clock
from bot.content import TOPIC_SUMMARY_LIMIT, TOPIC_TITLE_LIMIT
from bot.domain.calendar import format_local_date
from bot.services.calendar import CalendarPlanner
from bot.services.changes import Changes
from bot.services.errors import UserFacingError
from bot.services.rounds import RoundService
from bot.store import Store
from bot.store.models import Round, RoundState, RoundTopic

TITLE_LIMIT = TOPIC_TITLE_LIMIT
SUMMARY_LIMIT = TOPIC_SUMMARY_LIMIT
# The embed's description holds the text, the questions, the hashtags and a link to the
# cohort thread: the text and questions together get this much of Discord's 4,096.
BODY_BUDGET = 3600


class TopicService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        rounds: RoundService,
        calendar: CalendarPlanner,
        changes: Changes,
    ) -> None:
        self._store = store
        self._clock = clock
        self._rounds = rounds
        self._calendar = calendar
        self._changes = changes

    async def posted(self, round_: Round | None = None) -> list[RoundTopic]:
        """Topics already opened in a round, oldest first."""
        round_ = round_ or await self._round_with_topics()
        return [t for t in await self._store.topics.for_round(round_.id) if t.posted_at]

    async def current(self) -> RoundTopic:
        posted = await self.posted()
        if not posted:
            upcoming = await self._store.topics.for_round((await self._round_with_topics()).id)
            when = f" on {format_local_date(upcoming[0].due_on)}" if upcoming else ""
            raise UserFacingError(f"No topic has been posted yet; the first arrives{when}.")
        return posted[-1]

    async def all(self) -> list[RoundTopic]:
        return await self._store.topics.for_round((await self._round_with_topics()).id)

    async def add(
        self, title: str, summary: str, body: str, due_on: date, actor: int
    ) -> RoundTopic:
        round_ = await self._editable_round()
        self._check_date(round_, due_on)
        _check_lengths(title, summary, body, ())
        topics = await self._store.topics.for_round(round_.id)
        slug = _slug(title)
        if any(t.slug == slug for t in topics):
            raise UserFacingError(f"This round already has a topic called “{title}”.")
        topic = await self._store.topics.add(
            round_.id,
            position=max((t.position for t in topics), default=0) + 1,
            slug=slug,
            title=title.strip(),
            summary=summary.strip(),
            body=body.strip(),
            prompts=[],
            due_on=due_on,
        )
        await self._changed(actor, "topic.add", topic)
        return topic

    async def edit(
        self,
        position: int,
        actor: int,
        *,
        title: str | None,
        summary: str | None,
        body: str | None,
    ) -> RoundTopic:
        topic = await self._topic(position)
        title, summary, body = (
            (title or topic.title),
            (summary or topic.summary),
            (body or topic.body),
        )
        _check_lengths(title, summary, body, topic.prompts)
        await self._store.topics.edit(
            topic.id, title=title.strip(), summary=summary.strip(), body=body.strip()
        )
        await self._changed(actor, "topic.edit", topic)
        return await self._reload(topic)

    async def move(self, position: int, due_on: date, actor: int) -> RoundTopic:
        topic = await self._topic(position)
        if topic.posted_at is not None:
            raise UserFacingError(f"Topic {position} has already been posted; it cannot move.")
        self._check_date(await self._editable_round(), due_on)
        await self._store.topics.move(topic.id, due_on)
        await self._changed(actor, "topic.move", topic)
        return await self._reload(topic)

    async def post_now(self, position: int, actor: int) -> tuple[RoundTopic, int]:
        round_ = await self._rounds.current()
        if round_.state is not RoundState.RUNNING:
            raise UserFacingError("Topics can only be posted while the round is running.")
        topic = await self._topic(position)
        today = self._clock.now().date()
        if topic.due_on > today:
            await self._store.topics.move(topic.id, today)
        spaces = await self._calendar.post_topic_now(round_, topic)
        await self._changed(actor, "topic.post_now", topic)
        return topic, spaces

    async def check_new_date(self, due_on: date) -> None:
        """Refuse a day no new topic can have, before anyone types the topic."""
        self._check_date(await self._editable_round(), due_on)

    async def _topic(self, position: int) -> RoundTopic:
        for topic in await self._store.topics.for_round((await self._editable_round()).id):
            if topic.position == position:
                return topic
        raise UserFacingError(f"There is no topic {position}; `/topic list` shows them all.")

    async def _reload(self, topic: RoundTopic) -> RoundTopic:
        fresh = await self._store.topics.get(topic.id)
        assert fresh is not None
        return fresh

    async def _editable_round(self) -> Round:
        return await self._rounds.current()

    async def _round_with_topics(self) -> Round:
        return await self._rounds.current_or_latest()

    def _check_date(self, round_: Round, due_on: date) -> None:
        if not round_.starts_on <= due_on < round_.ends_on:
            raise UserFacingError(
                f"A topic's date must fall within the round ({format_local_date(round_.starts_on)}"
                f" – {format_local_date(round_.ends_on)})."
            )
        if due_on < self._clock.now().date():
            raise UserFacingError(
                "That date has already passed; use `/topic-plan post-now` instead."
            )

    async def _changed(self, actor: int, action: str, topic: RoundTopic) -> None:
        """A coordinator changed a topic: in the audit log, and for the planner."""
        self._changes.round(topic.round_id)
        await self._store.coordination.audit(
            actor, action, {"topic": topic.position, "title": topic.title}, self._clock.now()
        )


def _check_lengths(title: str, summary: str, body: str, prompts: Sequence[str]) -> None:
    """A topic fits its embed whole (see :func:`bot.posts.topics.topic_embed`): refused at
    the door with the limit, never cut on the way out."""
    for what, text, limit in (
        ("title", title, TITLE_LIMIT),
        ("summary", summary, SUMMARY_LIMIT),
    ):
        if len(text.strip()) > limit:
            raise UserFacingError(
                f"The {what} is {len(text.strip())} characters; please keep it to {limit}."
            )
    room = BODY_BUDGET - sum(len(prompt) + 3 for prompt in prompts)
    if len(body.strip()) > room:
        with_prompts = " alongside its questions" if prompts else ""
        raise UserFacingError(
            f"The text is {len(body.strip())} characters; {room} fit{with_prompts}."
        )


def _slug(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug or "topic"
