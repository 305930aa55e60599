"""Importing applications and history from CSV: all or nothing, every problem reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.domain.applications import (
    Application,
    ApplicationsCsvError,
    CareerStage,
    Sector,
    parse_applications_csv,
    parse_history_csv,
    past_pairs_from,
)

HEADER = (
    "discord_id,name,email,institution,sector,country,timezone,career_stage,languages,"
    "interests,hopes,partner_sector,partner_career_stage,partner_country,returning_note"
)
GOOD_ROW = (
    '11,Ada,ada@example.org,"Library, City",public,au,Australia/Sydney,early,en;ES,'
    '"Digital  Preservation; outreach;digital preservation",Learn,academic;special,any,,'
)
EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "applicants.example.csv"


def problems_of(text: str) -> list[str]:
    with pytest.raises(ApplicationsCsvError) as caught:
        parse_applications_csv(text)
    return caught.value.problems


def test_good_row_is_normalised() -> None:
    text = "\ufeff" + HEADER + "\n" + GOOD_ROW + "\n\n\n"
    [app] = parse_applications_csv(text)
    assert app.discord_id == 11
    assert app.institution == "Library, City"
    assert app.sector is Sector.PUBLIC
    assert app.country == "AU"
    assert app.career_stage is CareerStage.EARLY
    assert app.languages == ("en", "es")
    assert app.interests == ("digital preservation", "outreach")
    assert app.partner_sectors == {Sector.ACADEMIC, Sector.SPECIAL}
    assert app.partner_career_stages == frozenset()
    assert app.partner_countries == frozenset()
    assert app.returning_note is None


def test_columns_may_come_in_any_order() -> None:
    columns = HEADER.split(",")
    first = ["12", "Bo", "", "Lib", "school", "JP", "Asia/Tokyo", "late", "ja"]
    values = dict(zip(columns, first, strict=False))
    order = list(reversed(columns))
    row = ",".join(values.get(column, "") for column in order)
    [app] = parse_applications_csv(",".join(order) + "\n" + row)
    assert (app.discord_id, app.country, app.languages) == (12, "JP", ("ja",))


def test_every_bad_row_is_reported_at_once() -> None:
    rows = [
        GOOD_ROW,
        GOOD_ROW.replace("11,Ada", "12,Bo").replace("public", "publik"),
        GOOD_ROW.replace("11,Ada", "13,Cy").replace(",au,", ",XX,"),
        GOOD_ROW.replace("11,Ada", "14,Di").replace("Australia/Sydney", "Mars/Olympus"),
        GOOD_ROW.replace("11,Ada", "15,Ed").replace(",early,", ",veteran,"),
        GOOD_ROW.replace("11,Ada", "16,Fa").replace("en;ES", "en;qq"),
        GOOD_ROW.replace("11,Ada", "abc,Gu"),
        GOOD_ROW.replace("11,Ada", "18,"),
        GOOD_ROW.replace("11,Ada", "11,Hu"),
    ]
    problems = problems_of("\n".join([HEADER, *rows]))
    assert problems == [
        "row 3, sector: not a sector; use one of public, academic, school, special, national, "
        "other (got 'publik')",
        "row 4, country: not an ISO 3166-1 two-letter country code such as AU (got 'XX')",
        "row 5, timezone: not an IANA time zone name such as Europe/Paris (got 'Mars/Olympus')",
        "row 6, career_stage: not a career stage; use one of student, early, mid, late "
        "(got 'veteran')",
        "row 7, languages: unknown language code(s): qq (got 'en;qq')",
        "row 8, discord_id: not a whole number (got 'abc')",
        "row 9, name: a value is required (got '')",
        "row 10, discord_id: duplicate of row 2 (got '11')",
    ]


def test_wish_columns_are_checked() -> None:
    row = GOOD_ROW.replace("academic;special,any,,", "academik,any;early,ZZ,")
    problems = problems_of(HEADER + "\n" + row)
    assert problems == [
        "row 2, partner_sector: unknown sector(s): academik; use any or public, academic, "
        "school, special, national, other (got 'academik')",
        "row 2, partner_career_stage: 'any' cannot be combined with specific values "
        "(got 'any;early')",
        "row 2, partner_country: unknown country code(s): ZZ (got 'ZZ')",
    ]


def test_bad_email_and_non_positive_id() -> None:
    row = GOOD_ROW.replace("11,Ada,ada@example.org", "0,Ada,not-an-email")
    assert problems_of(HEADER + "\n" + row) == [
        "row 2, discord_id: must be a positive number (got '0')",
        "row 2, email: not an email address (got 'not-an-email')",
    ]


def test_header_problems_are_reported_with_row_problems() -> None:
    header = "discord_id,name,institution,sector,timezone,career_stage,languages,wishes,name"
    row = "31,Ada,Lib,publik,Europe/Paris,mid,en,more,Ada"
    problems = problems_of(header + "\n" + row)
    assert problems == [
        "row 1, header: duplicate column (got 'name')",
        "row 1, header: unknown column (got 'wishes'); expected columns are "
        + HEADER.replace(",", ", "),
        "row 1, header: missing column 'country'",
        "row 2, sector: not a sector; use one of public, academic, school, special, national, "
        "other (got 'publik')",
    ]


def test_too_many_values_in_a_row() -> None:
    assert problems_of(HEADER + "\n" + GOOD_ROW + ",extra") == [
        "row 2: more values than header columns (got extra 'extra')"
    ]


def test_short_rows_and_optional_columns() -> None:
    header = "discord_id,name,institution,sector,country,timezone,career_stage,languages"
    [app] = parse_applications_csv(header + "\n21,Ivy,Lib,special,NZ,Pacific/Auckland,mid,en")
    assert app.partner_countries == frozenset() and app.hopes == ""


def test_row_numbers_count_multi_line_cells_as_one_row() -> None:
    multi_line = GOOD_ROW.replace(",Learn,", ',"Learn\nmore",')
    bad = GOOD_ROW.replace("11,Ada", "12,Bo").replace(",au,", ",QQ,")
    problems = problems_of("\n".join([HEADER, multi_line, bad]))
    assert problems == [
        "row 3, country: not an ISO 3166-1 two-letter country code such as AU (got 'QQ')"
    ]


def test_empty_file_is_a_problem() -> None:
    assert problems_of("\n\n") == ["row 1, header: the file is empty"]


def test_example_file_imports() -> None:
    applications = parse_applications_csv(EXAMPLE.read_text(encoding="utf-8"))
    assert len(applications) >= 12
    assert len({app.discord_id for app in applications}) == len(applications)


def test_model_validates_directly() -> None:
    with pytest.raises(ValidationError):
        Application(
            discord_id=1,
            name="X",
            institution="Lib",
            sector="public",
            country="ZZ",
            timezone="Europe/Paris",
            career_stage="mid",
            languages=("en",),
        )


def test_history_is_parsed_and_checked() -> None:
    history = parse_history_csv("round,member_a,member_b\n2024-1,1,2\n2024-1,3,4\n")
    assert past_pairs_from(history) == {frozenset({1, 2}), frozenset({3, 4})}
    with pytest.raises(ApplicationsCsvError) as caught:
        parse_history_csv("round,member_a,member_c\n,x,2\n")
    assert caught.value.problems == [
        "row 1, header: unknown column (got 'member_c'); expected columns are round, "
        "member_a, member_b",
        "row 1, header: missing column 'member_b'",
        "row 2, round: a value is required (got '')",
        "row 2, member_a: not a whole number (got 'x')",
    ]


def test_history_rejects_self_partnership() -> None:
    with pytest.raises(ApplicationsCsvError) as caught:
        parse_history_csv("round,member_a,member_b\n2024-1,5,5\n")
    assert caught.value.problems[0].startswith("row 2: ")
    assert "own past partner" in caught.value.problems[0]
