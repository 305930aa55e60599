"""Configuration: a TOML file validated by pydantic, secrets from the environment.

Every problem in a file is reported at once as ``key.path: what is wrong (got X)`` so a
coordinator can fix the whole file in one go.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.domain.calendar import RoundSchedule
from bot.domain.contact import NudgeRules
from bot.domain.matching import MatchSettings
from bot.domain.privacy import PrivacyRules
from bot.domain.settings import SettingProblems

TOKEN_ENV = "DISCORD_TOKEN"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DiscordSettings(_Section):
    guild_id: int = Field(gt=0, description="The one server (guild) the program runs in.")
    coordinator_role: str = Field(min_length=1, description="Role whose members coordinate.")
    coordinators_channel: str = Field(default="iln-coordinators", min_length=1)
    announcements_channel: str = Field(default="iln-announcements", min_length=1)
    cohort_forum: str = Field(default="iln-discussions", min_length=1)
    cohort_forum_tag: str | None = Field(
        default=None,
        min_length=1,
        description="Tag for topic posts when the forum requires one (default: its first).",
    )
    waitlist_role: str = Field(default="ILN next round", min_length=1)
    space_mode: Literal["auto", "channels", "threads"] = "auto"
    token_file: Path | None = None
    api_base_url: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg/"

    @field_validator("api_base_url", "gateway_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        if "://" not in value:
            raise ValueError("must be an absolute URL such as https://discord.com/api/v10")
        return value.rstrip("/") if value.startswith("http") else value


class DatabaseSettings(_Section):
    path: Path = Path("iln.sqlite3")


class ProgramSettings(_Section):
    timezone: str = Field(default="UTC", description="Used when a member's own is unknown.")
    checkin_dm_opt_in_default: bool = False
    tick_seconds: int = Field(default=60, ge=5, le=3600)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not an IANA time zone name such as Europe/Berlin") from None
        return value


Hashtag = Annotated[str, Field(pattern=r"^#\w{1,59}$")]


class EventSettings(_Section):
    """Live discussions: Discord scheduled events tied to a topic (``/event schedule``)."""

    default_length_minutes: int = Field(default=60, ge=15, le=24 * 60)
    default_channel: str | None = Field(
        default=None,
        min_length=1,
        description="Voice or stage channel used when /event schedule names none.",
    )


class DeskSettings(_Section):
    """#welcometomydesk: a forum for photos of members' workspaces, featured by consent."""

    forum: str = Field(default="welcometomydesk", min_length=1, max_length=100)
    hashtag: Hashtag = "#welcometomydesk"
    feature_every_days: int = Field(default=14, ge=1, le=90)
    feature_hour_utc: int = Field(default=14, ge=0, le=23)


class HashtagSettings(_Section):
    """The program's own tag, shown wherever the program invites sharing."""

    program: Hashtag = "#interlibnet"


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
)  # fmt: skip


class CoordinatorSettings(_Section):
    """The [coordinators] section: the weekly digest in the coordinators' channel."""

    digest: bool = Field(default=True, description="Post a weekly digest to coordinators.")
    digest_weekday: Weekday = Field(default="monday", description="The day of the digest.")
    digest_hour: int = Field(
        default=8, ge=0, le=23, description="Its hour, in the program's time zone."
    )

    @field_validator("digest_weekday", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def weekday_number(self) -> int:
        """Monday is 0, as ``date.weekday()`` counts."""
        return WEEKDAYS.index(self.digest_weekday)


class Config(BaseSettings):
    """The whole configuration; ``ILN_SECTION__KEY`` environment variables override the file."""

    model_config = SettingsConfigDict(
        extra="forbid", frozen=True, env_prefix="ILN_", env_nested_delimiter="__"
    )

    discord: DiscordSettings
    database: DatabaseSettings = DatabaseSettings()
    program: ProgramSettings = ProgramSettings()
    coordinators: CoordinatorSettings = CoordinatorSettings()
    round: RoundSchedule = RoundSchedule()
    nudges: NudgeRules = NudgeRules()
    matching: MatchSettings = MatchSettings()
    events: EventSettings = EventSettings()
    desks: DeskSettings = DeskSettings()
    hashtags: HashtagSettings = HashtagSettings()
    privacy: PrivacyRules = PrivacyRules()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's values arrive as init arguments; the environment wins over them so a
        # deployment can change one setting without editing the file.
        return env_settings, init_settings


class ConfigError(Exception):
    """A configuration file that cannot be used; ``problems`` holds one line per fault."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_config(path: Path) -> Config:
    """Read and validate ``path``; relative paths inside it are relative to the file.

    Besides each value's own rules and the rules between values (a round long enough for
    its schedule), the files it names must be usable: the database's folder and the token
    file must exist, so the bot does not fail on them only when it starts."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file"]) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([f"{path}: not valid TOML: {error}"]) from None
    try:
        config = Config(**raw)
    except ValidationError as error:
        problems = [line for item in error.errors() for line in _describe(item)]
        raise ConfigError(problems + _named_files_problems(raw, path.parent)) from None
    config = _resolve_paths(config, path.parent)
    problems = _path_problems(config.database.path, config.discord.token_file)
    if problems:
        raise ConfigError(problems)
    return config


