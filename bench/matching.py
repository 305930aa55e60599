"""Benchmark of the partner matching on synthetic, realistic rounds.

Run from the repository root:  python bench/matching.py [--sizes 200 1000 2000] [--verify]

Applicants come in language clusters (English nearly everywhere, Spanish, French, Arabic,
Chinese...), state complementary wishes (an early-career librarian hoping for a mid- or
late-career partner, a public librarian for an academic one) and a quarter of them return
with past partners, whom the hard rules keep apart.

Each size runs in a fresh process, so its figures are its own: the whole `match` call's
wall time (candidate pairs, certified pruning, solver, reasons), the process's peak
resident memory (interpreter, applicants and all), people matched, stated wishes met and
the most any proposal matching as many people could meet (`wishes_achievable`, which
`match` computes). `--verify` recomputes that maximum independently, by the blossom
algorithm on every candidate pair with weights for people matched then wishes only (slow:
about 15 s at 2,000). A greedy baseline (the pair meeting most wishes first, then the
highest score, between two free people) is shown for comparison. The last line is
machine-readable.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

try:
    from bot.domain.applications import Application, CareerStage, Sector
except ModuleNotFoundError:  # running from a checkout that is not pip-installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bot.domain.applications import Application, CareerStage, Sector

from bot.domain import matching
from bot.domain.matching import MatchResult, MatchSettings, match

REFERENCE_DATE = date(2025, 3, 3)

# country, time zone, local languages (besides English), share of English speakers
COUNTRIES: list[tuple[str, str, tuple[str, ...], float]] = [
    ("US", "America/New_York", (), 1.0), ("US", "America/Chicago", (), 1.0),
    ("US", "America/Los_Angeles", ("es",), 1.0), ("AU", "Australia/Sydney", (), 1.0),
    ("AU", "Australia/Perth", (), 1.0), ("GB", "Europe/London", (), 1.0),
    ("CA", "America/Toronto", ("fr",), 1.0), ("CA", "America/Vancouver", (), 1.0),
    ("NZ", "Pacific/Auckland", (), 1.0), ("IE", "Europe/Dublin", (), 1.0),
    ("IN", "Asia/Kolkata", ("hi",), 0.95), ("NG", "Africa/Lagos", ("yo",), 0.95),
    ("ZA", "Africa/Johannesburg", ("af",), 0.95), ("KE", "Africa/Nairobi", ("sw",), 0.9),
    ("PH", "Asia/Manila", ("tl",), 0.9), ("SG", "Asia/Singapore", ("zh", "ms"), 0.95),
    ("MY", "Asia/Kuala_Lumpur", ("ms",), 0.8), ("ES", "Europe/Madrid", ("es",), 0.6),
    ("MX", "America/Mexico_City", ("es",), 0.5), ("AR", "America/Argentina/Buenos_Aires", ("es",), 0.5),  # noqa: E501
    ("CO", "America/Bogota", ("es",), 0.5), ("CL", "America/Santiago", ("es",), 0.5),
    ("FR", "Europe/Paris", ("fr",), 0.6), ("BE", "Europe/Brussels", ("fr", "nl"), 0.8),
    ("SN", "Africa/Dakar", ("fr",), 0.4), ("BR", "America/Sao_Paulo", ("pt",), 0.5),
    ("PT", "Europe/Lisbon", ("pt",), 0.7), ("DE", "Europe/Berlin", ("de",), 0.8),
    ("AT", "Europe/Vienna", ("de",), 0.8), ("CH", "Europe/Zurich", ("de", "fr"), 0.85),
    ("CN", "Asia/Shanghai", ("zh",), 0.5), ("TW", "Asia/Taipei", ("zh",), 0.6),
    ("EG", "Africa/Cairo", ("ar",), 0.6), ("AE", "Asia/Dubai", ("ar",), 0.9),
    ("JO", "Asia/Amman", ("ar",), 0.7), ("MA", "Africa/Casablanca", ("ar", "fr"), 0.5),
    ("JP", "Asia/Tokyo", ("ja",), 0.6), ("NL", "Europe/Amsterdam", ("nl",), 0.95),
    ("SE", "Europe/Stockholm", ("sv",), 0.95), ("FJ", "Pacific/Fiji", (), 1.0),
    ("GH", "Africa/Accra", (), 1.0), ("PK", "Asia/Karachi", ("ur",), 0.9),
]  # fmt: skip

INTERESTS = [
    "digital preservation", "information literacy", "outreach", "cataloguing", "metadata",
    "open access", "research data", "children's services", "leadership", "copyright",
    "community engagement", "archives", "library design", "user experience", "advocacy",
    "indigenous knowledge", "reading promotion", "data literacy", "makerspaces",
    "scholarly communication", "collection development", "accessibility", "ai in libraries",
    "rare books", "professional development",
]  # fmt: skip

COMPLEMENTARY_STAGES = {
    CareerStage.STUDENT: [CareerStage.MID, CareerStage.LATE],
    CareerStage.EARLY: [CareerStage.MID, CareerStage.LATE],
    CareerStage.MID: [CareerStage.EARLY],
    CareerStage.LATE: [CareerStage.EARLY, CareerStage.STUDENT],
}


def _pick_country(rng: random.Random) -> tuple[str, str, tuple[str, ...], float]:
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(COUNTRIES))]
    return rng.choices(COUNTRIES, weights)[0]


def _languages(rng: random.Random, local: tuple[str, ...], english_share: float) -> list[str]:
    languages = ["en"] if rng.random() < english_share else []
    languages += [code for code in local if rng.random() < 0.9 or not languages]
    if rng.random() < 0.08:
        languages.append(rng.choice(["es", "fr", "de", "pt"]))
    return languages or ["en"]


def _sector_wish(rng: random.Random, sector: Sector) -> str:
    roll = rng.random()
    if roll < 0.35:
        return "any"
    if roll < 0.7:
        return sector.value  # same sector, different country
    others = [s.value for s in Sector if s is not sector]
    return ";".join(rng.sample(others, rng.choice([1, 1, 2])))


def _stage_wish(rng: random.Random, stage: CareerStage) -> str:
    if rng.random() < 0.4:
        return "any"
    return ";".join(s.value for s in COMPLEMENTARY_STAGES[stage])


def synthetic_applicant(rng: random.Random, discord_id: int) -> Application:
    country, zone, local, english_share = _pick_country(rng)
    sector = rng.choices(list(Sector), [30, 35, 15, 12, 3, 5])[0]
    stage = rng.choices(list(CareerStage), [10, 35, 35, 20])[0]
    wish_country = ""
    if rng.random() < 0.15:
        wish_country = ";".join(sorted({rng.choice(COUNTRIES)[0] for _ in range(2)}))
    return Application(
        discord_id=discord_id,
        name=f"Applicant {discord_id}",
        email=None,
        institution=f"Library {discord_id % 97}",
        sector=sector,
        country=country,
        timezone=zone,
        career_stage=stage,
        languages=_languages(rng, local, english_share),
        interests=rng.sample(INTERESTS[: rng.choice([10, 25])], rng.randint(2, 4)),
        hopes="",
        partner_sectors=_sector_wish(rng, sector),
        partner_career_stages=_stage_wish(rng, stage),
        partner_countries=wish_country or "any",
    )


def synthetic_round(n: int, seed: int = 2025) -> list[Application]:
    rng = random.Random(seed)
    return [synthetic_applicant(rng, 10_000 + k) for k in range(n)]


def synthetic_history(applicants: list[Application], seed: int = 2025) -> set[frozenset[int]]:
    """Past partnerships: a quarter of the applicants return, each with one or two past
    partners among the other returning applicants."""
    rng = random.Random(seed + 1)
    returning = [a.discord_id for a in applicants if rng.random() < 0.25]
    past: set[frozenset[int]] = set()
    for person in returning:
        for partner in rng.sample(returning, min(len(returning), rng.choice([1, 1, 2]))):
            if partner != person:
                past.add(frozenset((person, partner)))
    return past


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _greedy(applicants: list[Application], past: set[frozenset[int]]) -> tuple[int, int]:
    """(people matched, wishes met) by taking the best remaining pair first."""
    settings = MatchSettings()
    ordered = sorted(applicants, key=lambda a: a.discord_id)
    index = {a.discord_id: i for i, a in enumerate(ordered)}
    features = matching._build_features(ordered, settings.weights, REFERENCE_DATE)
    rules = matching._Rules(True, matching._blocked_by_index(past, index))
    pairs = matching._candidates(features, list(range(len(ordered))), rules)
    taken = [False] * len(ordered)
    matched = wishes = 0
    for _, _, a, b, k in sorted(
        zip(
            (-pairs.wishes).tolist(),
            (-pairs.secondary).tolist(),
            pairs.a.tolist(),
            pairs.b.tolist(),
            pairs.wishes.tolist(),
            strict=True,
        )
    ):
        if not taken[a] and not taken[b]:
            taken[a] = taken[b] = True
            matched += 2
            wishes += k
    return matched, wishes


def _independent_maximum(applicants: list[Application], past: set[frozenset[int]]) -> int:
    """Wishes of a maximum-cardinality matching maximising wishes, over every pair."""
    settings = MatchSettings()
    ordered = sorted(applicants, key=lambda a: a.discord_id)
    index = {a.discord_id: i for i, a in enumerate(ordered)}
    features = matching._build_features(ordered, settings.weights, REFERENCE_DATE)
    rules = matching._Rules(True, matching._blocked_by_index(past, index))
    pairs = matching._candidates(features, list(range(len(ordered))), rules)
    bound = sum(matching._stated_wishes(a) for a in ordered)
    chosen = matching._max_weight_pairs(len(ordered), matching._wish_edges(pairs, bound))
    return matching._pairs_wishes(pairs, chosen)


@dataclass(frozen=True)
class Figures:
    n: int
    seconds: float
    peak_mib: float
    result: MatchResult
    greedy_matched: int
    greedy_wishes: int
    verified: int | None


def measure(n: int, verify: bool) -> Figures:
    """One size, in the calling process (run it in a fresh one for its own peak)."""
    applicants = synthetic_round(n)
    past = synthetic_history(applicants)
    started = time.perf_counter()
    result = match(
        applicants,
        past_pairs=past,
        forbidden=set(),
        pins=[],
        settings=MatchSettings(),
        reference_date=REFERENCE_DATE,
    )
    seconds = time.perf_counter() - started
    peak = _peak_mib()
    greedy_matched, greedy_wishes = _greedy(applicants, past)
    verified = _independent_maximum(applicants, past) if verify else None
    return Figures(n, seconds, peak, result, greedy_matched, greedy_wishes, verified)


def report(figures: Figures) -> str:
    m = figures.result.metrics
    print(
        f"n={figures.n}: {figures.seconds:.2f} s, peak RSS {figures.peak_mib:.0f} MiB | "
        f"matched {m.matched} vs greedy {figures.greedy_matched} | "
        f"wishes met {m.wishes_satisfied} of {m.wishes_achievable} achievable "
        f"({m.wishes_stated} stated) vs greedy {figures.greedy_wishes} | "
        f"mean score {m.mean_score:.2f}"
    )
    if figures.verified is not None:
        agrees = "agrees" if figures.verified == m.wishes_achievable else "DISAGREES"
        print(f"n={figures.n}: independent maximum {figures.verified} ({agrees})")
    if m.wishes_achievable is not None and m.wishes_satisfied < m.wishes_achievable:
        print(f"n={figures.n}: WARNING fewer wishes met than achievable")
    return (
        f"n={figures.n} seconds={figures.seconds:.2f} peak_mib={figures.peak_mib:.0f} "
        f"matched={m.matched} wishes={m.wishes_satisfied} "
        f"wishes_achievable={m.wishes_achievable} greedy_wishes={figures.greedy_wishes}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000, 2000])
    parser.add_argument(
        "--verify", action="store_true", help="recompute the achievable maximum independently"
    )
    args = parser.parse_args()
    print("peak_mib = peak resident set size (resource.ru_maxrss) of a fresh process per size")
    last = ""
    spawn = multiprocessing.get_context("spawn")
    for n in args.sizes:
        with spawn.Pool(1) as pool:
            figures = pool.apply(measure, (n, args.verify))
        last = report(figures)
    print(last)


if __name__ == "__main__":
    main()
