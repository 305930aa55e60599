"""Turning a queued post into what Discord gets, at send time, from the store.

Each queued payload names a template (``{"template": "topic", "topic_id": 3, ...}``); the
feature that queues it also provides the function that renders it. Rendering late means a
coordinator's edit to a topic is honoured, and links point at threads created just before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.content import Messages
from bot.domain.calendar import RoundSchedule
from bot.domain.zones import zone as zone_named
from bot.services.ports import DiscordPort, Post
from bot.store import Store
from bot.store.models import OutboxItem, Participant


@dataclass(frozen=True)
class RenderContext:
    store: Store
    clock: Clock
    messages: Messages
    port: DiscordPort
    schedule: RoundSchedule


Template = Callable[[RenderContext, Mapping[str, Any]], Awaitable[Post | None]]


class TemplateRenderer:
    def __init__(self, context: RenderContext, *template_sets: Mapping[str, Template]) -> None:
        self._context = context
        self._templates: dict[str, Template] = {}
        for templates in template_sets:
            clashes = self._templates.keys() & templates.keys()
            if clashes:
                raise ValueError(f"templates defined twice: {sorted(clashes)}")
            self._templates.update(templates)

    async def render(self, item: OutboxItem) -> Post | None:
        template = self._templates[item.payload["template"]]
        return await template(self._context, item.payload)


def mentions(member_ids: Iterable[int]) -> str:
    """``<@1> and <@2>`` (or ``<@1>, <@2> and <@3>``)."""
    return join_names([f"<@{member_id}>" for member_id in member_ids])


def join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def first_name(participant: Participant | None) -> str:
    return participant.name.split()[0] if participant and participant.name.strip() else "partner"


def local_time(zone: str, moment: datetime) -> str:
    """``14:05 (Europe/Berlin)``: a partner's clock as their partner would want to know it."""
    return f"{moment.astimezone(zone_named(zone)):%H:%M} ({zone})"


def flag(country: str) -> str:
    """The flag emoji of an ISO 3166-1 alpha-2 code, e.g. BR → 🇧🇷."""
    return "".join(chr(0x1F1E6 + ord(letter) - ord("A")) for letter in country.upper())
