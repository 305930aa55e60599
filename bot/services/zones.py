"""Members' time zones: the one place that decides the zone of someone the program does not
know (the configured ``program.timezone``)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.store import Store


class MemberZones:
    def __init__(self, store: Store, default: str) -> None:
        self._store = store
        self.default = default

    def named(self, zone: str | None) -> str:
        """A zone read with a member's row, or the default when there was none."""
        return zone or self.default

    async def of(self, member_ids: Iterable[int]) -> dict[int, str]:
        """Each member's zone, by id (the default for anyone without a participant row)."""
        ids = list(dict.fromkeys(member_ids))
        people = await self._store.people.participants(ids)
        return {m: people[m].timezone if m in people else self.default for m in ids}

    async def one(self, member_id: int) -> str:
        return (await self.of([member_id]))[member_id]
