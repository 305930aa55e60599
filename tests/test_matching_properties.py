"""Property tests: whatever the round, the matching keeps its promises."""

from __future__ import annotations

import random
from datetime import date
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import matching
from bot.domain.applications import Application, CareerStage, Sector
from bot.domain.matching import MatchResult, MatchSettings, match
from tests.matching_reference import feasible, most_wishes
from tests.test_matching import achieved, applicant, best_by_brute_force

REFERENCE_DATE = date(2025, 6, 16)
COUNTRIES = ["AU", "BR", "FR", "JP"]
LANGUAGES = ["en", "es", "pt"]
TOPICS = ["archives", "outreach", "metadata"]

property_settings = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def rounds(draw: st.DrawFn) -> tuple[list[Application], set[frozenset[int]], set[frozenset[int]]]:
    """A small round plus history and forbid lists over its applicants."""
    size = draw(st.integers(min_value=0, max_value=12))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=size, max_size=size, unique=True))
    people = [
        applicant(
            discord_id,
            country=draw(st.sampled_from(COUNTRIES)),
            sector=draw(st.sampled_from(list(Sector))),
            career_stage=draw(st.sampled_from(list(CareerStage))),
            languages=draw(st.lists(st.sampled_from(LANGUAGES), min_size=1, max_size=2)),
            interests=draw(st.lists(st.sampled_from(TOPICS), max_size=3)),
            partner_sectors=draw(st.frozensets(st.sampled_from(list(Sector)), max_size=2)),
            partner_career_stages=draw(
                st.frozensets(st.sampled_from(list(CareerStage)), max_size=2)
            ),
            partner_countries=draw(st.frozensets(st.sampled_from(COUNTRIES), max_size=1)),
        )
        for discord_id in ids
    ]
    pairs = st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True).map(frozenset)
    past = set(draw(st.lists(pairs, max_size=4))) if len(ids) >= 2 else set()
    forbidden = set(draw(st.lists(pairs, max_size=2))) if len(ids) >= 2 else set()
    return people, past, forbidden


def solve(
    people: list[Application],
    past: set[frozenset[int]],
    forbidden: set[frozenset[int]],
    pins: list[tuple[int, int]] | None = None,
    match_settings: MatchSettings | None = None,
) -> MatchResult:
    return match(
        people,
        past_pairs=past,
        forbidden=forbidden,
        pins=pins or [],
        settings=match_settings or MatchSettings(),
        reference_date=REFERENCE_DATE,
    )


def members_of(result: MatchResult) -> list[int]:
    return [member for pair in result.pairs for member in pair.members]


@property_settings
@given(rounds(), st.booleans(), st.booleans())
def test_no_hard_rule_is_broken_and_everyone_is_accounted_for_once(
    round_: tuple[list[Application], set[frozenset[int]], set[frozenset[int]]],
    different_countries: bool,
    trios: bool,
) -> None:
    people, past, forbidden = round_
    match_settings = MatchSettings(
        require_different_countries=different_countries, allow_trios=trios
    )
    result = solve(people, past, forbidden, match_settings=match_settings)
    by_id = {p.discord_id: p for p in people}
    for pair in result.pairs:
        for position, a in enumerate(pair.members):
            for b in pair.members[position + 1 :]:
                assert feasible(by_id[a], by_id[b], past, forbidden, match_settings), pair
    matched = members_of(result)
    unmatched = [person.discord_id for person in result.unmatched]
    assert len(matched) == len(set(matched))
    assert sorted(matched + unmatched) == sorted(by_id)
    assert result.metrics.matched + result.metrics.unmatched == len(people)
    assert all(person.reasons for person in result.unmatched)
    assert all(pair.reasons for pair in result.pairs)


@property_settings
@given(rounds(), st.randoms(use_true_random=False))
def test_same_input_in_any_order_gives_the_same_result(
    round_: tuple[list[Application], set[frozenset[int]], set[frozenset[int]]],
    rng: random.Random,
) -> None:
    people, past, forbidden = round_
    first = solve(people, past, forbidden)
    shuffled = list(people)
    rng.shuffle(shuffled)
    assert solve(shuffled, past, forbidden) == first
    assert solve(people, past, forbidden) == first
    assert [pair.members for pair in first.pairs] == sorted(pair.members for pair in first.pairs)
    assert all(list(pair.members) == sorted(pair.members) for pair in first.pairs)


