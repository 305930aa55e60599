"""Proposing partners for a round: optimal pairs, with reasons people can read.

How a pair is judged
--------------------
*Hard rules* decide whether two people may be paired at all: they share at least one
language, live in different countries (switchable), were never partners before and are not
on a coordinator's forbid list. Among the pairings the hard rules allow, a proposal is
better than another by, in this order and never trading one against the next:

1. the number of people matched;
2. the number of *stated wishes met*: each person's wish about their partner's sector,
   career stage and country counts one when it was stated and is met;
3. the *secondary score*: shared interests (capped) and shared working hours, with the
   weights in `MatchWeights`.

So no amount of shared interests or hours can outweigh one person's stated wish, and no
number of wishes can leave one more person without a partner.

The optimum
-----------
The blossom algorithm (rustworkx's `max_weight_matching`, in `_max_weight_pairs`) finds a
maximum-weight matching. Each candidate pair gets one integer weight

    pair_unit + wish_unit * (wishes the pair meets) + secondary units

with `wish_unit` above the largest secondary total any matching can reach and `pair_unit`
above the largest wishes-and-secondary total, both derived from the instance (see
`_lexicographic_edges`); the weight-maximal matching is then the lexicographic optimum.

Large rounds are dense (nearly everyone shares English), and the blossom algorithm's time
grows with the number of candidate pairs times the number of people: on the 1.4 million
pairs of 2,000 benchmark applicants the earlier weighted score took 28 s, and these
lexicographic weights are slower still (6.7 s against 4.8 s at 1,000). No cheap rule about
whom to drop is safe (whether a pair can be in an optimum depends on the whole graph), so
the pairs are pruned with a proof instead (`_prices`, `_solve`). The matching linear
programme with the same objective (the secondary score scaled below one wish) is solved by
column generation in HiGHS; its dual prices give each pair a reduced cost, and a pair of
any optimal matching has reduced cost at most the duality gap. The blossom algorithm runs
on the pairs under that line (0.2 % of them at 2,000 applicants), the gap is measured
against what it found, and the line is widened until no pair under it was left out: the
proposal is then the exact lexicographic optimum over all pairs, and its wishes are the
most any proposal matching as many people can meet (`MatchMetrics.wishes_achievable`).
Small rounds, and any round whose programme HiGHS cannot settle, skip the pruning; there
the achievable figure comes from a second, independent solve on wishes alone.
"""

from __future__ import annotations

import logging
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import rustworkx
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.domain.applications import Application, CareerStage, Sector
from bot.domain.places import country_name, language_name

log = logging.getLogger(__name__)

SCORE_SCALE = 100  # secondary scores are exact integers in hundredths of a point
WORKDAY_START_MINUTE = 9 * 60
WORKDAY_MINUTES = 8 * 60
MINUTES_PER_DAY = 24 * 60
WISH_KINDS = 3  # sector, career stage, country: a person can have this many wishes met

# Below this many candidate pairs the blossom algorithm runs on all of them at once
# (about 0.3 s); above it the certified pruning is faster.
PRUNE_ABOVE_PAIRS = 20_000

_SECTOR_ADJECTIVES: dict[Sector, str] = {
    Sector.PUBLIC: "public",
    Sector.ACADEMIC: "academic",
    Sector.SCHOOL: "school",
    Sector.SPECIAL: "special",
    Sector.NATIONAL: "national-library",
    Sector.OTHER: "other-sector",
}
_SECTOR_WORKPLACES: dict[Sector, str] = {
    Sector.PUBLIC: "works in a public library",
    Sector.ACADEMIC: "works in an academic library",
    Sector.SCHOOL: "works in a school library",
    Sector.SPECIAL: "works in a special library",
    Sector.NATIONAL: "works in a national library",
    Sector.OTHER: "works outside the usual library sectors",
}
_STAGE_ADJECTIVES: dict[CareerStage, str] = {
    CareerStage.STUDENT: "student",
    CareerStage.EARLY: "early-career",
    CareerStage.MID: "mid-career",
    CareerStage.LATE: "late-career",
}
_STAGE_DESCRIPTIONS: dict[CareerStage, str] = {
    CareerStage.STUDENT: "is a student",
    CareerStage.EARLY: "is early-career",
    CareerStage.MID: "is mid-career",
    CareerStage.LATE: "is late-career",
}

# Settings of earlier versions that gave wishes points to trade against interests.
_REMOVED_WEIGHTS = ("sector_wish", "career_stage_wish", "country_wish")


# ---------------------------------------------------------------------------
# Settings and results
# ---------------------------------------------------------------------------


class MatchWeights(BaseModel):
    """Weights of the secondary score.

    The secondary score only decides between proposals that match as many people and meet
    as many stated wishes; it never outweighs a wish.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    shared_interest: float = Field(default=1.0, ge=0, description="Points per shared interest.")
    max_shared_interests: int = Field(
        default=3, ge=0, description="Shared interests beyond this many earn nothing more."
    )
    overlap_hour: float = Field(
        default=0.25,
        ge=0,
        description="Points per hour both partners are at work (09:00-17:00 local time).",
    )
    min_overlap_hours: float = Field(
        default=2.0,
        ge=0,
        le=8,
        description="Shared working hours below this earn no points at all.",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_wish_weights(cls, data: Any) -> Any:
        if isinstance(data, dict):
            removed = [key for key in _REMOVED_WEIGHTS if key in data]
            if removed:
                raise ValueError(
                    f"{', '.join(removed)} is no longer a setting: every stated wish now counts "
                    "one and always comes before shared interests and working hours, so "
                    "wishes have no weight; remove it"
                )
        return data


class MatchSettings(BaseModel):
    """The [matching] section of the bot's configuration."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weights: MatchWeights = Field(
        default_factory=MatchWeights,
        description="Weights of the secondary score (interests, working hours).",
    )
    require_different_countries: bool = Field(
        default=True, description="Never pair two people who live in the same country."
    )
    allow_trios: bool = Field(
        default=False,
        description="Let a person left without a partner join an existing pair as a third.",
    )


