"""Time zones by name, loaded once.

``ZoneInfo(key)`` keeps only a handful of zones in its strong cache and rereads the others
from disk once nothing references them; the planners look zones up for every partnership
on every run, so the few hundred zones a program meets are kept here for good.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo


@cache
def zone(name: str) -> ZoneInfo:
    """The zone called ``name``; raises ``ZoneInfoNotFoundError`` for an unknown one."""
    return ZoneInfo(name)
