"""A private space per partnership: a channel under the round's categories, or a private
thread when the server is near Discord's channel limit."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence

from bot.clock import Clock
from bot.services.ports import DiscordPort, SpaceKind
from bot.store import NewPost, Store
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
    def __init__(self, store: Store, clock: Clock, port: DiscordPort, mode: str = "auto") -> None:
        self._store = store
        self._clock = clock
        self._port = port
        self._mode = mode

    async def open_spaces(self, round_: Round) -> int:
        """Create every missing space of a running round and queue its intro; resumable."""
        partnerships = await self._store.partnerships.for_round(round_.id, ["confirmed", "active"])
        waiting = [p for p in partnerships if p.channel_id is None]
        if not waiting:
            return 0
        kind = await self._space_kind(round_, len(partnerships))
        order = {p.id: index for index, p in enumerate(partnerships)}
        created = 0
        for partnership in waiting:
            number = order[partnership.id] // CHANNELS_PER_CATEGORY + 1 if kind == "channel" else 1
            container = await self._container(round_, number, kind)
            space_id = await self._port.ensure_space(
                container,
                kind,
                partnership.name,
                space_marker(round_, partnership),
                partnership.member_ids,
            )
            now = self._clock.now()
            await self._store.outbox.enqueue(
                [
                    NewPost(
                        key=f"p{partnership.id}:intro",
                        kind="intro",
                        partnership_id=partnership.id,
                        target={"to": "space", "channel_id": space_id},
                        payload={"template": "intro", "partnership_id": partnership.id},
                        due_at=now,
                    )
                ],
                now,
            )
            await self._store.partnerships.set_channel(partnership.id, space_id)
            await self._store.partnerships.set_state(partnership.id, "active")
            created += 1
        log.info("opened %d spaces for round %s", created, round_.name)
        return created

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
