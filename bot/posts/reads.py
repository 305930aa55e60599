"""What the posts of one delivery batch read, read once.

A fan-out renders hundreds of posts about the same round and topic, and a batch's
partnerships are fetched in one query up front. A batch is delivered in moments, so a
change during it (a coordinator's edit) reaches the next batch; nothing is kept longer.
What the batch's own work records (a channel, a state, a cohort thread) is forgotten as it
is recorded, so the posts after it read it afresh.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.store import Store
from bot.store.effects import Effect, Enqueue, SetChannel, SetCohortThread, SetPartnershipState
from bot.store.models import Participant, Partnership, Round, RoundTopic


class Reads:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._partnerships: dict[int, Partnership | None] = {}
        self._rounds: dict[int, Round | None] = {}
        self._topics: dict[int, RoundTopic | None] = {}
        self._round_topics: dict[int, list[RoundTopic]] = {}
        self._people: dict[int, Participant | None] = {}

    async def prefetch(self, partnership_ids: Iterable[int]) -> None:
        """Read these partnerships in one query."""
        wanted = [pid for pid in set(partnership_ids) if pid not in self._partnerships]
        if not wanted:
            return
        found = {p.id: p for p in await self._store.partnerships.many(wanted)}
        for pid in wanted:
            self._partnerships[pid] = found.get(pid)

    def forget(self, effects: Iterable[Effect]) -> None:
        """Drop what these effects changed (and what the work they queue records)."""
        for effect in effects:
            match effect:
                case SetChannel(partnership_id=pid) | SetPartnershipState(partnership_id=pid):
                    self._partnerships.pop(pid, None)
                case SetCohortThread(topic_id=topic_id):
                    self._topics.pop(topic_id, None)
                    self._round_topics.clear()
                case Enqueue(items=items):
                    for item in items:
                        self.forget(item.recorded)

    async def partnership(self, partnership_id: int) -> Partnership | None:
        if partnership_id not in self._partnerships:
            self._partnerships[partnership_id] = await self._store.partnerships.get(partnership_id)
        return self._partnerships[partnership_id]

    async def round(self, round_id: int) -> Round | None:
        if round_id not in self._rounds:
            self._rounds[round_id] = await self._store.rounds.get(round_id)
        return self._rounds[round_id]

    async def topic(self, topic_id: int) -> RoundTopic | None:
        if topic_id not in self._topics:
            self._topics[topic_id] = await self._store.topics.get(topic_id)
        return self._topics[topic_id]

    async def topics(self, round_id: int) -> list[RoundTopic]:
        if round_id not in self._round_topics:
            self._round_topics[round_id] = await self._store.topics.for_round(round_id)
        return self._round_topics[round_id]

    async def people(self, member_ids: Iterable[int]) -> dict[int, Participant]:
        """The participant rows of these members (members without one are left out)."""
        ids = list(dict.fromkeys(member_ids))
        missing = [m for m in ids if m not in self._people]
        if missing:
            found = await self._store.people.participants(missing)
            for member in missing:
                self._people[member] = found.get(member)
        return {m: person for m in ids if (person := self._people[m]) is not None}

    async def participant(self, member_id: int) -> Participant | None:
        return (await self.people([member_id])).get(member_id)
