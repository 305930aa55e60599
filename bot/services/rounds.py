"""A round's life: create, open applications, close them, start, report, end."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.clock import Clock
from bot.content import TopicBank
from bot.domain.calendar import (
    MAX_ROUND_WEEKS,
    RoundSchedule,
    applications_close,
    format_local_date,
    round_end,
    topic_dates,
)
from bot.posts.rounds import ApplicationsOpen
from bot.posts.spaces import OpenSpace
from bot.services.changes import Changes
from bot.services.errors import UserFacingError
from bot.store import Scheduled, Store
from bot.store.models import Round, RoundState

MAX_START_AHEAD = timedelta(days=730)  # rounds are planned months ahead, not decades
ROUND_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,31}$")

_STATE_WORDS = {
    RoundState.DRAFT: "being prepared",
    RoundState.APPLICATIONS_OPEN: "open for applications",
    RoundState.APPLICATIONS_CLOSED: "closed for applications, being matched",
    RoundState.RUNNING: "running",
    RoundState.ENDED: "ended",
}


@dataclass(frozen=True)
class RoundStatus:
    round: Round
    applications: int
    partnerships: Counter[str]
    spaces_ready: int
    topics_posted: int
    topics_total: int
    posts_waiting: int


class RoundService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        schedule: RoundSchedule,
        topics: TopicBank,
        changes: Changes,
        program_zone: str,
    ) -> None:
        self._store = store
        self._clock = clock
        self._schedule = schedule
        self._zone = program_zone
        self._topics = topics
        self._changes = changes

    async def create(self, name: str, starts_on: date, weeks: int | None, actor_id: int) -> Round:
        name = name.strip()
        if not ROUND_NAME.match(name):
            raise UserFacingError(
                "A round name is 1 to 32 letters, digits, spaces, dots, dashes or underscores, "
                "such as `2027A`."
            )
        if await self._store.rounds.by_name(name) is not None:
            raise UserFacingError(f"There is already a round called **{name}**.")
        today = self._clock.now().date()
        if starts_on < today:
            raise UserFacingError(
                f"The start date {format_local_date(starts_on)} has already passed."
            )
        if starts_on > today + MAX_START_AHEAD:
            raise UserFacingError(
                f"A round starts within two years; {format_local_date(starts_on)} is further "
                f"ahead than {format_local_date(today + MAX_START_AHEAD)}."
            )
        schedule = self._schedule if weeks is None else self._with_weeks(weeks)
        ends_on = round_end(starts_on, schedule)
        now = self._clock.now()
        created = await self._store.rounds.create(name, starts_on, ends_on, now)
        days = topic_dates(starts_on, ends_on, schedule)
        for position, (topic, due_on) in enumerate(
            zip(self._topics.topics, days, strict=False), start=1
        ):
            await self._store.topics.add(
                created.id,
                position=position,
                slug=topic.slug,
                title=topic.title,
                summary=topic.summary,
                body=topic.body,
                prompts=topic.prompts,
                due_on=due_on,
                hashtags=topic.hashtags,
            )
        await self._audit(actor_id, "round.create", created)
        return created

    def _with_weeks(self, weeks: int) -> RoundSchedule:
        """The configured schedule for a round of ``weeks``, refused (with the lengths that
        would do) when it cannot hold the schedule, as ``check-config`` refuses a file."""
        shortest = self._schedule.shortest_weeks()
        if not shortest <= weeks <= MAX_ROUND_WEEKS:
            raise UserFacingError(
                f"With this program's schedule a round lasts between {shortest} and "
                f"{MAX_ROUND_WEEKS} weeks."
            )
        return self._schedule.model_copy(update={"round_weeks": weeks})

    def applications_close_at(self, round_: Round) -> datetime:
        """When the announcement says applications close (see
        :func:`bot.domain.calendar.applications_close`)."""
        return applications_close(round_.starts_on, self._schedule, self._zone)

    async def current(self) -> Round:
        """The round commands act on: the newest one that has not ended."""
        rounds = await self._store.rounds.all()
        live = [r for r in rounds if r.state is not RoundState.ENDED]
        if not live:
            raise UserFacingError("There is no current round. Create one with `/round create`.")
        return live[-1]

    async def open_applications(self, actor_id: int) -> Round:
        """Open applications; the announcement is queued with the move."""
        round_ = await self.current()
        announcement = Scheduled(ApplicationsOpen(round_id=round_.id), self._clock.now())
        return await self._move(
            RoundState.DRAFT, RoundState.APPLICATIONS_OPEN, actor_id, [announcement]
        )

    async def close_applications(self, actor_id: int) -> Round:
        return await self._move(
            RoundState.APPLICATIONS_OPEN, RoundState.APPLICATIONS_CLOSED, actor_id
        )

    async def start(self, actor_id: int) -> Round:
        """Mark the round running, queueing the opening of a space per partnership."""
        round_ = await self.current()
        confirmed = await self._store.partnerships.for_round(round_.id, ["confirmed"])
        if round_.state is RoundState.APPLICATIONS_CLOSED and not confirmed:
            raise UserFacingError(
                "No partnerships are confirmed yet: run `/match preview`, then `/match confirm`."
            )
        now = self._clock.now()
        spaces = [Scheduled(OpenSpace(partnership_id=p.id), now) for p in confirmed]
        return await self._move(
            RoundState.APPLICATIONS_CLOSED, RoundState.RUNNING, actor_id, spaces
        )

    async def end(self, actor_id: int) -> Round:
        """End a running round now: the planner closes every space on its next run."""
        return await self._move(RoundState.RUNNING, RoundState.ENDED, actor_id)

    async def status(self) -> RoundStatus:
        round_ = await self.current_or_latest()
        partnerships = await self._store.partnerships.for_round(round_.id)
        topics = await self._store.topics.for_round(round_.id)
        waiting = await self._store.outbox.waiting(self._clock.now())
        return RoundStatus(
            round=round_,
            applications=len(await self._store.people.applications(round_.id)),
            partnerships=Counter(p.state for p in partnerships),
            spaces_ready=sum(1 for p in partnerships if p.channel_id is not None),
            topics_posted=sum(1 for t in topics if t.posted_at is not None),
            topics_total=len(topics),
            posts_waiting=waiting,
        )

    async def current_or_latest(self) -> Round:
        rounds = await self._store.rounds.all()
        if not rounds:
            raise UserFacingError("There are no rounds yet. Create one with `/round create`.")
        live = [r for r in rounds if r.state is not RoundState.ENDED]
        return (live or rounds)[-1]

    async def _move(
        self,
        expected: RoundState,
        new: RoundState,
        actor_id: int,
        queue: Sequence[Scheduled] = (),
    ) -> Round:
        round_ = await self.current()
        if round_.state is not expected or not await self._store.rounds.set_state(
            round_.id, expected, new, self._clock.now(), queue
        ):
            raise UserFacingError(
                f"Round **{round_.name}** is {_STATE_WORDS[round_.state]}; this needs a round "
                f"that is {_STATE_WORDS[expected]}."
            )
        moved = await self._store.rounds.get(round_.id)
        assert moved is not None
        self._changes.round(moved.id)
        await self._audit(actor_id, f"round.{new.value}", moved)
        return moved

    async def _audit(self, actor_id: int, action: str, round_: Round) -> None:
        await self._store.coordination.audit(
            actor_id, action, {"round": round_.name}, self._clock.now()
        )


def describe_state(state: RoundState) -> str:
    return _STATE_WORDS[state]