class ProposedPair(BaseModel):
    """A proposed partnership: two members, or three when trios are allowed.

    `reasons` are for the partners themselves (their introduction shows them): what the
    pairing meets. `coordinator_notes` are for coordinators only: wishes it could not meet,
    hard rules a pin overrode, too few shared working hours.
    """

    model_config = ConfigDict(frozen=True)

    members: tuple[int, ...]
    wishes_met: int = Field(default=0, description="Stated wishes of the members it meets.")
    score: float = Field(description="Secondary score: shared interests and working hours.")
    reasons: list[str]
    coordinator_notes: list[str] = Field(default_factory=list)


UnmatchedCause = Literal["language", "country", "history", "odd_one_out"]


class Unmatched(BaseModel):
    model_config = ConfigDict(frozen=True)

    discord_id: int
    reasons: list[str]
    cause: UnmatchedCause = Field(
        default="odd_one_out",
        description=(
            "Why, as the applicant is told it: no shared language, nobody abroad, only "
            "past or forbidden partners, or the odd one out (pins included, so a pin or a "
            "forbid is never revealed)."
        ),
    )


class MatchMetrics(BaseModel):
    model_config = ConfigDict(frozen=True)

    matched: int
    unmatched: int
    pairs: int
    mean_score: float = Field(description="Mean secondary score per pair.")
    wishes_stated: int
    wishes_satisfied: int
    wishes_achievable: int | None = Field(
        default=None,
        description=(
            "The most stated wishes any set of pairs matching as many people could meet under "
            "the same hard rules and pins (trios, formed afterwards, may meet more). None in "
            "proposals saved before it was computed."
        ),
    )
    wishes_satisfied_share: float = Field(
        description="wishes_satisfied / wishes_stated, or 0.0 when nobody stated a wish."
    )


class MatchResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    pairs: list[ProposedPair]
    unmatched: list[Unmatched]
    metrics: MatchMetrics


class MatchInputError(ValueError):
    """The applicants or coordinator instructions cannot be matched as given."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# ---------------------------------------------------------------------------
# Per-person features
# ---------------------------------------------------------------------------


def _units(points: float) -> int:
    return round(points * SCORE_SCALE)


def _utc_offset_minutes(timezone: str, reference_date: date) -> int:
    zone = ZoneInfo(timezone)
    offset = datetime.combine(reference_date, time(12), tzinfo=zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def shared_working_minutes(offset_a: int, offset_b: int) -> int:
    """Minutes both 09:00-17:00 working days overlap, given UTC offsets in minutes.

    Working days repeat daily, so a window that crosses midnight UTC still overlaps
    with the neighbouring day's window.
    """
    difference = (offset_a - offset_b) % MINUTES_PER_DAY
    return max(0, WORKDAY_MINUTES - min(difference, MINUTES_PER_DAY - difference))


def _bits(values: Iterable[object], positions: dict[object, int]) -> int:
    mask = 0
    for value in values:
        mask |= 1 << positions.setdefault(value, len(positions))
    return mask


def _stated_wishes(app: Application) -> int:
    return bool(app.partner_sectors) + bool(app.partner_career_stages) + bool(app.partner_countries)


def _wishes_met(asker: Application, other: Application) -> int:
    """How many of `asker`'s stated wishes `other` meets (0-3)."""
    return (
        (other.sector in asker.partner_sectors)
        + (other.career_stage in asker.partner_career_stages)
        + (other.country in asker.partner_countries)
    )


@dataclass(slots=True)
class _Features:
    """What the rules and the secondary score need of each applicant, in discord_id order."""

    applications: list[Application]
    language: list[int]  # bit set of the languages spoken
    country: list[int]
    zone: list[int]  # index into zone_offsets
    zone_offsets: list[int]
    overlap_units: list[list[int]]  # secondary units per pair of zones
    interest_units: list[int]  # secondary units per number of shared interests
    weights: MatchWeights

    def secondary_units(self, i: int, j: int) -> int:
        a, b = self.applications[i], self.applications[j]
        shared = len(set(a.interests) & set(b.interests))
        return self.overlap_units[self.zone[i]][self.zone[j]] + self.interest_units[shared]


def _build_features(
    applications: Sequence[Application], weights: MatchWeights, reference_date: date
) -> _Features:
    apps = list(applications)
    languages: dict[object, int] = {}
    countries: dict[object, int] = {}
    for app in apps:
        countries.setdefault(app.country, len(countries))
    offsets_by_zone = {
        zone: _utc_offset_minutes(zone, reference_date) for zone in {a.timezone for a in apps}
    }
    offsets = sorted(set(offsets_by_zone.values()))
    offset_index = {offset: i for i, offset in enumerate(offsets)}
    most_interests = max((len(a.interests) for a in apps), default=0)
    return _Features(
        applications=apps,
        language=[_bits(a.languages, languages) for a in apps],
        country=[countries[a.country] for a in apps],
        zone=[offset_index[offsets_by_zone[a.timezone]] for a in apps],
        zone_offsets=offsets,
        overlap_units=[[_overlap_units(a, b, weights) for b in offsets] for a in offsets],
        interest_units=[
            _units(weights.shared_interest * min(k, weights.max_shared_interests))
            for k in range(most_interests + 1)
        ],
        weights=weights,
    )


