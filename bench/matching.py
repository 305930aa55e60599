"""Benchmark of the partner matching on synthetic, realistic rounds.

Run from the repository root:  python bench/matching.py [--sizes 200 1000 2000]

For each size it prints the optimal matcher's wall time (graph building included), the
process's peak resident memory so far (resource.ru_maxrss, in MiB: an upper bound that
includes the interpreter and the applicants), matched counts and partner wishes met,
next to the greedy baseline. The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

try:
    from bot.domain.applications import Application, CareerStage, Sector
except ModuleNotFoundError:  # running from a checkout that is not pip-installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bot.domain.applications import Application, CareerStage, Sector

from bot.domain.matching import MatchResult, MatchSettings, greedy_match, match

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


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _timed(
    run: Callable[..., MatchResult], applicants: list[Application]
) -> tuple[MatchResult, float]:
    started = time.perf_counter()
    result = run(
        applicants,
        past_pairs=set(),
        forbidden=set(),
        pins=[],
        settings=MatchSettings(),
        reference_date=REFERENCE_DATE,
    )
    return result, time.perf_counter() - started


def bench(n: int) -> str:
    applicants = synthetic_round(n)
    optimal, seconds = _timed(match, applicants)
    peak = _peak_mib()
    greedy, greedy_seconds = _timed(greedy_match, applicants)
    o, g = optimal.metrics, greedy.metrics
    print(
        f"n={n}: optimal {seconds:.2f} s, peak RSS {peak:.0f} MiB | "
        f"matched {o.matched} vs greedy {g.matched} | "
        f"wishes met {o.wishes_satisfied}/{o.wishes_stated} vs greedy {g.wishes_satisfied} | "
        f"mean score {o.mean_score:.2f} vs greedy {g.mean_score:.2f} | "
        f"greedy took {greedy_seconds:.2f} s"
    )
    if o.matched < g.matched:
        print(f"n={n}: WARNING optimal matched fewer people than greedy")
    return (
        f"n={n} seconds={seconds:.2f} peak_mib={peak:.0f} "
        f"wishes={o.wishes_satisfied} greedy_wishes={g.wishes_satisfied}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000, 2000])
    sizes = parser.parse_args().sizes
    print("peak_mib = process peak resident set size (resource.ru_maxrss) after the optimal run")
    last = ""
    for n in sizes:
        last = bench(n)
    print(last)


if __name__ == "__main__":
    main()
