"""A running round's scheduled life: spaces, intros, topics and cohort threads, the
end reminder and the close. Everything is derived from the store on each run, queued under
a stable key, and so planned exactly once however often or late the planner runs."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.domain.calendar import RoundSchedule, end_reminder_date, post_instant
from bot.services.ports import DiscordPort, SpaceKind
from bot.services.spaces import SpaceService
from bot.store import NewPost, Store
from bot.store.models import Partnership, PartnershipState, Round, RoundState, Topic

log = logging.getLogger(__name__)

LIVE_STATES: tuple[PartnershipState, ...] = ("active",)


class LifecyclePlanner:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        port: DiscordPort,
        spaces: SpaceService,
        schedule: RoundSchedule,
    ) -> None:
        self._store = store
        self._clock = clock
        self._port = port
        self._spaces = spaces
        self._schedule = schedule

    async def plan(self) -> None:
        """Open missing spaces, queue what has fallen due, and close ended partnerships."""
        for round_ in await self._store.rounds.in_states([RoundState.RUNNING, RoundState.ENDED]):
            if round_.state is RoundState.RUNNING:
                await self._spaces.open_spaces(round_)
            partnerships = await self._store.partnerships.for_round(round_.id, LIVE_STATES)
            if not partnerships:
                continue
            zones = await self._zones(partnerships)
            now = self._clock.now()
            posts = self._due_posts(round_, partnerships, zones, await self._topics(round_), now)
            await self._store.outbox.enqueue(posts, now)
            await self._close_finished(round_, partnerships)
            await self._end_round_when_due(round_, zones, now)

    async def post_topic_now(self, round_: Round, topic: Topic) -> int:
        """Queue a topic for every space and the forum right away (same keys as the schedule,
        so it can never go out twice). Returns the number of spaces."""
        partnerships = [
            p
            for p in await self._store.partnerships.for_round(round_.id, LIVE_STATES)
            if p.channel_id is not None
        ]
        now = self._clock.now()
        posts = [_cohort_thread(round_, topic, now - timedelta(seconds=1))]
        posts += [
            NewPost.for_partnership(
                p.id,
                f"topic:{topic.id}",
                "topic",
                {"to": "space", "channel_id": p.channel_id},
                now,
                topic_id=topic.id,
            )
            for p in partnerships
        ]
        await self._store.outbox.enqueue(posts, now)
        return len(partnerships)

    async def _topics(self, round_: Round) -> list[Topic]:
        return await self._store.topics.for_round(round_.id)

    async def _zones(self, partnerships: list[Partnership]) -> dict[int, list[str]]:
        ids = sorted({m for p in partnerships for m in p.member_ids})
        people = await self._store.people.participants(ids)
        return {
            p.id: [people[m].timezone for m in p.member_ids if m in people] or ["UTC"]
            for p in partnerships
        }

    def _due_posts(
        self,
        round_: Round,
        partnerships: list[Partnership],
        zones: Mapping[int, list[str]],
        topics: list[Topic],
        now: datetime,
    ) -> list[NewPost]:
        hour = self._schedule.post_hour
        ended = round_.state is RoundState.ENDED
        reminder_day = end_reminder_date(round_.starts_on, round_.ends_on, self._schedule)
        posts: list[NewPost] = []
        for topic in topics:
            first = min(post_instant(topic.due_on, hour, zones[p.id]) for p in partnerships)
            if first <= now and not ended:
                # The cohort thread opens a moment before the first space gets the topic,
                # so every space's post can link to it.
                posts.append(_cohort_thread(round_, topic, first - timedelta(seconds=1)))
        for partnership in partnerships:
            if partnership.channel_id is None:
                continue
            space = {"to": "space", "channel_id": partnership.channel_id}
            at = lambda day, p=partnership: post_instant(day, hour, zones[p.id])  # noqa: E731
            if not ended:
                for topic in topics:
                    if at(topic.due_on) <= now:
                        posts.append(
                            NewPost.for_partnership(
                                partnership.id,
                                f"topic:{topic.id}",
                                "topic",
                                space,
                                at(topic.due_on),
                                topic_id=topic.id,
                            )
                        )
                if at(reminder_day) <= now:
                    posts.append(
                        NewPost.for_partnership(
                            partnership.id, "end_reminder", "end_reminder", space, at(reminder_day)
                        )
                    )
            closes_at = now if ended else at(round_.ends_on)
            if closes_at <= now:
                posts.append(
                    NewPost.for_partnership(partnership.id, "closing", "closing", space, closes_at)
                )
        return posts

    async def _close_finished(self, round_: Round, partnerships: list[Partnership]) -> None:
        """Archive (or leave open) each space whose closing message has gone out."""
        closed = await self._store.outbox.sent_keys(
            [f"p{partnership.id}:closing" for partnership in partnerships]
        )
        finished = [
            p for p in partnerships if f"p{p.id}:closing" in closed and p.channel_id is not None
        ]
        if not finished:
            return
        kind = await self._space_kind(round_)
        for partnership in finished:
            assert partnership.channel_id is not None
            keep_open = all(m.end_choice == "keep_in_touch" for m in partnership.members)
            await self._port.close_space(
                partnership.channel_id, kind, partnership.member_ids, keep_open
            )
            await self._store.partnerships.set_state(partnership.id, "ended", self._clock.now())

    async def _space_kind(self, round_: Round) -> SpaceKind:
        containers = await self._store.rounds.containers(round_.id)
        return "thread" if containers and containers[0].kind == "thread_parent" else "channel"

    async def _end_round_when_due(
        self, round_: Round, zones: Mapping[int, list[str]], now: datetime
    ) -> None:
        if round_.state is not RoundState.RUNNING:
            return
        last_close = max(
            post_instant(round_.ends_on, self._schedule.post_hour, zone_list)
            for zone_list in zones.values()
        )
        if last_close <= now:
            await self._store.rounds.set_state(round_.id, RoundState.RUNNING, RoundState.ENDED, now)
            log.info("round %s reached its end date", round_.name)


def _cohort_thread(round_: Round, topic: Topic, due_at: datetime) -> NewPost:
    return NewPost(
        key=f"r{round_.id}:cohort_thread:{topic.id}",
        kind="cohort_thread",
        target={"to": "forum", "topic_id": topic.id, "title": f"{round_.name}: {topic.title}"},
        payload={"template": "cohort_thread", "topic_id": topic.id},
        due_at=due_at,
    )