def _describe(error: Any) -> list[str]:
    """``key.path: what is wrong (got X)`` for one of pydantic's errors (several lines for a
    rule between settings, which names each setting it refuses)."""
    loc = tuple(str(part) for part in error["loc"])
    key = ".".join(loc) or "(top level)"
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, SettingProblems):
        return [f"{'.'.join((*loc, p.key))}: {p.problem} (got {p.got!r})" for p in cause.problems]
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        return [f"{key}: is required"]
    if error["type"] == "extra_forbidden":
        return [f"{key}: is not a known setting (got {error['input']!r})"]
    if error["type"] in _BOUNDS:
        allowed = _allowed_range(loc)
        if allowed:
            message = f"must be {allowed}"
    return [f"{key}: {message} (got {error['input']!r})"]


_BOUNDS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def _allowed_range(loc: tuple[str, ...]) -> str | None:
    """``from 4 to 52``, ``at least 1`` or ``at most 23``: the range a number setting allows,
    read from its model, so a refusal names both ends."""
    model: Any = Config
    info = None
    for part in loc:
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            return None
        info = fields[part]
        model = info.annotation
    if info is None:
        return None
    least = most = None
    for rule in info.metadata:
        least = getattr(rule, "ge", least)
        most = getattr(rule, "le", most)
        if getattr(rule, "gt", None) is not None:
            least = f"more than {rule.gt}"
        if getattr(rule, "lt", None) is not None:
            most = f"less than {rule.lt}"
    if least is not None and most is not None:
        return f"from {least} to {most}"
    if least is not None:
        return f"at least {least}" if isinstance(least, int) else str(least)
    if most is not None:
        return f"at most {most}" if isinstance(most, int) else str(most)
    return None


def _named_files_problems(raw: dict[str, Any], base: Path) -> list[str]:
    """The files a file that failed validation names, so every problem is told at once."""

    def named(section: str, key: str) -> Path | None:
        value = raw.get(section, {}).get(key) if isinstance(raw.get(section), dict) else None
        return base / value if isinstance(value, str) else None

    return _path_problems(named("database", "path"), named("discord", "token_file"))


def _path_problems(database: Path | None, token_file: Path | None) -> list[str]:
    """The files the configuration names, checked once their paths are resolved."""
    problems = []
    if database is not None and not database.parent.is_dir():
        problems.append(
            f"database.path: the folder {database.parent} does not exist; create it or name "
            f"a file in an existing folder (got {str(database)!r})"
        )
    if token_file is not None and not token_file.is_file():
        problems.append(
            f"discord.token_file: no such file; name a file that holds the token, or leave the "
            f"setting out and set {TOKEN_ENV} (got {str(token_file)!r})"
        )
    return problems


def _resolve_paths(config: Config, base: Path) -> Config:
    database = config.database.model_copy(update={"path": base / config.database.path})
    discord = config.discord
    if discord.token_file is not None:
        discord = discord.model_copy(update={"token_file": base / discord.token_file})
    return config.model_copy(update={"database": database, "discord": discord})


def read_token(config: Config) -> SecretStr | None:
    """The bot token from ``DISCORD_TOKEN`` or the configured token file; never logged."""
    from_env = os.environ.get(TOKEN_ENV, "").strip()
    if from_env:
        return SecretStr(from_env)
    token_file = config.discord.token_file
    if token_file is not None and token_file.is_file():
        from_file = token_file.read_text(encoding="utf-8").strip()
        if from_file:
            return SecretStr(from_file)
    return None
