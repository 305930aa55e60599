"""Matching: optimality against brute force, hard rules, reasons, pins, trios, reports."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest

from bot.config import ConfigError, load_config
from bot.domain import matching
from bot.domain.applications import Application, CareerStage, Sector
from bot.domain.match_report import result_to_csv, result_to_json, summary_lines
from bot.domain.matching import (
    SCORE_SCALE,
    MatchInputError,
    MatchResult,
    MatchSettings,
    MatchWeights,
    match,
    shared_working_minutes,
)
from bot.domain.places import country_name, language_name
from tests.matching_reference import brute_force, most_wishes, secondary_units

REFERENCE_DATE = date(2025, 3, 3)
ZONES = {
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "JP": "Asia/Tokyo",
    "MX": "America/Mexico_City",
    "NG": "Africa/Lagos",
    "US": "America/New_York",
}


def applicant(discord_id: int, **overrides: Any) -> Application:
    """A valid application; any field can be overridden."""
    country = overrides.get("country", "GB")
    fields: dict[str, Any] = {
        "discord_id": discord_id,
        "name": f"P{discord_id}",
        "email": None,
        "institution": "Example Library",
        "sector": Sector.PUBLIC,
        "country": country,
        "timezone": ZONES.get(country, "Europe/London"),
        "career_stage": CareerStage.MID,
        "languages": ("en",),
        "interests": (),
        "hopes": "",
    }
    fields.update(overrides)
    return Application(**fields)


def run(
    applications: Sequence[Application],
    *,
    past_pairs: set[frozenset[int]] | None = None,
    forbidden: set[frozenset[int]] | None = None,
    pins: list[tuple[int, int]] | None = None,
    settings: MatchSettings | None = None,
) -> MatchResult:
    return match(
        applications,
        past_pairs=past_pairs or set(),
        forbidden=forbidden or set(),
        pins=pins or [],
        settings=settings or MatchSettings(),
        reference_date=REFERENCE_DATE,
    )


def random_applicant(rng: random.Random, discord_id: int) -> Application:
    country = rng.choice(["AU", "BR", "FR", "GB", "JP"])
    return applicant(
        discord_id,
        country=country,
        sector=rng.choice(list(Sector)),
        career_stage=rng.choice(list(CareerStage)),
        languages=rng.sample(["en", "es", "pt", "fr"], rng.randint(1, 2)),
        interests=rng.sample(["archives", "outreach", "metadata", "copyright"], rng.randint(0, 3)),
        partner_sectors=frozenset(rng.sample(list(Sector), rng.randint(0, 2))),
        partner_career_stages=frozenset(rng.sample(list(CareerStage), rng.randint(0, 2))),
        partner_countries=frozenset(rng.sample(["AU", "BR", "FR"], rng.choice([0, 0, 1]))),
    )


# ---------------------------------------------------------------------------
# Brute force
# ---------------------------------------------------------------------------


def best_by_brute_force(
    applications: Sequence[Application],
    past_pairs: set[frozenset[int]],
    forbidden: set[frozenset[int]],
    settings: MatchSettings,
    reference_date: date = REFERENCE_DATE,
) -> tuple[int, int, int]:
    """(pairs, wishes met, secondary units) of the lexicographically best matching."""
    return brute_force(applications, past_pairs, forbidden, settings, reference_date)


def achieved(result: MatchResult) -> tuple[int, int, int]:
    return (
        len(result.pairs),
        sum(pair.wishes_met for pair in result.pairs),
        sum(round(pair.score * SCORE_SCALE) for pair in result.pairs),
    )


@pytest.mark.parametrize("seed", range(40))
def test_random_small_rounds_match_the_brute_force_optimum(seed: int) -> None:
    rng = random.Random(seed)
    people = [random_applicant(rng, 1 + k) for k in range(rng.randint(2, 10))]
    ids = [p.discord_id for p in people]
    past = {frozenset(rng.sample(ids, 2)) for _ in range(rng.randint(0, 2))}
    forbidden = {frozenset(rng.sample(ids, 2)) for _ in range(rng.randint(0, 1))}
    settings = MatchSettings(require_different_countries=seed % 4 != 0)
    result = run(people, past_pairs=past, forbidden=forbidden, settings=settings)
    assert achieved(result) == best_by_brute_force(people, past, forbidden, settings)


def test_hand_made_round_prefers_two_good_pairs_over_one_perfect_pair() -> None:
    # A and B would be a perfect pair, but then C and D have nobody: maximum cardinality wins.
    a = applicant(1, country="AU", partner_sectors={Sector.ACADEMIC}, sector=Sector.ACADEMIC)
    b = applicant(2, country="BR", partner_sectors={Sector.ACADEMIC}, sector=Sector.ACADEMIC)
    c = applicant(3, country="BR", languages=("en",))
    d = applicant(4, country="AU", languages=("en",))
    result = run([a, b, c, d])
    assert achieved(result) == best_by_brute_force([a, b, c, d], set(), set(), MatchSettings())
    assert len(result.pairs) == 2


def test_one_stated_wish_outweighs_every_shared_interest_and_hour() -> None:
    london = "Europe/London"
    interests = ("archives", "metadata", "outreach")
    ada = applicant(1, country="GB", timezone=london, interests=interests,
                    partner_sectors={Sector.ACADEMIC})  # fmt: skip
    twin = applicant(2, country="IE", timezone=london, interests=interests)
    academic = applicant(3, country="AU", sector=Sector.ACADEMIC)  # no hours, no interests
    result = run([ada, twin, academic])
    assert [pair.members for pair in result.pairs] == [(1, 3)]
    assert result.pairs[0].wishes_met == 1 and result.pairs[0].score == 0


def test_no_number_of_wishes_leaves_one_more_person_without_a_partner() -> None:
    wants = {"partner_sectors": {Sector.ACADEMIC}, "partner_career_stages": {CareerStage.LATE}}
    a = applicant(1, country="AU", sector=Sector.ACADEMIC, career_stage=CareerStage.LATE, **wants)
    b = applicant(2, country="FR", sector=Sector.ACADEMIC, career_stage=CareerStage.LATE, **wants)
    c = applicant(3, country="JP", languages=("en", "ja"))
    d = applicant(4, country="BR", languages=("ja",))  # can only pair with c
    result = run([a, b, c, d])
    assert len(result.pairs) == 2  # (a, b) would meet four wishes but leave c and d alone


def test_hand_made_round_with_odd_count_leaves_the_worst_fit_out() -> None:
    people = [
        applicant(1, country="AU", partner_career_stages={CareerStage.EARLY}),
        applicant(2, country="FR", career_stage=CareerStage.EARLY),
        applicant(3, country="JP", career_stage=CareerStage.LATE),
    ]
    result = run(people)
    assert [pair.members for pair in result.pairs] == [(1, 2)]
    assert [person.discord_id for person in result.unmatched] == [3]
    assert result.unmatched[0].reasons[0].startswith("odd one out")


# ---------------------------------------------------------------------------
# Reasons and wishes
# ---------------------------------------------------------------------------


def test_complementary_wish_gets_an_academic_partner_and_says_why() -> None:
    ada = applicant(
        1,
        name="Ada",
        country="AU",
        sector=Sector.PUBLIC,
        career_stage=CareerStage.LATE,
        partner_sectors={Sector.ACADEMIC},
        partner_career_stages={CareerStage.EARLY},
    )
    public = applicant(2, name="Pat", country="FR", sector=Sector.PUBLIC)
    academic = applicant(
        3, name="Bo", country="JP", sector=Sector.ACADEMIC, career_stage=CareerStage.EARLY
    )
    result = run([ada, public, academic])
    assert [pair.members for pair in result.pairs] == [(1, 3)]
    reasons = result.pairs[0].reasons
    assert "Ada asked for an academic librarian; Bo works in an academic library" in reasons
    assert "Ada hoped for an early-career partner; Bo is early-career" in reasons


def test_reasons_name_languages_interests_and_working_hours() -> None:
    a = applicant(
        1, name="Ana", country="MX", languages=("es", "en"), interests=("digital preservation",)
    )
    b = applicant(
        2, name="Bea", country="US", languages=("es",), interests=("Digital Preservation",)
    )
    reasons = run([a, b]).pairs[0].reasons
    assert "both speak Spanish" in reasons
    assert "both interested in digital preservation" in reasons
    assert any(reason.endswith("h of shared working hours") for reason in reasons)


def test_unmet_wish_is_told_to_coordinators_not_to_the_partners() -> None:
    a = applicant(1, name="Ana", country="AU", partner_sectors={Sector.SCHOOL})
    b = applicant(2, name="Bea", country="FR", sector=Sector.SPECIAL)
    [pair] = run([a, b]).pairs
    note = "Ana asked for a school librarian; Bea works in a special library (wish not met)"
    assert note in pair.coordinator_notes
    assert not any("wish not met" in reason or "school" in reason for reason in pair.reasons)


def test_reasons_name_countries_and_languages() -> None:
    a = applicant(1, name="Ana", country="AU", languages=("en", "tl"), partner_countries={"TW"})
    b = applicant(2, name="Bo", country="TW", languages=("tl",))
    [pair] = run([a, b]).pairs
    assert "Ana asked for a partner in Taiwan; Bo is in Taiwan" in pair.reasons
    assert "both speak Tagalog" in pair.reasons


def test_too_few_shared_hours_is_a_coordinator_note() -> None:
    sydney, paris = applicant(1, country="AU"), applicant(2, country="FR")
    [pair] = run([sydney, paris]).pairs
    assert pair.coordinator_notes == ["no shared working hours (09:00-17:00 local)"]
    assert not any("working hours" in reason for reason in pair.reasons)


def test_places_give_names_for_codes() -> None:
    assert country_name("GB") == "United Kingdom"
    assert country_name("KR") == "South Korea"
    assert country_name("XX") == "XX"
    assert language_name("es") == "Spanish"
    assert language_name("fil") == "Filipino"
    assert language_name("qq") == "qq"


def test_country_wish_is_soft_and_scores_when_met() -> None:
    asker = applicant(1, country="AU", partner_countries={"JP"})
    in_japan = applicant(2, country="JP")
    in_france = applicant(3, country="FR")
    assert [p.members for p in run([asker, in_japan, in_france]).pairs] == [(1, 2)]
    assert [p.members for p in run([asker, in_france]).pairs] == [(1, 3)]


def test_working_hours_overlap_wraps_around_midnight() -> None:
    assert shared_working_minutes(0, 0) == 480
    assert shared_working_minutes(60, 0) == 420
    assert shared_working_minutes(600, 0) == 0
    assert shared_working_minutes(13 * 60, -10 * 60) == 420  # Auckland and Honolulu


def test_below_minimum_overlap_earns_nothing() -> None:
    settings = MatchSettings(weights=MatchWeights(min_overlap_hours=8))
    london, paris = applicant(1, country="GB"), applicant(2, country="FR")
    [pair] = run([london, paris], settings=settings).pairs
    assert pair.score == 0
    assert secondary_units(london, paris, settings, REFERENCE_DATE) == 0


def test_metrics_count_wishes() -> None:
    a = applicant(
        1, country="AU", partner_sectors={Sector.PUBLIC}, partner_career_stages={CareerStage.LATE}
    )
    b = applicant(2, country="FR", partner_countries={"AU"})
    metrics = run([a, b]).metrics
    assert (metrics.wishes_stated, metrics.wishes_satisfied, metrics.wishes_achievable) == (3, 2, 2)
    assert metrics.wishes_satisfied_share == pytest.approx(2 / 3, abs=1e-3)
    assert (metrics.matched, metrics.unmatched, metrics.pairs) == (2, 0, 1)


# ---------------------------------------------------------------------------
# Hard rules and unmatched reasons
# ---------------------------------------------------------------------------


def test_history_rule_never_rematches_past_partners() -> None:
    people = [applicant(1, country="AU"), applicant(2, country="FR")]
    result = run(people, past_pairs={frozenset({1, 2})})
    assert result.pairs == []
    assert {p.discord_id for p in result.unmatched} == {1, 2}
    assert result.unmatched[0].reasons == ["all feasible partners were past partners or forbidden"]


def test_history_rule_picks_the_other_partner() -> None:
    people = [applicant(1, country="AU"), applicant(2, country="FR"), applicant(3, country="JP")]
    result = run(people, past_pairs={frozenset({1, 2}), frozenset({1, 3})})
    assert [p.members for p in result.pairs] == [(2, 3)]


def test_forbid_rule_is_respected() -> None:
    people = [applicant(1, country="AU"), applicant(2, country="FR")]
    assert run(people, forbidden={frozenset({1, 2})}).pairs == []


def test_same_country_rule_and_its_switch() -> None:
    people = [applicant(1, country="BR"), applicant(2, country="BR")]
    result = run(people)
    assert result.pairs == []
    assert result.unmatched[0].reasons == [
        "every applicant who shares a language is in the same country (Brazil)"
    ]
    relaxed = run(people, settings=MatchSettings(require_different_countries=False))
    assert [p.members for p in relaxed.pairs] == [(1, 2)]


def test_no_shared_language_reason_names_the_language() -> None:
    people = [applicant(1, country="BR", languages=("pt",)), applicant(2, country="FR")]
    result = run(people)
    assert result.pairs == []
    reasons = {p.discord_id: p.reasons for p in result.unmatched}
    assert reasons[1] == ["no other applicant shares a language: Portuguese (pt)"]


def test_partner_pinned_elsewhere_is_explained() -> None:
    people = [applicant(1, country="AU"), applicant(2, country="FR"), applicant(3, country="FR")]
    result = run(people, pins=[(2, 3)], settings=MatchSettings())
    assert result.unmatched[0].reasons == [
        "every feasible partner was pinned to someone else by a coordinator"
    ]


# ---------------------------------------------------------------------------
# Pins
# ---------------------------------------------------------------------------


def test_pin_is_honoured_even_against_the_optimum() -> None:
    people = [
        applicant(1, country="AU", partner_sectors={Sector.ACADEMIC}),
        applicant(2, country="FR", sector=Sector.ACADEMIC),
        applicant(3, country="JP"),
        applicant(4, country="GB"),
    ]
    result = run(people, pins=[(3, 1)])
    assert [p.members for p in result.pairs] == [(1, 3), (2, 4)]
    assert result.pairs[0].reasons[0] == "paired by a coordinator"
    assert result.pairs[0].coordinator_notes == [
        "P1 asked for an academic librarian; P3 works in a public library (wish not met)"
    ]
    # The achievable maximum keeps the pin too: the wish could only be met without it.
    assert (result.metrics.wishes_satisfied, result.metrics.wishes_achievable) == (0, 0)


def test_pin_breaking_hard_rules_says_so() -> None:
    people = [applicant(1, country="BR", languages=("pt",)), applicant(2, country="BR")]
    result = run(people, pins=[(1, 2)], past_pairs={frozenset({1, 2})})
    assert result.pairs[0].reasons[0] == "paired by a coordinator"
    assert result.pairs[0].coordinator_notes[0] == (
        "pinned by a coordinator despite: same country (Brazil), no shared language, past partners"
    )
    assert not any("despite" in reason for reason in result.pairs[0].reasons)


@pytest.mark.parametrize(
    ("pins", "problem"),
    [
        ([(1, 9)], "pin (1, 9): 9 is not an applicant"),
        ([(1, 1)], "pin (1, 1): a person cannot be pinned to themselves"),
        ([(1, 2), (2, 3)], "pin (2, 3): 2 is already pinned"),
    ],
)
def test_bad_pins_are_rejected(pins: list[tuple[int, int]], problem: str) -> None:
    people = [applicant(1, country="AU"), applicant(2, country="FR"), applicant(3, country="JP")]
    with pytest.raises(MatchInputError) as caught:
        run(people, pins=pins)
    assert problem in caught.value.problems


def test_duplicate_applicants_are_rejected() -> None:
    with pytest.raises(MatchInputError, match="applies more than once"):
        run([applicant(1, country="AU"), applicant(1, country="FR")])


# ---------------------------------------------------------------------------
# Trios
# ---------------------------------------------------------------------------


def test_trios_take_in_the_odd_one_out() -> None:
    people = [applicant(1, country="AU"), applicant(2, country="FR"), applicant(3, country="JP")]
    result = run(people, settings=MatchSettings(allow_trios=True))
    assert [p.members for p in result.pairs] == [(1, 2, 3)]
    assert result.unmatched == []
    assert "P2 joined as a third member" in result.pairs[0].reasons
    assert any("no partner was left" in note for note in result.pairs[0].coordinator_notes)
    assert result.metrics.matched == 3


def test_trios_need_both_members_to_be_feasible() -> None:
    people = [applicant(1, country="AU"), applicant(2, country="FR"), applicant(3, country="FR")]
    result = run(people, settings=MatchSettings(allow_trios=True))
    assert len(result.pairs) == 1 and len(result.pairs[0].members) == 2
    assert (
        result.unmatched[0]
        .reasons[0]
        .endswith("no pair had both members suit them as a third member")
    )


def test_trio_joins_the_pair_it_adds_most_to() -> None:
    london = "Europe/London"  # one time zone, so only interests tell the pairs apart
    archives, metadata = ("archives",), ("metadata",)
    people = [
        applicant(1, country="AU", timezone=london, interests=archives),
        applicant(2, country="FR", timezone=london, interests=archives),
        applicant(3, country="JP", timezone=london, interests=metadata),
        applicant(4, country="US", timezone=london, interests=metadata),
        applicant(5, country="GB", timezone=london, interests=archives),
    ]
    result = run(people, settings=MatchSettings(allow_trios=True))
    assert sorted(p.members for p in result.pairs) == [(1, 2, 5), (3, 4)]


# ---------------------------------------------------------------------------
# Greedy baseline and reports
# ---------------------------------------------------------------------------


def test_wishes_met_are_the_independent_maximum_on_larger_rounds() -> None:
    rng = random.Random(7)
    people = [random_applicant(rng, 1 + k) for k in range(40)]
    ids = [p.discord_id for p in people]
    past = {frozenset(rng.sample(ids, 2)) for _ in range(8)}
    result = run(people, past_pairs=past, pins=[(1, 2)])
    expected = most_wishes(people, past, set(), MatchSettings(), [(1, 2)])
    metrics = result.metrics
    assert (metrics.matched, metrics.wishes_satisfied) == expected
    assert metrics.wishes_achievable == expected[1]


@pytest.mark.parametrize("seed", range(6))
def test_certified_pruning_finds_the_same_optimum(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(100 + seed)
    people = [random_applicant(rng, 1 + k) for k in range(rng.randint(30, 90))]
    ids = [p.discord_id for p in people]
    past = {frozenset(rng.sample(ids, 2)) for _ in range(10)}
    pins = [(ids[0], ids[1])] if seed % 2 else []
    whole = run(people, past_pairs=past, pins=pins)
    monkeypatch.setattr(matching, "PRUNE_ABOVE_PAIRS", 0)
    pruned = run(people, past_pairs=past, pins=pins)
    assert achieved(pruned) == achieved(whole)
    assert pruned.metrics == whole.metrics


def test_old_wish_weights_are_refused_by_name(tmp_path: Any) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[discord]\nguild_id = 1\ncoordinator_role = "C"\n'
        "[matching.weights]\nsector_wish = 3.0\nshared_interest = 1.0\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    [problem] = caught.value.problems
    assert problem.startswith("matching.weights: sector_wish is no longer a setting")


def odd_trio() -> list[Application]:
    """1 and 2 share an interest, so 3 is left out."""
    return [
        applicant(1, country="AU", interests=("archives",)),
        applicant(2, country="FR", interests=("archives",)),
        applicant(3, country="FR"),
    ]


def test_result_to_json_has_the_agreed_shape() -> None:
    people = odd_trio()
    data = result_to_json(run(people))
    assert set(data) == {"pairs", "unmatched", "metrics"}
    assert data["pairs"][0]["members"] == [1, 2]
    assert set(data["pairs"][0]) == {
        "members",
        "wishes_met",
        "score",
        "reasons",
        "coordinator_notes",
    }
    assert data["unmatched"][0]["id"] == 3
    assert set(data["metrics"]) == {
        "matched",
        "unmatched",
        "pairs",
        "mean_score",
        "wishes_stated",
        "wishes_satisfied",
        "wishes_achievable",
        "wishes_satisfied_share",
    }
    json.dumps(data)


def test_result_to_csv_lists_pairs_and_unmatched() -> None:
    people = odd_trio()
    text = result_to_csv(run(people), {1: "Ada", 2: "Bo, Jr."})
    lines = text.splitlines()
    assert lines[0] == (
        "group,status,discord_id,name,partners,wishes_met,score,reasons,coordinator_notes"
    )
    assert lines[1].startswith('1,pair,1,Ada,"Bo, Jr.",0,')
    assert lines[1].endswith(",no shared working hours (09:00-17:00 local)")
    assert lines[3].startswith(",unmatched,3,3,,,,,odd one out")


def test_summary_lines_give_the_quality_figures() -> None:
    people = [applicant(1, country="AU", partner_sectors={Sector.PUBLIC}), applicant(2)]
    lines = summary_lines(run(people))
    assert lines[0] == "Matched 2 of 2 applicants in 1 pairs."
    assert "Partner wishes met: 1 of 1 stated (100%)." in lines
    assert lines[2].startswith("That is the most any proposal matching as many people can meet")


def test_pinned_pairs_take_no_third_member() -> None:
    people = [applicant(1, country="AU"), applicant(2, country="FR"), applicant(3, country="JP")]
    result = run(people, pins=[(1, 2)], settings=MatchSettings(allow_trios=True))
    assert [p.members for p in result.pairs] == [(1, 2)]
    assert [p.discord_id for p in result.unmatched] == [3]


def test_every_setting_has_a_default_and_a_description() -> None:
    for model in (MatchSettings, MatchWeights):
        for name, field in model.model_fields.items():
            assert field.description, name
            assert not field.is_required(), name
    weights = {"weights": {"shared_interest": 5}}
    assert MatchSettings.model_validate(weights).weights.shared_interest == 5


def test_the_match_csv_is_safe_to_open_in_a_spreadsheet() -> None:
    import csv
    import io

    from bot.domain.spreadsheet import FORMULA_TRIGGERS

    people = odd_trio()
    hostile = {1: '=HYPERLINK("http://evil","x")', 2: "+1+1", 3: "@SUM(A1)"}
    rows = list(csv.reader(io.StringIO(result_to_csv(run(people), hostile))))
    cells = [cell for row in rows for cell in row if cell]
    assert not [cell for cell in cells if cell.startswith(FORMULA_TRIGGERS)]
    assert "'+1+1" in cells and "'@SUM(A1)" in cells
