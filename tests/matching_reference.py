"""Plain reference versions of the matching rules, written apart from bot.domain.matching,
so the tests compare the product against something it does not share code with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import rustworkx

from bot.domain.applications import Application
from bot.domain.matching import SCORE_SCALE, MatchSettings


def feasible(
    a: Application,
    b: Application,
    past: set[frozenset[int]],
    forbidden: set[frozenset[int]],
    settings: MatchSettings,
) -> bool:
    """The hard rules: a shared language, different countries (switchable), never partners
    before, not forbidden."""
    if a.discord_id == b.discord_id or not set(a.languages) & set(b.languages):
        return False
    if settings.require_different_countries and a.country == b.country:
        return False
    return frozenset((a.discord_id, b.discord_id)) not in past | forbidden


def wishes(a: Application, b: Application) -> int:
    """Stated wishes of either side the other meets: each wish of each person counts one."""

    def met(asker: Application, other: Application) -> int:
        return (
            (other.sector in asker.partner_sectors)
            + (other.career_stage in asker.partner_career_stages)
            + (other.country in asker.partner_countries)
        )

    return met(a, b) + met(b, a)


def _offset(zone: str, on: date) -> int:
    offset = datetime.combine(on, time(12), tzinfo=ZoneInfo(zone)).utcoffset()
    assert offset is not None
    return int(offset.total_seconds() // 60)


def secondary_units(a: Application, b: Application, settings: MatchSettings, on: date) -> int:
    """Shared interests (capped) and shared 09:00-17:00 hours, in hundredths of a point."""
    w = settings.weights
    shared = len(set(a.interests) & set(b.interests))
    units = round(w.shared_interest * min(shared, w.max_shared_interests) * SCORE_SCALE)
    difference = abs(_offset(a.timezone, on) - _offset(b.timezone, on)) % (24 * 60)
    minutes = max(0, 8 * 60 - min(difference, 24 * 60 - difference))
    if minutes >= w.min_overlap_hours * 60:
        units += round(minutes * round(w.overlap_hour * SCORE_SCALE) / 60)
    return units


def brute_force(
    applications: Sequence[Application],
    past: set[frozenset[int]],
    forbidden: set[frozenset[int]],
    settings: MatchSettings,
    on: date,
) -> tuple[int, int, int]:
    """(pairs, wishes met, secondary units) of the lexicographically best matching, by
    trying every matching."""
    people = sorted(applications, key=lambda a: a.discord_id)
    value: dict[tuple[int, int], tuple[int, int]] = {}
    for i, a in enumerate(people):
        for j in range(i + 1, len(people)):
            b = people[j]
            if feasible(a, b, past, forbidden, settings):
                value[(i, j)] = (wishes(a, b), secondary_units(a, b, settings, on))

    def best(remaining: tuple[int, ...]) -> tuple[int, int, int]:
        if len(remaining) < 2:
            return (0, 0, 0)
        first, rest = remaining[0], remaining[1:]
        options = [best(rest)]  # `first` stays single
        for position, other in enumerate(rest):
            if (first, other) in value:
                pairs, met, units = best(rest[:position] + rest[position + 1 :])
                k, s = value[(first, other)]
                options.append((pairs + 1, met + k, units + s))
        return max(options)

    return best(tuple(range(len(people))))


def most_wishes(
    applications: Sequence[Application],
    past: set[frozenset[int]],
    forbidden: set[frozenset[int]],
    settings: MatchSettings,
    pins: Sequence[tuple[int, int]] = (),
) -> tuple[int, int]:
    """(people matched, wishes met) of a maximum-cardinality matching that meets the most
    wishes, pinned pairs included: plain rustworkx with max_cardinality=True on weights
    of wishes alone, independent of the product's weights and pruning."""
    by_id = {a.discord_id: a for a in applications}
    pinned = {m for pin in pins for m in pin}
    pinned_wishes = sum(wishes(by_id[a], by_id[b]) for a, b in pins)
    free = sorted(a.discord_id for a in applications if a.discord_id not in pinned)
    graph = rustworkx.PyGraph()
    graph.add_nodes_from(free)
    for i, a in enumerate(free):
        for j in range(i + 1, len(free)):
            if feasible(by_id[a], by_id[free[j]], past, forbidden, settings):
                # +1 keeps every weight positive; with max_cardinality every optimum has
                # as many pairs, so the constant changes no choice.
                graph.add_edge(i, j, 1 + wishes(by_id[a], by_id[free[j]]))
    matching = rustworkx.max_weight_matching(graph, max_cardinality=True, weight_fn=int)
    met = sum(wishes(by_id[free[i]], by_id[free[j]]) for i, j in matching)
    return 2 * (len(matching) + len(pins)), met + pinned_wishes
