"""Applications to a matching round and their CSV import.

Everything here is pure: texts in, validated models (or a full list of problems) out.
"""

from __future__ import annotations

import csv
import enum
import functools
import io
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)


class Sector(enum.StrEnum):
    PUBLIC = "public"
    ACADEMIC = "academic"
    SCHOOL = "school"
    SPECIAL = "special"
    NATIONAL = "national"
    OTHER = "other"


class CareerStage(enum.StrEnum):
    STUDENT = "student"
    EARLY = "early"
    MID = "mid"
    LATE = "late"


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ISO 3166-1 alpha-2: all 249 officially assigned codes.
COUNTRY_CODES: frozenset[str] = _codes(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
    """
)

# ISO 639-1: the two-letter language codes.
LANGUAGE_CODES: frozenset[str] = _codes(
    """
    aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv
    cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr
    ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw
    ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv
    ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr
    ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi
    yo za zh zu
    """
)

LIST_SEPARATOR = ";"
ANY = "any"
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_E = TypeVar("_E", bound=enum.StrEnum)
_M = TypeVar("_M", bound=BaseModel)


# ---------------------------------------------------------------------------
# Value normalisers, shared by the model validators and the CSV import.
# Each raises ValueError with a message a coordinator can act on.
# ---------------------------------------------------------------------------


@functools.cache
def _known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def normalise_timezone(value: str) -> str:
    name = value.strip()
    known = _known_timezones()
    if known:
        if name in known:
            return name
    else:  # no tz database listing on this machine: fall back to loading the zone
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise ValueError("not an IANA time zone name such as Europe/Paris")


def normalise_country(value: str) -> str:
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise ValueError("not an ISO 3166-1 two-letter country code such as AU")
    return code


def normalise_language(value: str) -> str:
    code = value.strip().lower()
    if code not in LANGUAGE_CODES:
        raise ValueError("not an ISO 639-1 two-letter language code such as es")
    return code


def _split(value: str | Iterable[str]) -> list[str]:
    items = value.split(LIST_SEPARATOR) if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item.strip()]


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _normalise_each(
    items: list[str], normalise: Callable[[str], Any], kind: str, hint: str = ""
) -> list[Any]:
    """Normalise every item, naming all bad ones in a single error."""
    good: list[str] = []
    bad: list[str] = []
    for item in items:
        try:
            good.append(normalise(item))
        except ValueError:
            bad.append(item)
    if bad:
        raise ValueError(f"unknown {kind}: {', '.join(bad)}" + (f"; use {hint}" if hint else ""))
    return good


def normalise_languages(value: str | Iterable[str]) -> tuple[str, ...]:
    items = _split(value)
    if not items:
        raise ValueError("at least one language is required")
    return _dedupe(_normalise_each(items, normalise_language, "language code(s)"))


def normalise_interests(value: str | Iterable[str]) -> tuple[str, ...]:
    return _dedupe(" ".join(item.lower().split()) for item in _split(value))


def _enum_choices(enum_type: type[enum.StrEnum]) -> str:
    return ", ".join(member.value for member in enum_type)


def _parse_enum(enum_type: type[_E], value: str, kind: str) -> _E:
    try:
        return enum_type(value.strip().lower())
    except ValueError:
        raise ValueError(f"not a {kind}; use one of {_enum_choices(enum_type)}") from None


def parse_sector(value: str) -> Sector:
    return _parse_enum(Sector, value, "sector")


def parse_career_stage(value: str) -> CareerStage:
    return _parse_enum(CareerStage, value, "career stage")


def _is_any(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() in ("", ANY)


def _enum_wish(
    value: Any, parse: Callable[[str], Any], kind: str, hint: str = ""
) -> frozenset[Any]:
    if _is_any(value):
        return frozenset()
    items = _split(value)
    if any(item.lower() == ANY for item in items):
        raise ValueError(f"'{ANY}' cannot be combined with specific values")
    return frozenset(_normalise_each(items, parse, kind, hint))


def parse_sector_wish(value: Any) -> frozenset[Sector]:
    return _enum_wish(value, parse_sector, "sector(s)", f"{ANY} or {_enum_choices(Sector)}")


def parse_career_stage_wish(value: Any) -> frozenset[CareerStage]:
    hint = f"{ANY} or {_enum_choices(CareerStage)}"
    return _enum_wish(value, parse_career_stage, "career stage(s)", hint)


def parse_country_wish(value: Any) -> frozenset[str]:
    return _enum_wish(value, normalise_country, "country code(s)")


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value.strip() if isinstance(value, str) else value


class Application(BaseModel):
    """One person's application to a matching round."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    discord_id: int = Field(gt=0)
    name: str = Field(min_length=1)
    email: str | None = None
    institution: str = Field(min_length=1)
    sector: Sector
    country: str
    timezone: str
    career_stage: CareerStage
    languages: tuple[str, ...]
    interests: tuple[str, ...] = ()
    hopes: str = ""
    partner_sectors: frozenset[Sector] = frozenset()
    partner_career_stages: frozenset[CareerStage] = frozenset()
    partner_countries: frozenset[str] = Field(
        default=frozenset(), description="Empty means any country other than the applicant's."
    )
    returning_note: str | None = None

    @field_validator("name", "institution", "hopes", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("email", "returning_note", mode="before")
    @classmethod
    def _optional_text(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL_PATTERN.match(value):
            raise ValueError("not an email address")
        return value

    @field_validator("sector", mode="before")
    @classmethod
    def _sector(cls, value: Any) -> Any:
        return parse_sector(value) if isinstance(value, str) else value

    @field_validator("career_stage", mode="before")
    @classmethod
    def _career_stage(cls, value: Any) -> Any:
        return parse_career_stage(value) if isinstance(value, str) else value

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value: Any) -> Any:
        return normalise_country(value) if isinstance(value, str) else value

    @field_validator("timezone", mode="before")
    @classmethod
    def _timezone(cls, value: Any) -> Any:
        return normalise_timezone(value) if isinstance(value, str) else value

    @field_validator("languages", mode="before")
    @classmethod
    def _languages(cls, value: Any) -> Any:
        return normalise_languages(value)

    @field_validator("interests", mode="before")
    @classmethod
    def _interests(cls, value: Any) -> Any:
        return normalise_interests(value)

    @field_validator("partner_sectors", mode="before")
    @classmethod
    def _partner_sectors(cls, value: Any) -> Any:
        return parse_sector_wish(value)

    @field_validator("partner_career_stages", mode="before")
    @classmethod
    def _partner_career_stages(cls, value: Any) -> Any:
        return parse_career_stage_wish(value)

    @field_validator("partner_countries", mode="before")
    @classmethod
    def _partner_countries(cls, value: Any) -> Any:
        return parse_country_wish(value)


class PastPartnership(BaseModel):
    """Two people who were partners in an earlier round (a trio is recorded as three rows)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    round: str = Field(min_length=1)
    member_a: int = Field(gt=0)
    member_b: int = Field(gt=0)

    @model_validator(mode="after")
    def _distinct(self) -> PastPartnership:
        if self.member_a == self.member_b:
            raise ValueError("a person cannot be their own past partner")
        return self

    @property
    def pair(self) -> frozenset[int]:
        return frozenset((self.member_a, self.member_b))


def past_pairs_from(history: Iterable[PastPartnership]) -> set[frozenset[int]]:
    return {partnership.pair for partnership in history}


# ---------------------------------------------------------------------------
# CSV import
# ---------------------------------------------------------------------------


class ApplicationsCsvError(ValueError):
    """A CSV file could not be imported; `problems` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the CSV file:\n" + "\n".join(problems))
        self.problems = problems


def _parse_discord_id(value: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise ValueError("not a whole number") from None
    if number <= 0:
        raise ValueError("must be a positive number")
    return number


def _required_text(value: str) -> str:
    return value.strip()


def _optional_text(value: str) -> str | None:
    return value.strip() or None


def _parse_email(value: str) -> str | None:
    email = value.strip()
    if email and not _EMAIL_PATTERN.match(email):
        raise ValueError("not an email address")
    return email or None


@functools.cache
def _application_columns() -> dict[str, tuple[str, Callable[[str], Any], bool]]:
    """CSV column -> (model field, cell parser, value required)."""
    return {
        "discord_id": ("discord_id", _parse_discord_id, True),
        "name": ("name", _required_text, True),
        "email": ("email", _parse_email, False),
        "institution": ("institution", _required_text, True),
        "sector": ("sector", parse_sector, True),
        "country": ("country", normalise_country, True),
        "timezone": ("timezone", normalise_timezone, True),
        "career_stage": ("career_stage", parse_career_stage, True),
        "languages": ("languages", normalise_languages, True),
        "interests": ("interests", normalise_interests, False),
        "hopes": ("hopes", _required_text, False),
        "partner_sector": ("partner_sectors", parse_sector_wish, False),
        "partner_career_stage": ("partner_career_stages", parse_career_stage_wish, False),
        "partner_country": ("partner_countries", parse_country_wish, False),
        "returning_note": ("returning_note", _optional_text, False),
    }


@functools.cache
def _history_columns() -> dict[str, tuple[str, Callable[[str], Any], bool]]:
    return {
        "round": ("round", _required_text, True),
        "member_a": ("member_a", _parse_discord_id, True),
        "member_b": ("member_b", _parse_discord_id, True),
    }


def _cell_problem(row: int, column: str, problem: str, got: str) -> str:
    return f"row {row}, {column}: {problem} (got {got!r})"


def _read_records(text: str) -> list[tuple[int, list[str]]]:
    """All non-blank records with their spreadsheet row number (the header is row 1)."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    return [
        (row_number, record)
        for row_number, record in enumerate(reader, start=1)
        if any(cell.strip() for cell in record)
    ]


def _header_problems(
    header: list[str], columns: Mapping[str, Any], required: set[str]
) -> list[str]:
    names = [name.strip() for name in header]
    problems = [
        f"row 1, header: duplicate column (got {name!r})"
        for name in dict.fromkeys(names)
        if names.count(name) > 1
    ]
    problems += [
        f"row 1, header: unknown column (got {name!r}); expected columns are " + ", ".join(columns)
        for name in dict.fromkeys(names)
        if name not in columns
    ]
    problems += [
        f"row 1, header: missing column {name!r}"
        for name in columns
        if name in required and name not in names
    ]
    return problems


def _parse_row(
    row_number: int,
    record: list[str],
    header: list[str],
    columns: Mapping[str, tuple[str, Callable[[str], Any], bool]],
) -> tuple[dict[str, Any], list[str]]:
    """Parse one record into model fields, collecting a problem per bad cell."""
    if len(record) > len(header):
        extra = ", ".join(record[len(header) :])
        return {}, [f"row {row_number}: more values than header columns (got extra {extra!r})"]
    fields: dict[str, Any] = {}
    problems: list[str] = []
    for position, column in enumerate(header):
        if column not in columns:
            continue
        field, parse, required = columns[column]
        cell = record[position] if position < len(record) else ""
        if required and not cell.strip():
            problems.append(_cell_problem(row_number, column, "a value is required", cell))
            continue
        try:
            fields[field] = parse(cell)
        except ValueError as error:
            problems.append(_cell_problem(row_number, column, str(error), cell))
    return fields, problems


def _parse_table(
    text: str,
    model: type[_M],
    columns: Mapping[str, tuple[str, Callable[[str], Any], bool]],
) -> list[_M]:
    """Parse a CSV into models, or raise ApplicationsCsvError listing every problem."""
    records = _read_records(text)
    if not records:
        raise ApplicationsCsvError(["row 1, header: the file is empty"])
    header = [name.strip() for name in records[0][1]]
    required = {name for name, (_, _, is_required) in columns.items() if is_required}
    problems = _header_problems(header, columns, required)
    first_column = {name: header.index(name) for name in header}
    unique_header = [name if first_column[name] == i else "" for i, name in enumerate(header)]
    parsed: list[_M] = []
    for row_number, record in records[1:]:
        fields, row_problems = _parse_row(row_number, record, unique_header, columns)
        if not row_problems and not problems:
            try:
                item = model.model_validate(fields)
            except ValueError as error:
                row_problems = [f"row {row_number}: {_first_line(error)}"]
            else:
                parsed.append(item)
        problems += row_problems
    if problems:
        raise ApplicationsCsvError(problems)
    return parsed


def _first_line(error: ValueError) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(item["msg"].removeprefix("Value error, ") for item in error.errors())
    return str(error).splitlines()[0] if str(error) else "invalid row"


def _duplicate_id_problems(records: list[tuple[int, list[str]]]) -> list[str]:
    """Duplicate discord_ids across rows, found on the raw cells so bad rows still count."""
    header = [name.strip() for name in records[0][1]]
    if "discord_id" not in header:
        return []
    position = header.index("discord_id")
    first_row: dict[int, int] = {}
    problems: list[str] = []
    for row_number, record in records[1:]:
        cell = record[position] if position < len(record) else ""
        try:
            discord_id = _parse_discord_id(cell)
        except ValueError:
            continue
        if discord_id in first_row:
            problems.append(
                _cell_problem(
                    row_number, "discord_id", f"duplicate of row {first_row[discord_id]}", cell
                )
            )
        else:
            first_row[discord_id] = row_number
    return problems


def parse_applications_csv(text: str) -> list[Application]:
    """Parse a whole applications CSV, all or nothing.

    Raises ApplicationsCsvError listing every problem: header problems, each bad cell as
    ``row N, column: problem (got X)`` and discord_ids used on more than one row.
    """
    problems: list[str] = []
    try:
        applications = _parse_table(text, Application, _application_columns())
    except ApplicationsCsvError as error:
        problems = list(error.problems)
        applications = []
    records = _read_records(text)
    if records:
        problems += _duplicate_id_problems(records)
    if problems:
        raise ApplicationsCsvError(_in_row_order(problems))
    return applications


def parse_history_csv(text: str) -> list[PastPartnership]:
    """Parse a history CSV (``round, member_a, member_b``), all or nothing."""
    return _parse_table(text, PastPartnership, _history_columns())


def _in_row_order(problems: list[str]) -> list[str]:
    def row_of(problem: str) -> int:
        match = re.match(r"row (\d+)", problem)
        return int(match.group(1)) if match else 0

    return sorted(problems, key=row_of)  # stable: keeps column order within a row
