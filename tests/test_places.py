"""Countries, languages and time zones by the names people use."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.places import (
    country_name,
    find_country,
    find_language,
    language_name,
    search_countries,
    search_languages,
    search_zones,
    timezone_label,
    utc_offset,
    zone_in_country,
    zone_label,
    zones_of,
)

WINTER = datetime(2027, 1, 15, 12, tzinfo=UTC)  # northern winter, southern summer
SUMMER = datetime(2027, 7, 15, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("KR", "South Korea"),  # the everyday name, not "Korea, Republic of"
        ("CD", "The Democratic Republic of the Congo"),  # "Congo, The Democratic ... of the"
        ("VG", "British Virgin Islands"),  # "Virgin Islands, British"
        ("PS", "State of Palestine"),
        ("TW", "Taiwan"),
        ("XX", "XX"),  # unknown: shown as given
    ],
)
def test_country_names_read_well(code: str, name: str) -> None:
    assert country_name(code) == name


@pytest.mark.parametrize(
    ("code", "name"),
    [("sw", "Swahili"), ("el", "Modern Greek"), ("oc", "Occitan"), ("bn", "Bangla")],
)
def test_language_names_drop_the_standards_qualifiers(code: str, name: str) -> None:
    assert language_name(code) == name


def test_ambiguous_and_unknown_names_are_refused_with_suggestions() -> None:
    with pytest.raises(ValueError, match="did you mean North Korea or South Korea"):
        find_country("Korea")
    with pytest.raises(ValueError, match="did you mean Kenya"):
        find_country("Kenia")
    with pytest.raises(ValueError, match="did you mean Spanish"):
        find_language("Spansh")
    with pytest.raises(ValueError, match=r"^not a country we know$"):
        find_country("Atlantis")


def test_autocomplete_ranks_what_begins_with_the_text_first() -> None:
    assert [p.name for p in search_countries("ken")] == ["Kenya"]
    assert [p.name for p in search_countries("korea")] == ["North Korea", "South Korea"]
    assert search_countries("ni")[0].name == "Nicaragua"  # names beginning "ni" come first
    assert len(search_countries("")) == 25
    assert [p.code for p in search_languages("swa")][:2] == ["sw", "ss"]  # Swahili, Swati
    assert search_countries("Scotland")[0].code == "GB"  # a part of a country finds it


def test_zones_of_a_country_by_city_with_their_offset_now() -> None:
    assert [z.city for z in zones_of("KE")] == ["Nairobi"]
    assert [z.name for z in zones_of("NO")] == ["Europe/Oslo"]  # its own city, not Berlin
    sydney = next(z for z in zones_of("AU") if z.city == "Sydney")
    assert zone_label(sydney, WINTER) == "Sydney, New South Wales (most areas) (UTC+11:00)"
    assert zone_label(sydney, SUMMER) == "Sydney, New South Wales (most areas) (UTC+10:00)"
    assert utc_offset("Asia/Kolkata", WINTER) == "UTC+05:30"
    assert utc_offset("America/Sao_Paulo", WINTER) == "UTC-03:00"
    assert utc_offset("Europe/London", WINTER) == "UTC"
    assert timezone_label("Africa/Nairobi", WINTER) == "Nairobi (UTC+03:00)"
    assert [z.city for z in search_zones("AU", "west", WINTER)] == ["Eucla", "Perth"]
    assert [z.city for z in search_zones("AU", "+10:30", WINTER)] == ["Adelaide", "Broken Hill"]
    assert all(len(zones_of(place.code)) <= 29 for place in search_countries("", limit=300))


def test_a_zone_must_be_one_of_the_countrys_own() -> None:
    assert zone_in_country("KE", "") == "Africa/Nairobi"  # the only one
    assert zone_in_country("AU", "perth") == "Australia/Perth"
    assert zone_in_country("AU", "australia/perth") == "Australia/Perth"
    with pytest.raises(ValueError, match="not a time zone of Australia; choose one of Adelaide"):
        zone_in_country("AU", "Europe/London")
    with pytest.raises(ValueError, match="not a time zone of Australia"):
        zone_in_country("AU", "")  # several: the applicant chooses
    assert zone_in_country("BV", "Europe/Oslo") == "Europe/Oslo"  # no zone listed: any zone