def _overlap_units(offset_a: int, offset_b: int, weights: MatchWeights) -> int:
    minutes = shared_working_minutes(offset_a, offset_b)
    if minutes < weights.min_overlap_hours * 60:
        return 0
    return round(minutes * _units(weights.overlap_hour) / 60)


# ---------------------------------------------------------------------------
# Hard rules and candidate pairs
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Rules:
    require_different_countries: bool
    blocked: dict[int, set[int]]  # index -> indices never to pair with (history, forbid list)

    def is_blocked(self, i: int, j: int) -> bool:
        return j in self.blocked.get(i, ())


def _blocked_by_index(
    pairs: Iterable[frozenset[int]], index: dict[int, int]
) -> dict[int, set[int]]:
    blocked: dict[int, set[int]] = {}
    for pair in pairs:
        if len(pair) != 2 or not pair <= index.keys():
            continue
        a, b = (index[member] for member in pair)
        blocked.setdefault(a, set()).add(b)
        blocked.setdefault(b, set()).add(a)
    return blocked


def _is_feasible(f: _Features, rules: _Rules, i: int, j: int) -> bool:
    if i == j or not f.language[i] & f.language[j]:
        return False
    if rules.require_different_countries and f.country[i] == f.country[j]:
        return False
    return not rules.is_blocked(i, j)


@dataclass(slots=True)
class _Candidates:
    """The feasible pairs among some members, by position in that list (a < b), with the
    stated wishes each pair meets (both sides together, 0-6) and its secondary units."""

    a: NDArray[np.int64]
    b: NDArray[np.int64]
    wishes: NDArray[np.int64]
    secondary: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.a)

    def where(self, keep: NDArray[np.bool_]) -> _Candidates:
        return _Candidates(self.a[keep], self.b[keep], self.wishes[keep], self.secondary[keep])


def _together(groups: Sequence[Iterable[object]]) -> NDArray[np.int64]:
    """together[i, j]: how many values (languages, interests) persons i and j share."""
    holders: dict[object, list[int]] = {}
    for person, values in enumerate(groups):
        for value in set(values):
            holders.setdefault(value, []).append(person)
    together = np.zeros((len(groups), len(groups)), dtype=np.int64)
    for people in holders.values():
        if len(people) > 1:
            together[np.ix_(people, people)] += 1
    return together


def _wish_matrix(apps: Sequence[Application]) -> NDArray[np.int8]:
    """met[i, j]: how many of person i's stated wishes person j meets."""
    sectors = {sector: k for k, sector in enumerate(Sector)}
    stages = {stage: k for k, stage in enumerate(CareerStage)}
    countries: dict[str, int] = {}
    for app in apps:
        countries.setdefault(app.country, len(countries))
    for app in apps:
        for code in sorted(app.partner_countries):
            countries.setdefault(code, len(countries))

    def wanted(wishes: Sequence[Iterable[object]], kinds: dict[Any, int]) -> NDArray[np.int8]:
        table = np.zeros((len(apps), len(kinds)), dtype=np.int8)
        for row, wish in enumerate(wishes):
            table[row, [kinds[value] for value in wish]] = 1
        return table

    sector = np.array([sectors[app.sector] for app in apps])
    stage = np.array([stages[app.career_stage] for app in apps])
    country = np.array([countries[app.country] for app in apps])
    met = wanted([app.partner_sectors for app in apps], sectors)[:, sector]
    met += wanted([app.partner_career_stages for app in apps], stages)[:, stage]
    met += wanted([app.partner_countries for app in apps], countries)[:, country]
    return met


def _candidates(f: _Features, members: list[int], rules: _Rules) -> _Candidates:
    """Every pair among `members` that the hard rules allow, computed a whole row at a time."""
    m = len(members)
    empty = np.zeros(0, dtype=np.int64)
    if m < 2:
        return _Candidates(empty, empty, empty, empty)
    apps = [f.applications[k] for k in members]
    feasible = _together([app.languages for app in apps]) > 0
    if rules.require_different_countries:
        country = np.array([f.country[k] for k in members])
        feasible &= country[:, None] != country[None, :]
    position = {k: p for p, k in enumerate(members)}
    for p, k in enumerate(members):
        for other in rules.blocked.get(k, ()):
            if other in position:
                feasible[p, position[other]] = False
    a, b = np.nonzero(np.triu(feasible, 1))
    del feasible
    met = _wish_matrix(apps)
    wishes = met[a, b].astype(np.int64) + met[b, a]
    del met
    shared = _together([app.interests for app in apps])[a, b]
    zone = np.array([f.zone[k] for k in members])
    overlap = np.array(f.overlap_units, dtype=np.int64)[zone[a], zone[b]]
    interest = np.array(f.interest_units, dtype=np.int64)[shared]
    return _Candidates(a.astype(np.int64), b.astype(np.int64), wishes, overlap + interest)


# ---------------------------------------------------------------------------
# The solver and the weights it is given
# ---------------------------------------------------------------------------


