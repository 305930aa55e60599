"""Program content: the discussion topics and every text the bot posts.

Both live as TOML under ``data/`` so coordinators can edit wording without touching code:

* ``data/topics/NN-slug.toml``: one discussion topic per file; ``NN`` is its position.
* ``data/messages.toml``: every message template, using ``str.format`` named fields.
* ``data/privacy.md``: the privacy notice, a title line and Markdown with the ``[privacy]``
  retention periods as fields (``{contact_events_days}``).

Loading fails early with a :class:`ContentError` that names the file and the field, so a
typo is caught when the bot starts rather than when a nudge is due weeks later. Every
template is checked against :data:`TEMPLATE_FIELDS`, the single list of fields each caller
may pass, so formatting a loaded template with its documented fields cannot raise.

This module deliberately imports nothing from discord.
"""

from __future__ import annotations

import hashlib
import re
import string
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from bot.domain.privacy import PrivacyRules

# Discord's own limits, and the tighter budgets this content keeps to leave room for the
# mentions, names and dates that get substituted in.
MESSAGE_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_NAME_LIMIT = 256
EMBED_FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000

TEMPLATE_LIMIT = 1800
GUIDELINES_BODY_LIMIT = 1500
TOPIC_TITLE_LIMIT = 100  # leaves room for a prefix such as "Topic 3: " in the embed title
TOPIC_SUMMARY_LIMIT = 200
TOPIC_BODY_LIMIT = 1200
TOPIC_PROMPT_LIMIT = 300
TOPIC_MIN_PROMPTS = 3
TOPIC_MAX_PROMPTS = 6
TOPIC_MAX_HASHTAGS = 5

_TOPIC_FILE = re.compile(r"^(?P<position>\d+)-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.toml$")


class ContentError(Exception):
    """A content file is missing, unreadable or invalid.

    ``source`` is the file (or directory) and ``field`` the key inside it, e.g.
    ``data/topics/03-learning.toml: body: ...`` or ``data/messages.toml: nudge.quiet[2]: ...``.
    """

    def __init__(self, source: Path | str, field: str, problem: str) -> None:
        self.source = Path(source)
        self.field = field
        self.problem = problem
        super().__init__(f"{source}: {field}: {problem}")


# --------------------------------------------------------------------------- templates

_NONE: frozenset[str] = frozenset()

TEMPLATE_FIELDS: dict[str, frozenset[str]] = {
    "guidelines.title": _NONE,
    "guidelines.body": frozenset({"contact_every"}),
    "intro.header": frozenset({"names", "round_name", "end_date"}),
    "intro.why_matched_title": _NONE,
    "intro.call_hours_title": _NONE,
    "intro.call_hours": frozenset({"hours", "days", "next"}),
    "intro.no_call_hours": frozenset({"gap"}),
    "nudge.quiet": frozenset({"mentions", "days", "topic_title", "contact_every"}),
    "nudge.one_sided": frozenset({"silent_mention", "days", "topic_title"}),
    "away.noted": frozenset({"member_mention", "start", "end", "note"}),
    "away.welcome_back": frozenset({"member_mention"}),
    "availability.ask": frozenset({"mentions", "cadence"}),
    "availability.in_topic": _NONE,
    "availability.no_changes_ack": _NONE,
    "availability.added_ack": _NONE,
    "checkin.prompt": frozenset({"mentions", "cadence"}),
    "checkin.in_topic": frozenset({"cadence"}),
    "checkin.dm": frozenset({"member_name", "channel_link", "cadence"}),
    "checkin.thanks": _NONE,
    "checkin.coordinator_alert": frozenset(
        {"member_name", "partnership_name", "rating", "comment"}
    ),
    "coordinator.escalation": frozenset(
        {"partnership_name", "days_since_contact", "nudges", "away_summary"}
    ),
    "coordinator.partner_left": frozenset({"member_name", "partnership_name"}),
    "end.reminder": frozenset({"mentions", "time_left", "end_date"}),
    "end.closing": frozenset({"mentions", "round_name"}),
    "end.feedback_prompt": _NONE,
    "end.archived_note": _NONE,
    "end.kept_open_note": _NONE,
    "end.notify_me_invite": _NONE,
    "round.applications_open": frozenset(
        {"role_mention", "round_name", "round_length", "starts_on", "close_hint"}
    ),
    "topic.in_space": frozenset({"mentions"}),
    "topic.cohort_link": frozenset({"link"}),
    "topic.in_cohort": _NONE,
    "cases.reply": frozenset({"member_name", "reply"}),
    "cases.ask_thanks": _NONE,
    "outreach.unmatched": frozenset({"member_name", "round_name", "reason"}),
    "outreach.reason_language": frozenset({"languages"}),
    "outreach.reason_country": frozenset({"country"}),
    "outreach.reason_history": _NONE,
    "outreach.reason_odd_one_out": _NONE,
    "outreach.keep_ack": _NONE,
    "outreach.trio_ack": _NONE,
    "outreach.talk_ack": _NONE,
    "pairs.ended": frozenset({"mentions"}),
    "privacy.partner_left": frozenset({"mentions"}),
}
"""Every template key in messages.toml and the only fields its callers pass to ``format``."""

