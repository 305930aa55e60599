"""A private space per partnership: a channel under the round's categories, or a private
thread when the server is near Discord's channel limit."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence

from bot.services.ports import DiscordPort, SpaceKind
from bot.store import Store
from bot.store.models import ContainerKind, Partnership, Round, SpaceContainer

log = logging.getLogger(__name__)

CHANNELS_PER_CATEGORY = 50  # Discord's limit
CHANNEL_HEADROOM = 10  # left free for the server's own channels


def space_name(first_names: Sequence[str]) -> str:
    """``ada-and-bo``, or ``ada-bo-and-chen`` for a trio; readable in any script."""
    slugs = [_slug(name) or "partner" for name in first_names]
    return "-".join(slugs[:-1]) + "-and-" + slugs[-1]


def unique_names(names: Sequence[str]) -> list[str]:
    """Suffix repeats (``ada-and-bo-2``) so every space in a round has its own name."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return unique


def space_marker(round_: Round, partnership: Partnership) -> str:
    """The channel topic that identifies a space, so a restart adopts it instead of
    creating a second one."""
    return f"ILN {round_.name} partnership #{partnership.id}. Formal support ends {round_.ends_on}."


class SpaceService:
    """Opens and archives spaces; what is done is recorded by the outbox work that asks."""

    def __init__(self, store: Store, port: DiscordPort, mode: str = "auto") -> None:
        self._store = store
        self._port = port
        self._mode = mode
        self._order: dict[int, dict[int, int]] = {}  # round -> partnership -> position

    async def open(self, partnership_id: int) -> int | None:
        """The partnership's space, created (or adopted, after a crash) in the round's next
        free container; None when the partnership no longer needs one."""
        partnership = await self._store.partnerships.get(partnership_id)
        if partnership is None or partnership.state not in ("confirmed", "active"):
            return None
        if partnership.channel_id is not None:
            return partnership.channel_id
        round_ = await self._store.rounds.get(partnership.round_id)
        assert round_ is not None
        order = await self._positions(round_, partnership_id)
        kind = await self._space_kind(round_, len(order))
        number = order[partnership_id] // CHANNELS_PER_CATEGORY + 1 if kind == "channel" else 1
        container = await self._container(round_, number, kind)
        return await self._port.ensure_space(
            container,
            kind,
            partnership.name,
            space_marker(round_, partnership),
            partnership.member_ids,
        )

    async def archive(self, partnership_id: int) -> bool:
        """End facilitation of a space: read-only, or left open when every partner keeps in
        touch. False when there was no space to close."""
        partnership = await self._store.partnerships.get(partnership_id)
        if partnership is None or partnership.channel_id is None:
            return False
        kind = await self._existing_kind(partnership.round_id)
        await self._port.close_space(
            partnership.channel_id,
            kind,
            partnership.current_member_ids,
            partnership.stays_open,
        )
        return True

    async def remove(self, partnership_id: int, member_id: int) -> bool:
        """Take a partner who left out of the space; False when there is no space."""
        partnership = await self._store.partnerships.get(partnership_id)
        if partnership is None or partnership.channel_id is None:
            return False
        kind = await self._existing_kind(partnership.round_id)
        await self._port.remove_member(partnership.channel_id, kind, member_id)
        return True

    async def _positions(self, round_: Round, partnership_id: int) -> dict[int, int]:
        """Each partnership's place in its round (by id), which fixes its category."""
        order = self._order.get(round_.id)
        if order is None or partnership_id not in order:
            partnerships = await self._store.partnerships.for_round(round_.id)
            order = {p.id: index for index, p in enumerate(partnerships)}
            self._order[round_.id] = order
        return order

    async def _space_kind(self, round_: Round, spaces: int) -> SpaceKind:
        containers = await self._store.rounds.containers(round_.id)
        if containers:
            return "channel" if containers[0].kind == "category" else "thread"
        if self._mode == "channels":
            return "channel"
        if self._mode == "threads":
            return "thread"
        categories = -(-spaces // CHANNELS_PER_CATEGORY)
        needed = spaces + categories + CHANNEL_HEADROOM
        if await self._port.free_channel_slots() >= needed:
            return "channel"
        log.warning(
            "round %s: %d spaces would pass the channel limit; using threads", round_.name, spaces
        )
        return "thread"

    async def _existing_kind(self, round_id: int) -> SpaceKind:
        containers = await self._store.rounds.containers(round_id)
        return "thread" if containers and containers[0].kind == "thread_parent" else "channel"

    async def _container(self, round_: Round, number: int, kind: SpaceKind) -> int:
        stored_kind: ContainerKind = "category" if kind == "channel" else "thread_parent"
        for container in await self._store.rounds.containers(round_.id):
            if container.kind == stored_kind and container.number == number:
                return container.channel_id
        channel_id = await self._port.ensure_container(round_.name, number, kind)
        await self._store.rounds.add_container(
            SpaceContainer(
                round_id=round_.id, number=number, kind=stored_kind, channel_id=channel_id
            )
        )
        return channel_id


def _slug(name: str) -> str:
    first = name.strip().split()[0] if name.strip() else ""
    folded = unicodedata.normalize("NFKC", first).lower()
    return "".join(c for c in folded if c.isalnum() or c == "-")[:24]