def _max_weight_pairs(n: int, edges: list[tuple[int, int, int]]) -> set[tuple[int, int]]:
    """A maximum-weight matching; edges are (a, b, positive int weight) with a < b < n.

    The one place that calls the compiled blossom algorithm. Weights are Python ints, which
    rustworkx reads as 128-bit integers (its duals are twice the weights: ample room).
    Nodes are handed over in `_solver_order`, which only changes the speed.
    """
    order = _solver_order(n, edges)
    node_of = [0] * n
    for node, person in enumerate(order):
        node_of[person] = node
    relabelled = sorted(
        (node_of[a], node_of[b], w) if node_of[a] < node_of[b] else (node_of[b], node_of[a], w)
        for a, b, w in edges
    )
    # Edges are unique already; multigraph=False would look each one up first (6 s at 2,000).
    graph = rustworkx.PyGraph(multigraph=True)
    graph.add_nodes_from(range(n))
    graph.add_edges_from(relabelled)
    del relabelled
    # The weights make every larger matching heavier, so maximum weight already means
    # maximum cardinality; asking for it again only slows the solver down.
    matching = rustworkx.max_weight_matching(graph, max_cardinality=False, weight_fn=_identity)
    pairs = ((order[a], order[b]) for a, b in matching)
    return {(min(a, b), max(a, b)) for a, b in pairs}


def _solver_order(n: int, edges: list[tuple[int, int, int]]) -> list[int]:
    """People by rising best available weight, then falling number of feasible partners.

    Measured on realistic synthetic rounds, the blossom solver runs about 30 % faster on
    this order than on discord_id order; the matching it finds is optimal either way.
    """
    best = [0] * n
    degree = [0] * n
    for a, b, weight in edges:
        degree[a] += 1
        degree[b] += 1
        if weight > best[a]:
            best[a] = weight
        if weight > best[b]:
            best[b] = weight
    return sorted(range(n), key=lambda person: (best[person], -degree[person], person))


def _identity(weight: int) -> int:
    return weight