TEMPLATE_LENGTH_LIMITS: dict[str, int] = {
    "guidelines.title": EMBED_TITLE_LIMIT,
    "guidelines.body": GUIDELINES_BODY_LIMIT,
    "intro.why_matched_title": EMBED_FIELD_NAME_LIMIT,
    "intro.call_hours_title": EMBED_TITLE_LIMIT,
}
"""Per-key length limits; any key not listed is held to :data:`TEMPLATE_LIMIT`."""


def template_fields(template: str) -> frozenset[str]:
    """The named fields a ``str.format`` template uses.

    Only plain named fields are allowed (``{days}``): no positional ``{}``, no attribute or
    index access, no conversions or format specs, because callers pass ready-made strings.
    Raises ValueError on unbalanced braces or any of those forms.
    """
    names: set[str] = set()
    for _literal, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier():
            raise ValueError(
                f"field {{{name}}} must be a plain name such as {{mentions}} "
                "(no positional, attribute or index fields)"
            )
        if spec or conversion:
            raise ValueError(f"field {{{name}}} must not use a conversion or format spec")
        names.add(name)
    return frozenset(names)


class _TemplateProblem(ValueError):
    """A template breaks its rules; carries the dotted key so errors can name it."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        super().__init__(f"{key}: {problem}")


def _check_template(key: str, text: str) -> None:
    allowed = TEMPLATE_FIELDS[key.split("[", 1)[0]]
    limit = TEMPLATE_LENGTH_LIMITS.get(key.split("[", 1)[0], TEMPLATE_LIMIT)
    if len(text) > limit:
        raise _TemplateProblem(key, f"is {len(text)} characters; the limit is {limit}")
    if not allowed:
        if "{" in text or "}" in text:
            raise _TemplateProblem(key, "takes no fields, so it must not contain { or }")
        return
    try:
        used = template_fields(text)
    except ValueError as exc:
        raise _TemplateProblem(key, str(exc)) from None
    unknown = used - allowed
    if unknown:
        raise _TemplateProblem(
            key,
            f"uses unknown field(s) {', '.join(sorted(unknown))}; "
            f"allowed: {', '.join(sorted(allowed))}",
        )


# --------------------------------------------------------------------------- messages

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _variants(minimum: int) -> Any:
    """A list of alternative wordings in TOML, at least ``minimum`` long."""
    return Field(min_length=minimum)


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GuidelinesMessages(_Section):
    title: Text
    body: Text


class IntroMessages(_Section):
    header: Text
    why_matched_title: Text
    call_hours_title: Text
    call_hours: Text
    no_call_hours: Text


class NudgeMessages(_Section):
    quiet: Annotated[tuple[Text, ...], _variants(4)]
    one_sided: Annotated[tuple[Text, ...], _variants(3)]


class AwayMessages(_Section):
    noted: Text
    welcome_back: Annotated[tuple[Text, ...], _variants(2)]


class AvailabilityMessages(_Section):
    ask: Annotated[tuple[Text, ...], _variants(3)]
    in_topic: Text
    no_changes_ack: Text
    added_ack: Text


class CheckinMessages(_Section):
    prompt: Text
    in_topic: Text
    dm: Text
    thanks: Text
    coordinator_alert: Text


class CoordinatorMessages(_Section):
    escalation: Text
    partner_left: Text


class EndMessages(_Section):
    reminder: Text
    closing: Text
    feedback_prompt: Text
    archived_note: Text
    kept_open_note: Text
    notify_me_invite: Text


class RoundMessages(_Section):
    applications_open: Text


class TopicMessages(_Section):
    in_space: Text
    cohort_link: Text
    in_cohort: Text


class CaseMessages(_Section):
    reply: Text
    ask_thanks: Text


class OutreachMessages(_Section):
    unmatched: Text
    reason_language: Text
    reason_country: Text
    reason_history: Text
    reason_odd_one_out: Text
    keep_ack: Text
    trio_ack: Text
    talk_ack: Text


class PairMessages(_Section):
    ended: Text


class PrivacyMessages(_Section):
    partner_left: Text


class Messages(_Section):
    """Typed view of data/messages.toml. Lists of wordings are tuples; choose with pick()."""

    guidelines: GuidelinesMessages
    intro: IntroMessages
    nudge: NudgeMessages
    away: AwayMessages
    availability: AvailabilityMessages
    checkin: CheckinMessages
    coordinator: CoordinatorMessages
    end: EndMessages
    round: RoundMessages
    topic: TopicMessages
    cases: CaseMessages
    outreach: OutreachMessages
    pairs: PairMessages
    privacy: PrivacyMessages

    @model_validator(mode="after")
    def _templates_follow_their_rules(self) -> Messages:
        for key in TEMPLATE_FIELDS:
            value = self.text(key)
            if isinstance(value, str):
                _check_template(key, value)
            else:
                for index, variant in enumerate(value):
                    _check_template(f"{key}[{index}]", variant)
        return self

    def text(self, key: str) -> str | tuple[str, ...]:
        """The template (or tuple of wordings) at a dotted key such as ``"nudge.quiet"``."""
        section_name, _, name = key.partition(".")
        section = getattr(self, section_name, None)
        if not isinstance(section, _Section) or name not in type(section).model_fields:
            raise KeyError(key)
        value: str | tuple[str, ...] = getattr(section, name)
        return value

    def variants(self, key: str) -> tuple[str, ...]:
        """The wordings at ``key`` as a tuple, whether the file holds one or several."""
        value = self.text(key)
        return (value,) if isinstance(value, str) else value


def load_messages(path: Path) -> Messages:
    """Read and validate messages.toml; raise ContentError naming the key on any problem."""
    data = _read_toml(path)
    try:
        return Messages.model_validate(data)
    except ValidationError as exc:
        raise _content_error(path, exc) from None


# --------------------------------------------------------------------------- topics

Hashtag = Annotated[str, StringConstraints(pattern=r"^#\w+$", max_length=60)]
Prompt = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TOPIC_PROMPT_LIMIT)
]


class Topic(BaseModel):
    """One discussion topic; ``position`` (1-based) comes from the file name's number."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    position: int = Field(ge=1)
    slug: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)
    title: str = Field(min_length=1, max_length=TOPIC_TITLE_LIMIT)
    summary: str = Field(min_length=1, max_length=TOPIC_SUMMARY_LIMIT)
    body: str = Field(min_length=1, max_length=TOPIC_BODY_LIMIT)
    prompts: tuple[Prompt, ...] = Field(min_length=TOPIC_MIN_PROMPTS, max_length=TOPIC_MAX_PROMPTS)
    hashtags: tuple[Hashtag, ...] = Field(default=(), max_length=TOPIC_MAX_HASHTAGS)

    @model_validator(mode="before")
    @classmethod
    def _one_hashtag_is_a_list_of_one(cls, data: Any) -> Any:
        """Older files say ``hashtag = "#tag"``; it means ``hashtags = ["#tag"]``."""
        if isinstance(data, dict) and "hashtag" in data:
            if "hashtags" in data:
                raise ValueError("give either hashtag or hashtags, not both")
            data = {**data, "hashtags": [data["hashtag"]]}
            del data["hashtag"]
        return data

    def description(self) -> str:
        """Markdown for an embed description or forum post: body, prompts, hashtags.

        With the field limits above this is at most about 3,100 characters, well inside
        Discord's 4,096 for an embed description.
        """
        parts = [self.body, "\n".join(f"- {prompt}" for prompt in self.prompts)]
        if self.hashtags:
            parts.append(" ".join(self.hashtags))
        return "\n\n".join(parts)


