"""Countries, languages and time zones by the names people use.

The program stores codes (ISO 3166-1 alpha-2 countries, ISO 639-1 languages, IANA time
zones) and shows names. Countries and languages come from pycountry (the ISO standards as
they change); the time zones of each country from the IANA database's ``zone.tab`` as the
``tzdata`` package ships it (kept by CPython's core developers, released with every IANA
release). ``zone.tab`` lists every zone under its own country, named after one of its own
cities (Norway: Europe/Oslo), where ``zone1970.tab`` would offer a Norwegian
Europe/Berlin.

Pure: the current UTC offset of a zone is computed for a moment the caller passes in.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfoNotFoundError, available_timezones

import pycountry

from bot.domain.zones import zone as zone_named

SUGGESTIONS = 3  # closest names offered for an unknown one
# difflib's similarity from which a name is offered as a suggestion: "Kenia" finds Kenya
# (0.8) and "Turkey" Türkiye (0.77), while "Narnia" no longer finds Armenia (0.62).
CLOSE_ENOUGH = 0.75
CHOICES = 25  # Discord shows at most 25 autocomplete choices or select options


# ---------------------------------------------------------------------------
# Text folding: "Côte d’Ivoire", "cote d'ivoire" and "COTE D'IVOIRE" are the same name.
# ---------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case, accents dropped, one space between words: for comparing names."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


@dataclass(frozen=True)
class Place:
    """One country or language: its code, the name people read, and every name it answers
    to (folded)."""

    code: str
    name: str
    keys: tuple[str, ...]


class Names:
    """A set of places searchable by code and by any of their names."""

    def __init__(self, places: Iterable[Place], codes: dict[str, str]) -> None:
        self.places = sorted(places, key=lambda place: fold(place.name))
        self.by_code = {place.code: place for place in self.places}
        self._codes = codes  # folded code (any ISO form) -> stored code
        self._by_key: dict[str, set[str]] = {}
        for place in self.places:
            for key in place.keys:
                self._by_key.setdefault(key, set()).add(place.code)

    def exact(self, text: str) -> str | None:
        """The code ``text`` names without doubt: a code, a name, or the one name it begins."""
        key = fold(text)
        if not key:
            return None
        if key in self._codes:
            return self._codes[key]
        named = self._by_key.get(key, set())
        if len(named) == 1:
            return next(iter(named))
        if len(key) >= 4:
            begun = {
                code for k, codes in self._by_key.items() if k.startswith(key) for code in codes
            }
            if len(begun) == 1:
                return next(iter(begun))
        return None

    def search(self, text: str, limit: int = CHOICES) -> list[Place]:
        """The places best matching what someone has typed so far, best first: codes, then
        names that begin with it, names with a word that begins with it, names that contain
        it, then the closest spellings."""
        key = fold(text)
        if not key:
            return self.places[:limit]
        ranked: dict[str, int] = {}

        def rank(code: str, level: int) -> None:
            ranked[code] = min(level, ranked.get(code, level))

        if key in self._codes:
            rank(self._codes[key], 0)
        for name, codes in self._by_key.items():
            level = (
                1
                if name.startswith(key)
                else 2
                if re.search(r"\b" + re.escape(key), name)
                else 3
                if key in name
                else None
            )
            if level is not None:
                for code in codes:
                    rank(code, level)
        for code in self.closest(text, limit):
            rank(code, 4)
        ordered = sorted(ranked, key=lambda code: (ranked[code], fold(self.by_code[code].name)))
        return [self.by_code[code] for code in ordered[:limit]]

    def closest(self, text: str, limit: int = SUGGESTIONS) -> list[str]:
        """Codes of the places whose names are spelled most like ``text``."""
        found: list[str] = []
        for name in difflib.get_close_matches(
            fold(text), self._by_key, n=limit * 3, cutoff=CLOSE_ENOUGH
        ):
            for code in sorted(self._by_key[name]):
                if code not in found:
                    found.append(code)
        return found[:limit]

    def suggest(self, text: str) -> str:
        """ "; did you mean Kenya?": the names that contain what was written ("Korea": North
        Korea or South Korea), else the closest spellings ("Kenia": Kenya), else ""."""
        key = fold(text)
        containing = sorted(
            {code for name, codes in self._by_key.items() if key and key in name for code in codes}
        )
        if containing:
            names = sorted(self.by_code[code].name for code in containing)[:SUGGESTIONS]
        else:
            names = [self.by_code[code].name for code in self.closest(text)]
        return f"; did you mean {_or(names)}?" if names else ""


def _or(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


# ---------------------------------------------------------------------------
# Countries
# ---------------------------------------------------------------------------


def _readable_country(country: object) -> str:
    common = getattr(country, "common_name", None)
    if common:
        return str(common)
    name = str(getattr(country, "name"))  # noqa: B009 - pycountry records are dynamic
    official = getattr(country, "official_name", None)
    if ", " in name and official:
        # "Virgin Islands, British" reads better as "British Virgin Islands".
        return str(official).removeprefix("the ")
    head, _, tail = name.partition(", ")
    if tail.lower().endswith((" of", " of the")):
        # "Congo, The Democratic Republic of the" -> "The Democratic Republic of the Congo"
        return f"{tail} {head}"
    return name


@cache
def countries() -> Names:
    places = []
    codes: dict[str, str] = {}
    for country in pycountry.countries:
        code = str(country.alpha_2)
        name = _readable_country(country)
        raw = [name, country.name, getattr(country, "official_name", None)]
        raw.append(getattr(country, "common_name", None))
        keys = tuple(dict.fromkeys(fold(n) for n in raw if n))
        places.append(Place(code, name, keys))
        codes[fold(code)] = code
        codes[fold(country.alpha_3)] = code
    return Names(places, codes)


@cache
def _subdivision_countries() -> dict[str, set[str]]:
    """Folded subdivision names (England, Bavaria...) -> the countries that have one."""
    found: dict[str, set[str]] = {}
    for subdivision in pycountry.subdivisions:
        found.setdefault(fold(subdivision.name), set()).add(str(subdivision.country_code))
    return found


def country_name(code: str) -> str:
    """The everyday English name of an ISO 3166-1 alpha-2 code: "TW" -> "Taiwan"; a code
    the standard does not know is shown as given rather than guessed at."""
    place = countries().by_code.get(code.upper())
    return place.name if place else code


def find_country(text: str) -> str:
    """The alpha-2 code of a country given by code (KE, KEN) or by name (Kenya, kenya,
    Côte d'Ivoire, South Korea; a part of a country such as Scotland names it too).
    Raises ValueError naming the closest countries for anything else."""
    code = countries().exact(text)
    if code is not None:
        return code
    parts = _subdivision_countries().get(fold(text), set())
    if len(parts) == 1:
        return next(iter(parts))
    raise ValueError(f"not a country we know{countries().suggest(text)}")


def search_countries(text: str, limit: int = CHOICES) -> list[Place]:
    found = countries().search(text, limit)
    if len(found) < limit:
        for code in sorted(_subdivision_countries().get(fold(text), set())):
            place = countries().by_code.get(code)
            if place is not None and place not in found:
                found.append(place)
    return found[:limit]


# ---------------------------------------------------------------------------
# Languages: the ISO 639-1 set (184 languages, every one with a two-letter code).
# ---------------------------------------------------------------------------


def _readable_language(language: object) -> str:
    name = str(getattr(language, "common_name", None) or getattr(language, "name"))  # noqa: B009
    # The standard's qualifiers ("Swahili (macrolanguage)", "Occitan (post 1500)") are
    # for telling entries apart in the full code list, not for people.
    return re.sub(r"\s*\([^)]*\)$", "", name)


@cache
def languages() -> Names:
    places = []
    codes: dict[str, str] = {}
    for language in pycountry.languages:
        code = getattr(language, "alpha_2", None)
        if code is None:
            continue
        name = _readable_language(language)
        raw = [name, language.name, getattr(language, "common_name", None)]
        inverted = getattr(language, "inverted_name", None)
        if inverted:  # "Greek, Modern (1453-)": "Greek" finds it too
            raw.append(str(inverted).split(",")[0])
        keys = tuple(dict.fromkeys(fold(n) for n in raw if n))
        places.append(Place(str(code), name, keys))
        for alias in (code, language.alpha_3, getattr(language, "bibliographic", None)):
            if alias:
                codes[fold(alias)] = str(code)
    return Names(places, codes)


def language_name(code: str) -> str:
    """The English name of an ISO 639-1 (or 639-2/3) code: "es" -> "Spanish"."""
    known = languages().exact(code) if len(code) in (2, 3) else None
    if known:
        return languages().by_code[known].name
    # A 639-3 language outside the form's list (an older import's "fil") keeps its name.
    other = pycountry.languages.get(alpha_3=code.lower()) if len(code) == 3 else None
    return _readable_language(other) if other is not None else code


def find_language(text: str) -> str:
    """The ISO 639-1 code of a language given by code (sw, swa) or name (Swahili)."""
    code = languages().exact(text)
    if code is not None:
        return code
    raise ValueError(f"not a language we know{languages().suggest(text)}")


def search_languages(text: str, limit: int = CHOICES) -> list[Place]:
    return languages().search(text, limit)


# ---------------------------------------------------------------------------
# Time zones
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Zone:
    """A time zone of a country: its IANA name and where in the country it applies."""

    name: str
    region: str  # zone.tab's comment, "" for a country with one zone

    @property
    def city(self) -> str:
        return self.name.rsplit("/", 1)[-1].replace("_", " ")


@cache
def _zone_table() -> dict[str, tuple[Zone, ...]]:
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    table: dict[str, list[Zone]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        table.setdefault(fields[0], []).append(
            Zone(fields[2], fields[3] if len(fields) > 3 else "")
        )
    return {
        code: tuple(sorted(zones, key=lambda zone: fold(zone.city)))
        for code, zones in table.items()
    }


def zones_of(country: str) -> tuple[Zone, ...]:
    """The country's time zones by city name, the order an applicant scans a list in
    (zone.tab's own order follows no rule a reader could guess)."""
    return _zone_table().get(country.upper(), ())


@cache
def _known_timezones() -> dict[str, str]:
    """Folded IANA name -> the name itself."""
    return {name.casefold(): name for name in available_timezones()}


def find_timezone(text: str) -> str:
    """An IANA time zone name (any case); raises ValueError with the closest names."""
    name = text.strip()
    known = _known_timezones()
    if name.casefold() in known:
        return known[name.casefold()]
    if not known:  # no listing of the tz database on this machine: try loading the zone
        try:
            zone_named(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    close = difflib.get_close_matches(name.casefold(), known, n=SUGGESTIONS, cutoff=CLOSE_ENOUGH)
    hint = f"; did you mean {_or([known[c] for c in close])}?" if close else ""
    raise ValueError("not an IANA time zone name such as Europe/Paris" + hint)


def zone_in_country(country: str, text: str) -> str:
    """A zone of ``country`` given by IANA name or city (Sydney), or the only one it has
    when ``text`` is blank; a country zone.tab does not list takes any IANA zone."""
    zones = zones_of(country)
    key = fold(text)
    if not zones:
        return find_timezone(text)
    if not key and len(zones) == 1:
        return zones[0].name
    for zone in zones:
        if key in (fold(zone.name), fold(zone.city)):
            return zone.name
    cities = ", ".join(zone.city for zone in zones[:CHOICES])
    raise ValueError(f"not a time zone of {country_name(country)}; choose one of {cities}")


def utc_offset(zone: str, moment: datetime) -> str:
    """``UTC+05:30``, ``UTC-03:00`` or ``UTC``: the zone's offset at ``moment``."""
    offset = moment.astimezone(zone_named(zone)).utcoffset() or timedelta()
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def zone_label(zone: Zone, moment: datetime) -> str:
    """``Sydney, New South Wales (most areas) (UTC+11:00)``: what an applicant picks."""
    where = f"{zone.city}, {zone.region}" if zone.region else zone.city
    return f"{where} ({utc_offset(zone.name, moment)})"[:100]


def timezone_label(name: str, moment: datetime) -> str:
    """``Nairobi (UTC+03:00)`` for a stored zone name."""
    return f"{Zone(name, '').city} ({utc_offset(name, moment)})"


def search_zones(country: str, text: str, moment: datetime, limit: int = CHOICES) -> list[Zone]:
    """The country's zones matching what was typed (city, region or offset), by city;
    every zone (up to ``limit``) when nothing is typed."""
    key = fold(text)
    zones = zones_of(country)
    if not key:
        return list(zones[:limit])
    return [
        zone
        for zone in zones
        if key in fold(zone.name.replace("_", " "))
        or key in fold(zone.region)
        or key in fold(utc_offset(zone.name, moment))
    ][:limit]


__all__ = [
    "Place",
    "Zone",
    "countries",
    "country_name",
    "find_country",
    "find_language",
    "find_timezone",
    "fold",
    "language_name",
    "languages",
    "search_countries",
    "search_languages",
    "search_zones",
    "timezone_label",
    "utc_offset",
    "zone_in_country",
    "zone_label",
    "zones_of",
]
