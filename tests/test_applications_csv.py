"""Importing applications and history from CSV: all or nothing, every problem reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.domain.applications import (
    APPLICATION_COLUMNS,
    LIMITS,
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
        "row 4, country: not a country we know (got 'XX')",
        "row 5, timezone: not an IANA time zone name such as Europe/Paris (got 'Mars/Olympus')",
        "row 6, career_stage: not a career stage; use one of student, early, mid, late "
        "(got 'veteran')",
        "row 7, languages: unknown language: qq (got 'en;qq')",
        "row 8, discord_id: not a whole number (got 'abc')",
        "row 9, name: a value is required (got '')",
        "row 10, discord_id: duplicate of row 2 (got '11')",
    ]


def test_wish_columns_are_checked() -> None:
    row = GOOD_ROW.replace("academic;special,any,,", "academik,any;early,ZZ,")
    problems = problems_of(HEADER + "\n" + row)
    assert problems == [
        "row 2, partner_sector: unknown sector: academik; use any or public, academic, "
        "school, special, national, other (got 'academik')",
        "row 2, partner_career_stage: 'any' cannot be combined with specific values "
        "(got 'any;early')",
        "row 2, partner_country: unknown country: ZZ (got 'ZZ')",
    ]


def test_bad_email_and_non_positive_id() -> None:
    row = GOOD_ROW.replace("11,Ada,ada@example.org", "0,Ada,not-an-email")
    assert problems_of(HEADER + "\n" + row) == [
        "row 2, discord_id: must be a positive number (got '0')",
        "row 2, email: value is not a valid email address: An email address must have an "
        "@-sign. (got 'not-an-email')",
    ]


def test_header_problems_are_reported_with_row_problems() -> None:
    header = "discord_id,name,institution,sector,timezone,career_stage,languages,wishes,name"
    row = "31,Ada,Lib,publik,Europe/Paris,mid,en,more,Ada"
    problems = problems_of(header + "\n" + row)
    assert problems == [
        "row 1, header: duplicate column (got 'name')",
        "row 1, header: unknown column (got 'wishes'); expected columns are "
        + ", ".join(APPLICATION_COLUMNS),
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
    assert problems == ["row 3, country: not a country we know (got 'QQ')"]


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


# Names as well as codes; unknown values with the closest suggestion ------------------

NAMES_HEADER = "discord_id,name,institution,sector,country,timezone,career_stage,languages"


@pytest.mark.parametrize(
    ("country", "languages", "code", "codes"),
    [
        ("KE", "en;sw", "KE", ("en", "sw")),
        ("ken", "eng;swa", "KE", ("en", "sw")),  # alpha-3 codes
        ("Kenya", "English; Swahili", "KE", ("en", "sw")),
        ("kenya", "english;SWAHILI", "KE", ("en", "sw")),
        ("Côte d'Ivoire", "French", "CI", ("fr",)),
        ("cote d’ivoire", "french", "CI", ("fr",)),  # no accent, a typographic apostrophe
        ("South Korea", "Korean", "KR", ("ko",)),
        ("Viet Nam", "Vietnamese", "VN", ("vi",)),
        ("Vietnam", "vi", "VN", ("vi",)),
        ("Scotland", "Scottish Gaelic; English", "GB", ("gd", "en")),  # a part of the UK
        ("Russia", "Russian", "RU", ("ru",)),  # the one name "Russia" begins
        ("Greece", "Greek", "GR", ("el",)),  # "Modern Greek (1453-)" in ISO 639
    ],
)
def test_countries_and_languages_by_name_or_code(
    country: str, languages: str, code: str, codes: tuple[str, ...]
) -> None:
    row = f'1,Ada,Lib,public,"{country}",Europe/Paris,mid,"{languages}"'
    [app] = parse_applications_csv(NAMES_HEADER + "\n" + row)
    assert (app.country, app.languages) == (code, codes)


def test_unknown_names_get_the_closest_suggestion() -> None:
    rows = [
        '1,Ada,Lib,public,Kenia,Africa/Nairobi,mid,"English"',
        '2,Bo,Lib,public,Korea,Asia/Seoul,mid,"Korean"',
        '3,Cy,Lib,public,Turkey,Europe/Istanbul,mid,"Turkish"',
        '4,Di,Lib,public,Japan,Asia/Tokio,mid,"Japanese"',
        '5,Ed,Lib,public,Spain,Europe/Madrid,mid,"Spansh; Catalan; Klingon"',
        '6,Fa,Lib,public,Peru,America/Lima,mid,"Spanish"',
    ]
    header = NAMES_HEADER + ",partner_country"
    rows[-1] += ",Chile;Argentinia;Atlantis"
    assert problems_of("\n".join([header, *rows])) == [
        "row 2, country: not a country we know; did you mean Kenya? (got 'Kenia')",
        "row 3, country: not a country we know; did you mean North Korea or South Korea? "
        "(got 'Korea')",
        "row 4, country: not a country we know; did you mean Türkiye? (got 'Turkey')",
        "row 5, timezone: not an IANA time zone name such as Europe/Paris; did you mean "
        "Asia/Tokyo or Asia/Tomsk? (got 'Asia/Tokio')",
        "row 6, languages: unknown languages: Spansh (did you mean Spanish?), Klingon "
        "(got 'Spansh; Catalan; Klingon')",
        "row 7, partner_country: unknown countries: Argentinia (did you mean Argentina?), "
        "Atlantis (got 'Chile;Argentinia;Atlantis')",
    ]


def test_time_zones_are_read_in_any_case() -> None:
    [app] = parse_applications_csv(NAMES_HEADER + "\n1,Ada,Lib,public,FR,europe/PARIS,mid,fr")
    assert app.timezone == "Europe/Paris"


# Names people are called by, and what they share with their partner ------------------

CONTACT_HEADER = NAMES_HEADER + ",preferred_name,email,share_email,other_contact"
CONTACT_BASE = "1,Nguyen Thi Lan,Lib,public,VN,Asia/Ho_Chi_Minh,mid,vi"


def test_preferred_name_and_contact_columns() -> None:
    rows = [
        CONTACT_BASE + ",Lan,lan@example.org,yes,Zalo: lan.lib; WhatsApp after 6 pm",
        CONTACT_BASE.replace("1,", "2,", 1) + ",,bo@example.org,no,",
        CONTACT_BASE.replace("1,", "3,", 1) + ",,,,",
    ]
    lan, bo, cy = parse_applications_csv("\n".join([CONTACT_HEADER, *rows]))
    assert (lan.called, lan.shared_email, lan.other_contact) == (
        "Lan",
        "lan@example.org",
        "Zalo: lan.lib; WhatsApp after 6 pm",
    )
    assert (bo.preferred_name, bo.called, bo.shared_email) == (None, "Nguyen", None)
    assert (cy.email, cy.share_email, cy.other_contact) == (None, False, None)


def test_sharing_an_email_needs_one_and_a_yes_or_no() -> None:
    rows = [
        CONTACT_BASE + ",Lan,,yes,",
        CONTACT_BASE.replace("1,", "2,", 1) + ",Lan,lan@example.org,perhaps,",
    ]
    assert problems_of("\n".join([CONTACT_HEADER, *rows])) == [
        "row 2, share_email: there is no e-mail address to share (got 'yes')",
        "row 3, share_email: not yes or no (got 'perhaps')",
    ]


# Every field's maximum, at the door -----------------------------------------------------


def test_over_long_values_are_refused_with_the_limit() -> None:
    header = NAMES_HEADER + ",preferred_name,other_contact,interests,hopes,returning_note"
    many = ";".join(f"topic {n}" for n in range(LIMITS.interests + 1))
    cells = [
        ("name", "N" * (LIMITS.name + 1)),
        ("institution", "I" * (LIMITS.institution + 1)),
        ("languages", ";".join(["en", "fr", "de", "es", "it", "pt", "nl", "sv", "da", "fi", "no"])),
        ("preferred_name", "P" * (LIMITS.preferred_name + 1)),
        ("other_contact", "O" * (LIMITS.other_contact + 1)),
        ("interests", many),
        ("hopes", "H" * (LIMITS.hopes + 1)),
        ("returning_note", "R" * (LIMITS.returning_note + 1)),
    ]
    columns = header.split(",")
    good = dict(
        zip(
            columns,
            ["1", "Ada", "Lib", "public", "FR", "Europe/Paris", "mid", "fr", *[""] * 5],
            strict=True,
        )
    )
    rows = []
    for number, (column, value) in enumerate(cells, start=1):
        values = good | {"discord_id": str(number), column: value}
        rows.append(",".join(values[c] for c in columns))
    problems = problems_of("\n".join([header, *rows]))
    assert [p.split(" (got")[0] for p in problems] == [
        "row 2, name: at most 100 characters (this has 101)",
        "row 3, institution: at most 200 characters (this has 201)",
        "row 4, languages: at most 10 languages (this has 11)",
        "row 5, preferred_name: at most 50 characters (this has 51)",
        "row 6, other_contact: at most 300 characters (this has 301)",
        "row 7, interests: at most 10 interests (this has 11)",
        "row 8, hopes: at most 1000 characters (this has 1001)",
        "row 9, returning_note: at most 1000 characters (this has 1001)",
    ]
    assert problems[0].endswith(f"(got {'N' * 101!r})")


def test_one_over_long_interest_is_named() -> None:
    row = "1,Ada,Lib,public,FR,Europe/Paris,mid,fr," + "makerspaces;" + "x" * 61
    [problem] = problems_of(NAMES_HEADER + ",interests\n" + row)
    assert problem.startswith("row 2, interests: each interest at most 60 characters (xxx")


def test_saved_applications_load_whatever_their_length() -> None:
    """Limits hold at the door only: an application saved before a limit still loads."""
    app = Application(
        discord_id=1,
        name="N" * 500,
        institution="Lib",
        sector="public",
        country="FR",
        timezone="Europe/Paris",
        career_stage="mid",
        languages=("fr",),
    )
    assert len(app.name) == 500


def test_an_exported_row_imports_as_the_same_application() -> None:
    import csv
    import io

    from bot.domain.applications import application_row

    text = CONTACT_HEADER + "\n" + CONTACT_BASE + ",Lan,lan@example.org,yes,Zalo: lan.lib"
    [app] = parse_applications_csv(text)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(APPLICATION_COLUMNS)
    writer.writerow(["" if cell is None else cell for cell in application_row(app)])
    assert parse_applications_csv(buffer.getvalue()) == [app]