class TopicBank(BaseModel):
    """The round's topics in order; positions run 1..N without gaps and slugs are unique."""

    model_config = ConfigDict(frozen=True)

    topics: tuple[Topic, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered_and_unique(self) -> TopicBank:
        positions = [topic.position for topic in self.topics]
        if positions != list(range(1, len(positions) + 1)):
            raise ValueError(f"positions must run 1..{len(positions)} in order; got {positions}")
        slugs = [topic.slug for topic in self.topics]
        duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        if duplicates:
            raise ValueError(f"duplicate slugs: {', '.join(duplicates)}")
        return self

    def __len__(self) -> int:
        return len(self.topics)

    @property
    def first(self) -> Topic:
        return self.topics[0]

    def at(self, position: int) -> Topic:
        """The topic at a 1-based position; IndexError outside 1..N."""
        if not 1 <= position <= len(self.topics):
            raise IndexError(f"no topic at position {position} (have 1..{len(self.topics)})")
        return self.topics[position - 1]

    def by_slug(self, slug: str) -> Topic:
        for topic in self.topics:
            if topic.slug == slug:
                return topic
        raise KeyError(slug)


def load_topics(directory: Path) -> TopicBank:
    """Load every ``NN-slug.toml`` in ``directory`` into an ordered TopicBank."""
    if not directory.is_dir():
        raise ContentError(directory, "(directory)", "not found or not a directory")
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise ContentError(directory, "(directory)", "contains no topic files (NN-slug.toml)")
    topics: list[Topic] = []
    for path in files:
        match = _TOPIC_FILE.match(path.name)
        if match is None:
            raise ContentError(
                path, "(file name)", "must look like 03-some-slug.toml (number, dash, slug)"
            )
        data = _read_toml(path)
        if "position" in data:
            raise ContentError(path, "position", "comes from the file name; remove this key")
        try:
            topic = Topic.model_validate({**data, "position": int(match["position"])})
        except ValidationError as exc:
            raise _content_error(path, exc) from None
        if topic.slug != match["slug"]:
            raise ContentError(
                path, "slug", f"is {topic.slug!r} but the file name says {match['slug']!r}"
            )
        topics.append(topic)
    topics.sort(key=lambda topic: topic.position)
    try:
        return TopicBank(topics=tuple(topics))
    except ValidationError as exc:
        raise ContentError(
            directory, "position", "; ".join(error["msg"] for error in exc.errors())
        ) from None


# --------------------------------------------------------------------------- privacy notice

PRIVACY_FIELDS = frozenset(PrivacyRules().periods())
"""The fields the privacy notice may use: the ``[privacy]`` retention periods, in days."""


class PrivacyNotice(BaseModel):
    """What the program keeps about people, why, for how long, who sees it, and how to
    ask for a copy or erasure: shown before ``/apply form`` and by ``/privacy notice``, as
    one embed. Retention periods are rendered in, so they are the configured ones."""

    model_config = ConfigDict(frozen=True)

    title: str = Field(min_length=1, max_length=EMBED_TITLE_LIMIT)
    # Fields only ever shrink when rendered (a name of 15+ characters becomes a number of
    # at most four digits), so the template's own length is the limit.
    body: str = Field(min_length=1, max_length=EMBED_DESCRIPTION_LIMIT)

    def render(self, periods: Mapping[str, int]) -> str:
        return self.body.format(**{name: periods[name] for name in PRIVACY_FIELDS})


def load_privacy_notice(path: Path) -> PrivacyNotice:
    """Read ``# Title`` and the Markdown below it; a ContentError names what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(path, "(file)", "not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(path, "(file)", f"cannot be read: {exc}") from None
    first, _, body = text.strip().partition("\n")
    if not first.startswith("# "):
        raise ContentError(path, "title", "the first line must be the title, as `# Title`")
    try:
        used = template_fields(body)
    except ValueError as exc:
        raise ContentError(path, "body", str(exc)) from None
    unknown = used - PRIVACY_FIELDS
    if unknown:
        raise ContentError(
            path,
            "body",
            f"uses unknown field(s) {', '.join(sorted(unknown))}; "
            f"allowed: {', '.join(sorted(PRIVACY_FIELDS))}",
        )
    try:
        return PrivacyNotice(title=first[2:].strip(), body=body.strip())
    except ValidationError as exc:
        raise _content_error(path, exc) from None


# --------------------------------------------------------------------------- helpers


def pick(variants: Sequence[str], key: str) -> str:
    """Choose one wording for ``key``, the same one every time.

    Uses SHA-256 rather than ``hash()``, which is salted per process: a restarted bot must
    pick the same text for the same nudge, while different keys (say, partnership id plus
    nudge number) spread across the wordings.
    """
    if not variants:
        raise ValueError("pick() needs at least one wording")
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return variants[int.from_bytes(digest[:8], "big") % len(variants)]


def default_data_dir() -> Path:
    """The program's texts, topics and sample applicants: ``data/`` beside the package in a
    checkout, ``bot/data`` in an installed wheel (see pyproject.toml)."""
    package = Path(__file__).resolve().parent
    installed = package / "data"
    return installed if installed.is_dir() else package.parent / "data"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ContentError(path, "(file)", "not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(path, "(syntax)", f"not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(path, "(file)", f"cannot be read: {exc}") from None


def _content_error(path: Path, exc: ValidationError) -> ContentError:
    """Turn pydantic's errors into one ContentError naming the first bad field."""
    problems: list[tuple[str, str]] = []
    for error in exc.errors():
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, _TemplateProblem):
            problems.append((cause.key, str(cause).partition(": ")[2]))
            continue
        field = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"]
        value = error.get("input")
        if error["type"] in {"string_too_long", "too_long"} and hasattr(value, "__len__"):
            message += f" (got {len(value)})"
        problems.append((field, message))
    field, message = problems[0]
    if len(problems) > 1:
        message += "; also " + "; ".join(f"{f}: {m}" for f, m in problems[1:])
    return ContentError(path, field, message)