@property_settings
@given(rounds(), st.data())
def test_pins_are_honoured(
    round_: tuple[list[Application], set[frozenset[int]], set[frozenset[int]]],
    data: st.DataObject,
) -> None:
    people, past, forbidden = round_
    ids = [p.discord_id for p in people]
    shuffled = data.draw(st.permutations(ids))
    count = data.draw(st.integers(0, len(ids) // 2))
    pins = [(shuffled[2 * k], shuffled[2 * k + 1]) for k in range(count)]
    result = solve(people, past, forbidden, pins=pins)
    groups = {pair.members: pair for pair in result.pairs}
    for a, b in pins:
        pair = groups[tuple(sorted((a, b)))]
        assert pair.reasons[0] == "paired by a coordinator"
    matched = members_of(result)
    assert len(matched) == len(set(matched))


@settings(max_examples=40, deadline=None)
@given(rounds(), st.booleans())
def test_optimum_equals_brute_force(
    round_: tuple[list[Application], set[frozenset[int]], set[frozenset[int]]],
    different_countries: bool,
) -> None:
    people, past, forbidden = round_
    people = people[:9]
    match_settings = MatchSettings(require_different_countries=different_countries)
    result = solve(people, past, forbidden, match_settings=match_settings)
    best = best_by_brute_force(people, past, forbidden, match_settings, REFERENCE_DATE)
    assert achieved(result) == best


@settings(max_examples=40, deadline=None)
@given(rounds(), st.booleans())
def test_no_proposal_meets_more_wishes_without_matching_fewer_people_small(
    round_: tuple[list[Application], set[frozenset[int]], set[frozenset[int]]],
    different_countries: bool,
) -> None:
    """Against every matching there is: the same people matched and wishes met as the
    best, and the achievable figure is that best."""
    people, past, forbidden = round_
    people = people[:9]
    match_settings = MatchSettings(require_different_countries=different_countries)
    result = solve(people, past, forbidden, match_settings=match_settings)
    pairs, wishes, _ = best_by_brute_force(people, past, forbidden, match_settings, REFERENCE_DATE)
    assert (result.metrics.matched, result.metrics.wishes_satisfied) == (2 * pairs, wishes)
    assert result.metrics.wishes_achievable == wishes


@st.composite
def larger_rounds(
    draw: st.DrawFn,
) -> tuple[list[Application], set[frozenset[int]], list[tuple[int, int]]]:
    """Up to 40 applicants, with history and a pin or two: too many for brute force."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = random.Random(seed)
    size = draw(st.integers(min_value=10, max_value=40))
    people = [
        applicant(
            1 + k,
            country=rng.choice(COUNTRIES),
            sector=rng.choice(list(Sector)),
            career_stage=rng.choice(list(CareerStage)),
            languages=rng.sample(LANGUAGES, rng.randint(1, 2)),
            interests=rng.sample(TOPICS, rng.randint(0, 3)),
            partner_sectors=frozenset(rng.sample(list(Sector), rng.randint(0, 2))),
            partner_career_stages=frozenset(rng.sample(list(CareerStage), rng.randint(0, 2))),
            partner_countries=frozenset(rng.sample(COUNTRIES, rng.choice([0, 0, 1]))),
        )
        for k in range(size)
    ]
    ids = [p.discord_id for p in people]
    past = {frozenset(rng.sample(ids, 2)) for _ in range(rng.randint(0, size // 2))}
    pins = [(ids[0], ids[1])] if draw(st.booleans()) else []
    return people, past, pins


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(larger_rounds(), st.booleans())
def test_no_proposal_meets_more_wishes_without_matching_fewer_people_large(
    round_: tuple[list[Application], set[frozenset[int]], list[tuple[int, int]]],
    pruned: bool,
) -> None:
    """Against an independent maximum (plain max-weight matching on wishes alone, with
    maximum cardinality), through the whole graph and through the certified pruning."""
    people, past, pins = round_
    threshold = 0 if pruned else matching.PRUNE_ABOVE_PAIRS
    with mock.patch.object(matching, "PRUNE_ABOVE_PAIRS", threshold):
        result = solve(people, past, set(), pins=pins)
    matched, wishes = most_wishes(people, past, set(), MatchSettings(), pins)
    assert (result.metrics.matched, result.metrics.wishes_satisfied) == (matched, wishes)
    assert result.metrics.wishes_achievable == wishes