def _lexicographic_edges(
    c: _Candidates, members: int, wishes_bound: int
) -> list[tuple[int, int, int]]:
    """Weights under which heavier means: more pairs, then more wishes, then more score.

    For any matching M of at most P = members // 2 pairs, with S the largest secondary
    units of a candidate pair and K <= wishes_bound the wishes M meets:
    weight(M) = pair_unit * |M| + wish_unit * K + secondary(M), where
    0 <= secondary(M) <= P * S < wish_unit, so a wish outweighs any secondary total, and
    wish_unit * K + secondary(M) < wish_unit * (wishes_bound + 1) = pair_unit, so a pair
    outweighs any wishes and score.
    """
    secondary_bound = int(c.secondary.max()) if len(c) else 0
    wish_unit = (members // 2) * secondary_bound + 1
    pair_unit = wish_unit * (wishes_bound + 1)
    return [
        (a, b, pair_unit + wish_unit * k + s)
        for a, b, k, s in zip(
            c.a.tolist(), c.b.tolist(), c.wishes.tolist(), c.secondary.tolist(), strict=True
        )
    ]


def _wish_edges(c: _Candidates, wishes_bound: int) -> list[tuple[int, int, int]]:
    """Weights for people matched first, then wishes met; the secondary score ignored."""
    pair_unit = wishes_bound + 1
    return [
        (a, b, pair_unit + k)
        for a, b, k in zip(c.a.tolist(), c.b.tolist(), c.wishes.tolist(), strict=True)
    ]


def _pairs_wishes(c: _Candidates, chosen: set[tuple[int, int]]) -> int:
    met = {(a, b): k for a, b, k in zip(c.a.tolist(), c.b.tolist(), c.wishes.tolist(), strict=True)}
    return sum(met[pair] for pair in chosen)


# ---------------------------------------------------------------------------
# Certified pruning: a linear programme proves which pairs an optimum can use
# ---------------------------------------------------------------------------

# The matching LP: maximise sum_e w_e x_e over x >= 0 with, for every person v,
# sum_{e at v} x_e <= 1, and for some odd sets S of people (blossoms),
# sum_{e inside S} x_e <= (|S| - 1) / 2. Here w_e = pair_value + wishes met by e, so its
# integer optimum is the first two levels of the objective. Any dual solution y_v >= 0,
# z_S >= 0 with reduced costs rc_e = y_a + y_b + sum_{S contains a, b} z_S - w_e >= 0
# bounds every matching: w(M) <= D - sum_{e in M} rc_e, where D = sum y + sum z (|S|-1)/2.
# So a pair whose reduced cost exceeds D - (the optimum) is in no optimal matching.

_TOLERANCE = 1e-6  # HiGHS's feasibility tolerances are 1e-7
_INITIAL_COLUMNS_PER_PERSON = 12
_ADDED_COLUMNS_PER_PERSON = 6
_PRIMAL_SIMPLEX, _DUAL_SIMPLEX = 4, 1
_MAX_LP_ROUNDS = 60
# Measured at 2,000 applicants: with presolve and HiGHS's default strategy each round of
# column generation cost as much as the first (13 s in all); without presolve, primal
# simplex after new columns and dual simplex after new rows restart from the last basis.
_HIGHS_OPTIONS: dict[str, bool | float | str | int] = {
    "output_flag": False,
    "presolve": "off",
    "primal_feasibility_tolerance": 1e-9,
    "dual_feasibility_tolerance": 1e-9,
}


@dataclass(slots=True)
class _Prices:
    weight: NDArray[np.float64]  # the LP's weight of each candidate pair
    reduced_cost: NDArray[np.float64]  # per candidate pair, >= -tolerance
    bound: float  # D: no matching weighs more
    slack: float  # the most the reduced costs' tolerance can add up to in one matching


def _best_columns(
    c: _Candidates,
    members: int,
    per_person: int,
    value: NDArray[np.float64],
    among: NDArray[np.int64],
) -> NDArray[np.int64]:
    """Of the pairs `among`, each person's `per_person` of highest `value`."""
    ends = np.concatenate([c.a[among], c.b[among]])
    pair = np.concatenate([among, among])
    key = np.concatenate([value[among], value[among]])
    order = np.lexsort((-key, ends))
    ends, pair = ends[order], pair[order]
    first = np.searchsorted(ends, np.arange(members))
    rank = np.arange(len(ends)) - first[ends]
    return np.unique(pair[rank < per_person])


def _odd_sets(
    c: _Candidates, columns: NDArray[np.int64], x: NDArray[np.float64], members: int
) -> list[NDArray[np.bool_]]:
    """People joined by fractional pairs, one set per odd group of them."""
    fractional = columns[(x > _TOLERANCE) & (x < 1 - _TOLERANCE)]
    group = list(range(members))

    def root(person: int) -> int:
        while group[person] != person:
            group[person] = group[group[person]]
            person = group[person]
        return person

    for a, b in zip(c.a[fractional].tolist(), c.b[fractional].tolist(), strict=True):
        group[root(a)] = root(b)
    sets: dict[int, list[int]] = {}
    for person in set(c.a[fractional].tolist()) | set(c.b[fractional].tolist()):
        sets.setdefault(root(person), []).append(person)
    odd: list[NDArray[np.bool_]] = []
    for people in sets.values():
        if len(people) % 2 == 1:
            inside = np.zeros(members, dtype=bool)
            inside[people] = True
            odd.append(inside)
    return odd


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """HiGHS prints a banner on stdout when constructed, before any option can be set;
    `iln-bot match --json` and the bot's log must not carry it."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


class _MatchingLP:
    """The matching LP in HiGHS, grown a few columns and blossoms at a time; each solve
    starts from the previous basis, so a round of new columns costs little."""

    def __init__(self, c: _Candidates, members: int, weight: NDArray[np.float64]) -> None:
        import highspy

        with _quiet_stdout():
            self._highs = highspy.Highs()
        self._highspy = highspy
        for option, value in _HIGHS_OPTIONS.items():
            self._highs.setOptionValue(option, value)
        self._highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self._c, self._members, self._weight = c, members, weight
        self.columns = np.zeros(0, dtype=np.int64)
        self.blossoms: list[NDArray[np.bool_]] = []
        inf = highspy.kHighsInf
        none = np.zeros(0, dtype=np.int32)
        self._highs.addRows(
            members,
            np.full(members, -inf),
            np.ones(members),
            0,
            np.zeros(members, dtype=np.int32),
            none,
            np.zeros(0),
        )

    def add_columns(self, new: NDArray[np.int64]) -> None:
        a, b = self._c.a[new], self._c.b[new]
        count = len(new)
        cols = [np.arange(count), np.arange(count)]
        rows = [a, b]
        for number, inside in enumerate(self.blossoms):
            within = np.nonzero(inside[a] & inside[b])[0]
            cols.append(within)
            rows.append(np.full(len(within), self._members + number))
        col, row = np.concatenate(cols), np.concatenate(rows)
        order = np.argsort(col, kind="stable")
        starts = np.searchsorted(col[order], np.arange(count))
        self._highs.addCols(
            count,
            self._weight[new],
            np.zeros(count),
            np.full(count, self._highspy.kHighsInf),
            len(col),
            starts.astype(np.int32),
            row[order].astype(np.int32),
            np.ones(len(col)),
        )
        self.columns = np.concatenate([self.columns, new])
        self._highs.setOptionValue("simplex_strategy", _PRIMAL_SIMPLEX)

    def add_blossom(self, inside: NDArray[np.bool_]) -> None:
        # New rows leave the last basis dual feasible, new columns primal feasible.
        self._highs.setOptionValue("simplex_strategy", _DUAL_SIMPLEX)
        a, b = self._c.a[self.columns], self._c.b[self.columns]
        within = np.nonzero(inside[a] & inside[b])[0].astype(np.int32)
        limit = float((inside.sum() - 1) // 2)
        self._highs.addRow(
            -self._highspy.kHighsInf, limit, len(within), within, np.ones(len(within))
        )
        self.blossoms.append(inside)

    def solve(self) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
        """(pair values, row prices) of an optimum, or None when HiGHS finds none."""
        self._highs.run()
        if self._highs.getModelStatus() != self._highspy.HighsModelStatus.kOptimal:
            return None
        solution = self._highs.getSolution()
        x = np.array(solution.col_value, dtype=np.float64)
        return x, np.maximum(np.array(solution.row_dual, dtype=np.float64), 0.0)


def _prices(c: _Candidates, members: int, wishes_bound: int) -> _Prices | None:
    """Optimal dual prices of the matching LP over all candidate pairs, or None.

    The LP's weights are the lexicographic objective with the secondary score scaled
    below one wish: pair_value + wishes + secondary / (secondary total bound + 1), so its
    integer optima are the lexicographic optima, and the secondary score keeps the prices
    from tying (at 2,000 applicants 12 % of the pairs had reduced cost zero on wishes
    alone, 0.2 % with the scaled secondary score).

    Column generation: solve over a few promising pairs, add the pairs the prices
    undervalue, repeat; add a blossom constraint for each odd set the solution splits.
    None when HiGHS fails or this does not settle; the caller then uses every pair.
    """
    secondary_total = (members // 2) * int(c.secondary.max()) + 1
    weight = (wishes_bound + 1 + c.wishes) + c.secondary / secondary_total
    lp = _MatchingLP(c, members, weight)
    everyone = np.arange(len(c))
    lp.add_columns(_best_columns(c, members, _INITIAL_COLUMNS_PER_PERSON, weight, everyone))
    for _ in range(_MAX_LP_ROUNDS):
        solved = lp.solve()
        if solved is None:
            log.warning("matching LP not solved; using every candidate pair")
            return None
        x, duals = solved
        y, z = duals[:members], duals[members:]
        reduced = y[c.a] + y[c.b] - weight
        for inside, price in zip(lp.blossoms, z, strict=True):
            if price > 0:
                reduced[inside[c.a] & inside[c.b]] += price
        undervalued = np.nonzero(reduced < -_TOLERANCE)[0]
        if len(undervalued):
            lp.add_columns(
                _best_columns(c, members, _ADDED_COLUMNS_PER_PERSON, -reduced, undervalued)
            )
            continue
        odd = _odd_sets(c, lp.columns, x, members)
        if not odd:
            sizes = np.array([(inside.sum() - 1) // 2 for inside in lp.blossoms], dtype=float)
            bound = float(y.sum() + (z * sizes).sum())
            slack = (members // 2) * max(0.0, -float(reduced.min())) + 1e-11 * bound
            return _Prices(weight, reduced, bound, slack)
        for inside in odd:
            lp.add_blossom(inside)
    log.warning("matching LP did not settle in %d rounds; using every pair", _MAX_LP_ROUNDS)
    return None


@dataclass(slots=True)
class _Solution:
    pairs: set[tuple[int, int]]  # positions among the free members
    wishes_achievable: int  # the most wishes any matching of as many pairs meets


def _solve(c: _Candidates, members: int, wishes_bound: int) -> _Solution:
    """The lexicographic optimum over the candidate pairs, and the achievable wishes."""
    prices = _prices(c, members, wishes_bound) if len(c) > PRUNE_ABOVE_PAIRS else None
    if prices is None:
        chosen = _max_weight_pairs(members, _lexicographic_edges(c, members, wishes_bound))
        # Computed on its own, with weights that ignore the secondary score: a check on
        # the objective above, and the figure coordinators are shown.
        best = _max_weight_pairs(members, _wish_edges(c, wishes_bound))
        return _Solution(chosen, _pairs_wishes(c, best))
    keep = prices.reduced_cost <= prices.slack
    while True:
        kept = c.where(keep)
        chosen = _max_weight_pairs(members, _lexicographic_edges(kept, members, wishes_bound))
        value = float(prices.weight[np.nonzero(keep)[0][_chosen_rows(kept, chosen)]].sum())
        gap = prices.bound + prices.slack - value
        # Every pair of a lexicographically optimal matching M* has reduced cost at most
        # bound + slack - value(M*) <= gap, so once no pair under that line is left out,
        # `chosen` is optimal over all pairs; otherwise keep more and solve again.
        widened = prices.reduced_cost <= gap
        if not (widened & ~keep).any():
            log.debug("matching on %d of %d candidate pairs, gap %.2e", len(kept), len(c), gap)
            return _Solution(chosen, _pairs_wishes(kept, chosen))
        keep |= widened


def _chosen_rows(c: _Candidates, chosen: set[tuple[int, int]]) -> NDArray[np.int64]:
    row = {(a, b): k for k, (a, b) in enumerate(zip(c.a.tolist(), c.b.tolist(), strict=True))}
    return np.array(sorted(row[pair] for pair in chosen), dtype=np.int64)


# ---------------------------------------------------------------------------
# Reasons: what partners are told, and what only coordinators see
# ---------------------------------------------------------------------------


def _join(words: Sequence[str], conjunction: str = "and") -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def _article(phrase: str) -> str:
    return ("an " if phrase[:1] in "aeiou" else "a ") + phrase


def _hours(minutes: int) -> str:
    return f"{minutes / 60:g} h"


@dataclass(slots=True)
class _Reasons:
    shown: list[str]  # to the partners, in their introduction: what the pairing meets
    notes: list[str]  # to coordinators only: what it does not

    def __iadd__(self, other: _Reasons) -> _Reasons:
        self.shown += other.shown
        self.notes += other.notes
        return self


def _wish_reasons(asker: Application, other: Application) -> _Reasons:
    """What `asker` asked for and whether `other` fits, one sentence per stated wish; people
    are named as they asked to be called, since their partners read these too."""
    said = _Reasons([], [])

    def tell(sentence: str, met: bool) -> None:
        if met:
            said.shown.append(sentence)
        else:
            said.notes.append(f"{sentence} (wish not met)")

    if asker.partner_sectors:
        wanted = _join(sorted(_SECTOR_ADJECTIVES[s] for s in asker.partner_sectors), "or")
        tell(
            f"{asker.called} asked for {_article(wanted)} librarian; "
            f"{other.called} {_SECTOR_WORKPLACES[other.sector]}",
            other.sector in asker.partner_sectors,
        )
    if asker.partner_career_stages:
        ordered = [s for s in CareerStage if s in asker.partner_career_stages]
        wanted = _join([_STAGE_ADJECTIVES[s] for s in ordered], "or")
        tell(
            f"{asker.called} hoped for {_article(wanted)} partner; "
            f"{other.called} {_STAGE_DESCRIPTIONS[other.career_stage]}",
            other.career_stage in asker.partner_career_stages,
        )
    if asker.partner_countries:
        wanted = _join(sorted(country_name(code) for code in asker.partner_countries), "or")
        tell(
            f"{asker.called} asked for a partner in {wanted}; "
            f"{other.called} is in {country_name(other.country)}",
            other.country in asker.partner_countries,
        )
    return said


def _pair_reasons(f: _Features, i: int, j: int) -> _Reasons:
    a, b = f.applications[i], f.applications[j]
    said = _wish_reasons(a, b)
    said += _wish_reasons(b, a)
    shared_languages = [code for code in a.languages if code in b.languages]
    if shared_languages:
        said.shown.append(f"both speak {_join([language_name(c) for c in shared_languages])}")
    shared_interests = [topic for topic in a.interests if topic in b.interests]
    if shared_interests:
        said.shown.append(f"both interested in {_join(shared_interests)}")
    minutes = shared_working_minutes(f.zone_offsets[f.zone[i]], f.zone_offsets[f.zone[j]])
    minimum = f.weights.min_overlap_hours
    if minutes == 0:
        said.notes.append("no shared working hours (09:00-17:00 local)")
    elif minutes < minimum * 60:
        said.notes.append(
            f"only {_hours(minutes)} of shared working hours (below the {minimum:g} h minimum)"
        )
    else:
        said.shown.append(f"{_hours(minutes)} of shared working hours")
    return said


def _hard_rule_breaks(f: _Features, rules: _Rules, past: _Rules, i: int, j: int) -> list[str]:
    """Hard rules a pair breaks; `past` holds history only, `rules` history and forbids."""
    a, b = f.applications[i], f.applications[j]
    breaks: list[str] = []
    if rules.require_different_countries and a.country == b.country:
        breaks.append(f"same country ({country_name(a.country)})")
    if not f.language[i] & f.language[j]:
        breaks.append("no shared language")
    if past.is_blocked(i, j):
        breaks.append("past partners")
    elif rules.is_blocked(i, j):
        breaks.append("on the forbid list")
    return breaks


def _unmatched_reason(
    f: _Features, rules: _Rules, i: int, pinned: set[int], trio_hosts: int
) -> tuple[UnmatchedCause, str]:
    """The most specific reason nobody could be found for applicant `i`, with its cause."""
    app = f.applications[i]
    others = [j for j in range(len(f.applications)) if j != i]
    speakers = [j for j in others if f.language[i] & f.language[j]]
    if not speakers:
        names = ", ".join(f"{language_name(c)} ({c})" for c in app.languages)
        return "language", f"no other applicant shares a language: {names}"
    abroad = speakers
    if rules.require_different_countries:
        abroad = [j for j in speakers if f.country[j] != f.country[i]]
        if not abroad:
            return "country", (
                "every applicant who shares a language is in the same country "
                f"({country_name(app.country)})"
            )
    allowed = [j for j in abroad if not rules.is_blocked(i, j)]
    if not allowed:
        return "history", "all feasible partners were past partners or forbidden"
    free = [j for j in allowed if j not in pinned]
    if not free:
        return "odd_one_out", "every feasible partner was pinned to someone else by a coordinator"
    reason = (
        f"odd one out: every feasible partner ({len(free)}) was matched with someone "
        "who suited them better"
    )
    if trio_hosts == 0:
        return "odd_one_out", reason
    return "odd_one_out", reason + "; no pair had both members suit them as a third member"


# ---------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Group:
    members: list[int]  # indices into the features
    wishes: int
    units: int
    reasons: _Reasons
    pinned: bool = False


def _group_wishes(f: _Features, members: Sequence[int]) -> int:
    """Stated wishes of the group's members that another member meets, each counted once."""
    total = 0
    for i in members:
        app = f.applications[i]
        others = [f.applications[j] for j in members if j != i]
        total += any(o.sector in app.partner_sectors for o in others)
        total += any(o.career_stage in app.partner_career_stages for o in others)
        total += any(o.country in app.partner_countries for o in others)
    return total


def _pair_group(f: _Features, i: int, j: int) -> _Group:
    return _Group([i, j], _group_wishes(f, (i, j)), f.secondary_units(i, j), _pair_reasons(f, i, j))


def _validate(applications: Sequence[Application], pins: list[tuple[int, int]]) -> list[str]:
    ids = [app.discord_id for app in applications]
    repeated = sorted(d for d, count in Counter(ids).items() if count > 1)
    problems = [f"discord_id {d} applies more than once" for d in repeated]
    known = set(ids)
    seen: set[int] = set()
    for a, b in pins:
        problems += [f"pin ({a}, {b}): {m} is not an applicant" for m in (a, b) if m not in known]
        if a == b:
            problems.append(f"pin ({a}, {b}): a person cannot be pinned to themselves")
        problems += [f"pin ({a}, {b}): {m} is already pinned" for m in (a, b) if m in seen]
        seen.update((a, b))
    return problems


def _pinned_group(f: _Features, rules: _Rules, past: _Rules, i: int, j: int) -> _Group:
    group = _pair_group(f, i, j)
    breaks = _hard_rule_breaks(f, rules, past, i, j)
    group.reasons.shown.insert(0, "paired by a coordinator")
    if breaks:
        group.reasons.notes.insert(0, f"pinned by a coordinator despite: {', '.join(breaks)}")
    group.pinned = True
    return group


def _add_trio_members(
    f: _Features, rules: _Rules, groups: list[_Group], leftovers: list[int]
) -> list[int]:
    """Let each leftover with a feasible pair join the pair it adds the most to: wishes
    met first, then secondary score. Pinned pairs and existing trios take nobody.
    Returns those still left over."""
    still_left: list[int] = []
    for person in leftovers:
        best: tuple[int, int, int] | None = None  # (-added wishes, -added units, position)
        for position, group in enumerate(groups):
            if group.pinned or len(group.members) != 2:
                continue
            if all(_is_feasible(f, rules, person, m) for m in group.members):
                wishes = _group_wishes(f, [*group.members, person]) - group.wishes
                units = sum(f.secondary_units(person, m) for m in group.members)
                candidate = (-wishes, -units, position)
                best = candidate if best is None else min(best, candidate)
        if best is None:
            still_left.append(person)
            continue
        _join_group(f, groups[best[2]], person)
    return still_left


def _join_group(f: _Features, group: _Group, person: int) -> None:
    name = f.applications[person].called
    group.reasons.shown.append(f"{name} joined as a third member")
    group.reasons.notes.append(f"{name} joined as a third member: no partner was left for them")
    for member in group.members:
        group.reasons += _pair_reasons(f, person, member)
        group.units += f.secondary_units(person, member)
    group.members = sorted([*group.members, person])
    group.wishes = _group_wishes(f, group.members)


def _metrics(f: _Features, groups: list[_Group], unmatched: int, achievable: int) -> MatchMetrics:
    stated = sum(_stated_wishes(app) for app in f.applications)
    satisfied = sum(group.wishes for group in groups)
    total_units = sum(group.units for group in groups)
    return MatchMetrics(
        matched=sum(len(group.members) for group in groups),
        unmatched=unmatched,
        pairs=len(groups),
        mean_score=round(total_units / SCORE_SCALE / len(groups), 4) if groups else 0.0,
        wishes_stated=stated,
        wishes_satisfied=satisfied,
        wishes_achievable=achievable,
        wishes_satisfied_share=round(satisfied / stated, 4) if stated else 0.0,
    )


def match(
    applications: Sequence[Application],
    *,
    past_pairs: set[frozenset[int]],
    forbidden: set[frozenset[int]],
    pins: list[tuple[int, int]],
    settings: MatchSettings,
    reference_date: date,
) -> MatchResult:
    """Propose partners: the most people matched, then the most stated wishes met, then
    the highest secondary score.

    Pinned pairs are taken as given (with a coordinator's note of any hard rule they
    break); everyone else is matched optimally under the hard rules. The result is the same
    for the same input in any order. Raises MatchInputError for duplicate applicants or bad
    pins.
    """
    problems = _validate(applications, pins)
    if problems:
        raise MatchInputError(problems)
    ordered = sorted(applications, key=lambda app: app.discord_id)
    index = {app.discord_id: i for i, app in enumerate(ordered)}
    f = _build_features(ordered, settings.weights, reference_date)
    past = _Rules(settings.require_different_countries, _blocked_by_index(past_pairs, index))
    rules = _Rules(
        settings.require_different_countries, _blocked_by_index(past_pairs | forbidden, index)
    )
    groups = [
        _pinned_group(f, rules, past, min(index[a], index[b]), max(index[a], index[b]))
        for a, b in pins
    ]
    pinned = {member for group in groups for member in group.members}
    free = [i for i in range(len(ordered)) if i not in pinned]
    wishes_bound = sum(_stated_wishes(f.applications[i]) for i in free)
    solution = _solve(_candidates(f, free, rules), len(free), wishes_bound)
    achievable = sum(group.wishes for group in groups) + solution.wishes_achievable
    for a, b in sorted(solution.pairs):
        groups.append(_pair_group(f, free[a], free[b]))
    matched = {member for group in groups for member in group.members}
    leftovers = [i for i in free if i not in matched]
    hosts = 0
    if settings.allow_trios:
        hosts = sum(1 for group in groups if not group.pinned)
        leftovers = _add_trio_members(f, rules, groups, leftovers)
    return _result(f, rules, groups, leftovers, pinned, hosts, achievable)


def _result(
    f: _Features,
    rules: _Rules,
    groups: list[_Group],
    leftovers: list[int],
    pinned: set[int],
    trio_hosts: int,
    achievable: int,
) -> MatchResult:
    ids = [app.discord_id for app in f.applications]
    pairs = sorted(
        (
            ProposedPair(
                members=tuple(ids[m] for m in group.members),
                wishes_met=group.wishes,
                score=group.units / SCORE_SCALE,
                reasons=group.reasons.shown,
                coordinator_notes=group.reasons.notes,
            )
            for group in groups
        ),
        key=lambda pair: pair.members,
    )
    unmatched = []
    for i in leftovers:
        cause, reason = _unmatched_reason(f, rules, i, pinned, trio_hosts)
        unmatched.append(Unmatched(discord_id=ids[i], reasons=[reason], cause=cause))
    return MatchResult(
        pairs=pairs,
        unmatched=unmatched,
        metrics=_metrics(f, groups, len(unmatched), achievable),
    )


__all__ = [
    "PRUNE_ABOVE_PAIRS",
    "SCORE_SCALE",
    "MatchInputError",
    "MatchMetrics",
    "MatchResult",
    "MatchSettings",
    "MatchWeights",
    "ProposedPair",
    "Unmatched",
    "UnmatchedCause",
    "match",
    "shared_working_minutes",
]
