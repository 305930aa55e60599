"""Small text helpers the posts share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Literal

from bot.content import pick
from bot.domain.applications import called
from bot.domain.wording import plural
from bot.store.models import Participant

__all__ = [
    "EMBED_COLOUR",
    "discord_time",
    "flag",
    "full_name",
    "hashtags",
    "join_names",
    "mentions",
    "plural",
    "preferred_name",
    "varied",
    "when",
]

EMBED_COLOUR = 0x2E6DA4


def mentions(member_ids: Iterable[int]) -> str:
    """``<@1> and <@2>`` (or ``<@1>, <@2> and <@3>``)."""
    return join_names([f"<@{member_id}>" for member_id in member_ids])


def join_names(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def preferred_name(participant: Participant | None) -> str:
    """What the person asked to be called (the first word of their name for people who
    applied before the form asked); "partner" for someone the program no longer knows."""
    return called(participant.name, participant.preferred_name) if participant else "partner"


def full_name(participant: Participant | None, member_id: int) -> str:
    return participant.name if participant else f"member {member_id}"


def flag(country: str) -> str:
    """The flag emoji of an ISO 3166-1 alpha-2 code, e.g. BR → 🇧🇷."""
    return "".join(chr(0x1F1E6 + ord(letter) - ord("A")) for letter in country.upper())


def varied(variants: Sequence[str], series: str, number: int) -> str:
    """The wording for post ``number`` (1-based) of a series: the first is picked for
    ``{series}:1``, each later one takes the next wording, so a pair never gets the same
    text twice in a row (picking for every post's key separately often repeats one)."""
    first = variants.index(pick(variants, f"{series}:1"))
    return variants[(first + number - 1) % len(variants)]


TimeStyle = Literal["t", "T", "d", "D", "f", "F", "R"]


def discord_time(moment: datetime, style: TimeStyle = "F") -> str:
    """``<t:UNIX:F>``: Discord shows it in each reader's own time zone and language."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def when(moment: datetime, style: TimeStyle = "F") -> str:
    """The long date and time (or another style), then how far off: ``<t:…:F> (<t:…:R>)``."""
    return f"{discord_time(moment, style)} ({discord_time(moment, 'R')})"


def hashtags(*groups: Iterable[str]) -> str:
    """Hashtags from each group in order, each once: ``#welcometomydesk #interlibnet``."""
    return " ".join(dict.fromkeys(tag for group in groups for tag in group if tag))
