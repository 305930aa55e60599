"""Applications to a matching round and their CSV import.

Everything here is pure: texts in, validated models (or a full list of problems) out.
Countries, languages and time zones are read by name or code (``bot.domain.places``);
e-mail addresses are checked by email-validator through pydantic's ``EmailStr`` (syntax
only: no DNS look-ups).
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.domain.places import find_country, find_language, find_timezone, zone_in_country


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


LIST_SEPARATOR = ";"
ANY = "any"


@dataclass(frozen=True)
class Limits:
    """The most an applicant may give for each field, in the form and in the CSV. They
    keep every post that shows an application within Discord's limits (an intro holds two
    or three of them in 6,000 characters) and a preview readable."""

    name: int = 100
    preferred_name: int = 50
    institution: int = 200
    interests: int = 10  # how many
    interest: int = 60  # characters each
    languages: int = 10
    hopes: int = 1000
    returning_note: int = 1000
    other_contact: int = 300


LIMITS: Final = Limits()
TEXT_LIMITS: Final = {
    "name": LIMITS.name,
    "preferred_name": LIMITS.preferred_name,
    "institution": LIMITS.institution,
    "hopes": LIMITS.hopes,
    "returning_note": LIMITS.returning_note,
    "other_contact": LIMITS.other_contact,
}

# What comes in through the form or a CSV file is held to LIMITS; applications already in
# the database are loaded without them, so a limit added later never makes a saved
# application unreadable.
AT_THE_DOOR: Final = {"at_the_door": True}

_EMAIL: Final = TypeAdapter(EmailStr)  # email-validator, syntax only (no DNS look-ups)

_E = TypeVar("_E", bound=enum.StrEnum)
_M = TypeVar("_M", bound=BaseModel)


def _at_the_door(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("at_the_door"))


def called(name: str, preferred_name: str | None) -> str:
    """What to call someone: the name they asked to be called, or, for people who applied
    before the form asked, the first word of their name."""
    if preferred_name and preferred_name.strip():
        return preferred_name.strip()
    return name.split()[0] if name.strip() else "partner"


# ---------------------------------------------------------------------------
# Value normalisers, shared by the model validators and so by the form and the CSV
# import. Each raises ValueError with a message the person can act on.
# ---------------------------------------------------------------------------


def normalise_country(value: str) -> str:
    return find_country(value)


def normalise_language(value: str) -> str:
    return find_language(value)


def normalise_timezone(value: str) -> str:
    return find_timezone(value)


def _split(value: str | Iterable[str]) -> list[str]:
    items = value.split(LIST_SEPARATOR) if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item.strip()]


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


_PLURALS = {"country": "countries"}


def _normalise_each(
    items: list[str], normalise: Callable[[str], Any], kind: str, hints: bool = True
) -> list[Any]:
    """Normalise every item, naming all bad ones (with the closest known names) at once."""
    good: list[Any] = []
    bad: list[str] = []
    for item in items:
        try:
            good.append(normalise(item))
        except ValueError as error:
            _, _, hint = str(error).partition("; ")
            bad.append(f"{item} ({hint})" if hint and hints else item)
    if bad:
        kind = kind if len(bad) == 1 else _PLURALS.get(kind, kind + "s")
        raise ValueError(f"unknown {kind}: {', '.join(bad)}")
    return good


def normalise_languages(value: str | Iterable[str]) -> tuple[str, ...]:
    items = _split(value)
    if not items:
        raise ValueError("at least one language is required")
    return _dedupe(_normalise_each(items, normalise_language, "language"))


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
    try:
        return frozenset(_normalise_each(items, parse, kind, hints=not hint))
    except ValueError as error:
        raise ValueError(f"{error}; use {hint}" if hint else str(error)) from None


def parse_sector_wish(value: Any) -> frozenset[Sector]:
    return _enum_wish(value, parse_sector, "sector", f"{ANY} or {_enum_choices(Sector)}")


def parse_career_stage_wish(value: Any) -> frozenset[CareerStage]:
    hint = f"{ANY} or {_enum_choices(CareerStage)}"
    return _enum_wish(value, parse_career_stage, "career stage", hint)


def parse_country_wish(value: Any) -> frozenset[str]:
    return _enum_wish(value, normalise_country, "country")


_YES = ("yes", "y", "true", "1")
_NO = ("no", "n", "false", "0", "")


def parse_yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _YES or text in _NO:
        return text in _YES
    raise ValueError("not yes or no")


def _parse_discord_id(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError("not a whole number") from None
    if number <= 0:
        raise ValueError("must be a positive number")
    return number


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value


def _over(limit: int, value: str) -> str:
    return f"at most {limit} characters (this has {len(value)})"


class Application(BaseModel):
    """One person's application to a matching round."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    discord_id: int
    name: str = Field(min_length=1)
    preferred_name: str | None = Field(
        default=None, description="What to call them; None for applications made before."
    )
    email: str | None = None
    share_email: bool = Field(default=False, description="Show the e-mail to the partner.")
    other_contact: str | None = Field(
        default=None, description="Other ways the partner may reach them, in their words."
    )
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

    @property
    def called(self) -> str:
        return called(self.name, self.preferred_name)

    @property
    def shared_email(self) -> str | None:
        """The e-mail address the partner may see (None when not agreed)."""
        return self.email if self.share_email else None

    @field_validator("discord_id", mode="before")
    @classmethod
    def _discord_id(cls, value: Any) -> Any:
        return _parse_discord_id(value)

    @field_validator("name", "institution", "hopes", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("email", "preferred_name", "other_contact", "returning_note", mode="before")
    @classmethod
    def _optional_text(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator(*TEXT_LIMITS, mode="after")
    @classmethod
    def _within_limit(cls, value: str | None, info: ValidationInfo) -> str | None:
        limit = TEXT_LIMITS[str(info.field_name)]
        if value is not None and _at_the_door(info) and len(value) > limit:
            raise ValueError(_over(limit, value))
        return value

    @field_validator("email", mode="after")
    @classmethod
    def _email(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Checked at the door only, so an address saved before email-validator read it
        # still loads.
        if value is None or not _at_the_door(info):
            return value
        try:
            return _EMAIL.validate_python(value)
        except ValidationError as error:
            raise ValueError(problem_text(error.errors()[0])) from None

    @field_validator("share_email", mode="before")
    @classmethod
    def _share_email(cls, value: Any) -> Any:
        return parse_yes_no(value)

    @field_validator("share_email", mode="after")
    @classmethod
    def _something_to_share(cls, value: bool, info: ValidationInfo) -> bool:
        if value and "email" in info.data and info.data["email"] is None:
            raise ValueError("there is no e-mail address to share")
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
    def _languages(cls, value: Any, info: ValidationInfo) -> Any:
        languages = normalise_languages(value)
        if _at_the_door(info) and len(languages) > LIMITS.languages:
            raise ValueError(f"at most {LIMITS.languages} languages (this has {len(languages)})")
        return languages

    @field_validator("interests", mode="before")
    @classmethod
    def _interests(cls, value: Any, info: ValidationInfo) -> Any:
        interests = normalise_interests(value)
        if _at_the_door(info):
            if len(interests) > LIMITS.interests:
                raise ValueError(
                    f"at most {LIMITS.interests} interests (this has {len(interests)})"
                )
            long = [i for i in interests if len(i) > LIMITS.interest]
            if long:
                raise ValueError(
                    f"each interest at most {LIMITS.interest} characters "
                    f"({long[0][:20]}… has {len(long[0])})"
                )
        return interests

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


class FormProblems(ValueError):
    """What is wrong with a form's answers: ``(field, problem)`` pairs, in field order."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {problem}" for field, problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class Whereabouts:
    """Where an applicant is and what they speak, as the form's first step reads them."""

    country: str
    timezone: str
    languages: tuple[str, ...]


def read_whereabouts(country: str, timezone: str, languages: str) -> Whereabouts:
    """Country, time zone and languages as an applicant gives them (names or codes; the
    zone by IANA name or city, and one of the country's own); raises FormProblems naming
    every bad one."""
    problems: list[tuple[str, str]] = []
    code = zone = None
    spoken: tuple[str, ...] = ()
    try:
        code = find_country(country)
    except ValueError as error:
        problems.append(("country", str(error)))
    if code is not None:
        try:
            zone = zone_in_country(code, timezone)
        except ValueError as error:
            problems.append(("timezone", str(error)))
    try:
        spoken = normalise_languages(languages.replace(",", LIST_SEPARATOR))
        if len(spoken) > LIMITS.languages:
            problems.append(
                ("languages", f"at most {LIMITS.languages} languages (this has {len(spoken)})")
            )
    except ValueError as error:
        problems.append(("languages", str(error)))
    if problems or code is None or zone is None:
        raise FormProblems(problems)
    return Whereabouts(code, zone, spoken)


class PastPartnership(BaseModel):
    """Two people who were partners in an earlier round (a trio is recorded as three rows)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    round: str = Field(min_length=1)
    member_a: int
    member_b: int

    @field_validator("round", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("member_a", "member_b", mode="before")
    @classmethod
    def _member(cls, value: Any) -> Any:
        return _parse_discord_id(value)

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


def problem_text(error: Mapping[str, Any]) -> str:
    """One pydantic error as a person reads it (without pydantic's "Value error, ")."""
    if error["type"] in ("missing", "string_too_short"):
        return "a value is required"
    return str(error["msg"]).removeprefix("Value error, ")


# ---------------------------------------------------------------------------
# CSV import
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A CSV column: the model field it fills and whether every row needs a value."""

    field: str
    required: bool = False


# The applications file, in the order an export writes it.
APPLICATION_COLUMNS: Final = {
    "discord_id": Column("discord_id", required=True),
    "name": Column("name", required=True),
    "preferred_name": Column("preferred_name"),
    "email": Column("email"),
    "share_email": Column("share_email"),
    "other_contact": Column("other_contact"),
    "institution": Column("institution", required=True),
    "sector": Column("sector", required=True),
    "country": Column("country", required=True),
    "timezone": Column("timezone", required=True),
    "career_stage": Column("career_stage", required=True),
    "languages": Column("languages", required=True),
    "interests": Column("interests"),
    "hopes": Column("hopes"),
    "partner_sector": Column("partner_sectors"),
    "partner_career_stage": Column("partner_career_stages"),
    "partner_country": Column("partner_countries"),
    "returning_note": Column("returning_note"),
}
HISTORY_COLUMNS: Final = {
    "round": Column("round", required=True),
    "member_a": Column("member_a", required=True),
    "member_b": Column("member_b", required=True),
}

Cell = str | int | None


def application_row(app: Application) -> list[Cell]:
    """An application in :data:`APPLICATION_COLUMNS` order, as the import reads it back."""

    def joined(values: Iterable[str]) -> str:
        return f"{LIST_SEPARATOR} ".join(values)

    def wish(values: Iterable[str]) -> str:
        return joined(sorted(values)) or ANY

    return [
        app.discord_id,
        app.name,
        app.preferred_name,
        app.email,
        "yes" if app.share_email else "no",
        app.other_contact,
        app.institution,
        app.sector.value,
        app.country,
        app.timezone,
        app.career_stage.value,
        joined(app.languages),
        joined(app.interests),
        app.hopes,
        wish(s.value for s in app.partner_sectors),
        wish(s.value for s in app.partner_career_stages),
        wish(app.partner_countries),
        app.returning_note,
    ]


class ApplicationsCsvError(ValueError):
    """A CSV file could not be imported; `problems` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the CSV file:\n" + "\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class _Problem:
    """Sorted by row, then by where in the row (header position; -1 for the whole row),
    then in the order found."""

    row: int
    position: int
    text: str


def _read_records(text: str) -> list[tuple[int, list[str]]]:
    """All non-blank records with their spreadsheet row number (the header is row 1)."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    return [
        (row_number, record)
        for row_number, record in enumerate(reader, start=1)
        if any(cell.strip() for cell in record)
    ]


def _header_problems(header: list[str], columns: Mapping[str, Column]) -> list[_Problem]:
    unique = list(dict.fromkeys(header))
    texts = [f"row 1, header: duplicate column (got {n!r})" for n in unique if header.count(n) > 1]
    texts += [
        f"row 1, header: unknown column (got {name!r}); expected columns are " + ", ".join(columns)
        for name in unique
        if name not in columns
    ]
    texts += [
        f"row 1, header: missing column {name!r}"
        for name, column in columns.items()
        if column.required and name not in header
    ]
    return [_Problem(1, -1, text) for text in texts]


def _parse_table(
    text: str, model: type[_M], columns: Mapping[str, Column], unique: str | None = None
) -> list[_M]:
    """Parse a CSV into models in one pass, or raise ApplicationsCsvError listing every
    problem as ``row N, column: problem (got X)``, by row.

    Each row's cells go to the model once (it normalises and checks them: the form uses
    the same model); a blank cell counts as not given. ``unique`` names a column whose
    values may not repeat across rows (checked on the cells, so bad rows count too).
    """
    records = _read_records(text)
    if not records:
        raise ApplicationsCsvError(["row 1, header: the file is empty"])
    header = [name.strip() for name in records[0][1]]
    problems = _header_problems(header, columns)
    # A repeated column is read from its first place only.
    positions = {name: header.index(name) for name in header if name in columns}
    column_of = {columns[name].field: name for name in positions}
    first_row: dict[int, int] = {}
    parsed: list[_M] = []
    for row_number, record in records[1:]:
        if len(record) > len(header):
            extra = ", ".join(record[len(header) :])
            problems.append(
                _Problem(
                    row_number,
                    -1,
                    f"row {row_number}: more values than header columns (got extra {extra!r})",
                )
            )
            continue
        cells = {
            name: record[position].strip()
            for name, position in positions.items()
            if position < len(record)
        }
        values = {columns[name].field: cell for name, cell in cells.items() if cell}
        if unique is not None and cells.get(unique):
            try:
                key = _parse_discord_id(cells[unique])
            except ValueError:
                pass  # the model reports the cell itself
            else:
                with_key = first_row.setdefault(key, row_number)
                if with_key != row_number:
                    duplicate = f"duplicate of row {with_key} (got {cells[unique]!r})"
                    problems.append(
                        _Problem(
                            row_number,
                            positions[unique],
                            f"row {row_number}, {unique}: {duplicate}",
                        )
                    )
        try:
            parsed.append(model.model_validate(values, context=AT_THE_DOOR))
        except ValidationError as error:
            for item in error.errors():
                field = str(item["loc"][0]) if item["loc"] else None
                column = column_of.get(field) if field else None
                if field is not None and column is None:
                    continue  # its column is missing: the header problem says so once
                if column is None:
                    problems.append(
                        _Problem(row_number, len(header), f"row {row_number}: {problem_text(item)}")
                    )
                    continue
                got = cells.get(column, "")
                problems.append(
                    _Problem(
                        row_number,
                        positions[column],
                        f"row {row_number}, {column}: {problem_text(item)} (got {got!r})",
                    )
                )
    if problems:
        raise ApplicationsCsvError(
            [p.text for p in sorted(problems, key=lambda p: (p.row, p.position))]
        )
    return parsed


def parse_applications_csv(text: str) -> list[Application]:
    """Parse a whole applications CSV, all or nothing.

    Raises ApplicationsCsvError listing every problem: header problems, each bad cell as
    ``row N, column: problem (got X)`` and discord_ids used on more than one row.
    """
    return _parse_table(text, Application, APPLICATION_COLUMNS, unique="discord_id")


def parse_history_csv(text: str) -> list[PastPartnership]:
    """Parse a history CSV (``round, member_a, member_b``), all or nothing."""
    return _parse_table(text, PastPartnership, HISTORY_COLUMNS)


__all__ = [
    "ANY",
    "APPLICATION_COLUMNS",
    "AT_THE_DOOR",
    "LIMITS",
    "LIST_SEPARATOR",
    "Application",
    "ApplicationsCsvError",
    "CareerStage",
    "FormProblems",
    "PastPartnership",
    "Sector",
    "Whereabouts",
    "application_row",
    "called",
    "parse_applications_csv",
    "parse_history_csv",
    "past_pairs_from",
    "problem_text",
    "read_whereabouts",
]
