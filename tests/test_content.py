"""The shipped content (topics, messages, sample applicants) and the loader in bot/content.py."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.content import (
    EMBED_DESCRIPTION_LIMIT,
    EMBED_FIELD_NAME_LIMIT,
    EMBED_TITLE_LIMIT,
    EMBED_TOTAL_LIMIT,
    MESSAGE_LIMIT,
    TEMPLATE_FIELDS,
    ContentError,
    Messages,
    TopicBank,
    default_data_dir,
    load_messages,
    load_topics,
    pick,
    template_fields,
)

DATA = default_data_dir()
TOPICS_DIR = DATA / "topics"
MESSAGES_PATH = DATA / "messages.toml"
APPLICANTS_PATH = DATA / "sample" / "applicants.csv"
HISTORY_PATH = DATA / "sample" / "history.csv"

APPLICANTS_HEADER = [
    "discord_id", "name", "email", "institution", "sector", "country", "timezone",
    "career_stage", "languages", "interests", "hopes", "partner_sector",
    "partner_career_stage", "partner_country", "returning_note",
    "preferred_name", "share_email", "other_contact",
]  # fmt: skip
SECTORS = {"public", "academic", "school", "special", "national", "other"}
CAREER_STAGES = {"student", "early", "mid", "late"}

# Long but realistic values for every documented field, so length checks are meaningful.
_MENTIONS = "<@100000000000000001>, <@100000000000000002> and <@100000000000000003>"
SAMPLE_FIELDS: dict[str, str] = {
    "names": "Maria Santos Dela Cruz, Diego Fernández Castro and Oyunchimeg Batsaikhan",
    "round_name": "2026A",
    "end_date": "<t:1790000000:D> (<t:1790000000:R>)",
    "mentions": _MENTIONS,
    "days": "23 days",
    "topic_title": "x" * 100,
    "silent_mention": "<@100000000000000002>",
    "member_mention": "<@100000000000000002>",
    "start": "<t:1790000000:D>",
    "end": "<t:1790900000:D>",
    "note": "Note: " + "n" * 200,
    "member_name": "Oyunchimeg Batsaikhan",
    "channel_link": "https://discord.com/channels/100000000000000000/100000000000000999",
    "partnership_name": "Oyunchimeg Batsaikhan & Diego Fernández Castro & Layla Haddad",
    "rating": "Not working for me",
    "comment": "c" * 1000,
    "days_since_contact": "35 days",
    "nudges": "3 reminders",
    "away_summary": "a" * 200,
    "role_mention": "<@&100000000000000777>",
    "close_hint": "Applications close on <t:1790000000:F> (<t:1790000000:R>).",
    "round_length": "four months",
    "starts_on": "30 September 2026",
    "contact_every": "once every ten days",
    "cadence": "fortnightly",
    "time_left": "one month",
    "hours": "<t:1790000000:t> – <t:1790000000:t>",
    "next": "<t:1790000000:R>",
    "gap": "<t:1790000000:t> – <t:1790000000:t>",
    "link": "https://discord.com/channels/100000000000000000/100000000000000999",
    "reply": "r" * 1500,
    "reason": "Partners always live in different countries, and everyone who shares a "
    "language with you this round lives in " + "x" * 100 + " too.",
    "languages": "Swahili, Zulu and Isindebele seSewula",
    "country": "the Democratic Republic of the Congo",
}

_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b50\u2b06\u2194-\u21aa]")


@pytest.fixture(scope="module")
def topics() -> TopicBank:
    return load_topics(TOPICS_DIR)


@pytest.fixture(scope="module")
def messages() -> Messages:
    return load_messages(MESSAGES_PATH)


def _all_templates(messages: Messages) -> list[tuple[str, str]]:
    found = []
    for key in TEMPLATE_FIELDS:
        for index, text in enumerate(messages.variants(key)):
            found.append((f"{key}[{index}]", text))
    return found


# --------------------------------------------------------------------------- messages


def test_messages_file_matches_the_model() -> None:
    raw = tomllib.loads(MESSAGES_PATH.read_text(encoding="utf-8"))
    in_file = {f"{section}.{key}" for section, table in raw.items() for key in table}
    assert in_file == set(TEMPLATE_FIELDS)
    model_keys = {
        f"{section}.{name}"
        for section, info in Messages.model_fields.items()
        for name in info.annotation.model_fields  # type: ignore[union-attr]
    }
    assert model_keys == set(TEMPLATE_FIELDS)


def test_field_comments_in_messages_toml_match_template_fields() -> None:
    """The human documentation ("# fields: ...") and the enforced list must agree."""
    documented: dict[str, frozenset[str]] = {}
    section, pending, continuing = "", None, False
    for line in MESSAGES_PATH.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if match := re.fullmatch(r"\[(\w+)\]", stripped):
            section = match[1]
        elif stripped.startswith("# fields:"):
            rest = stripped.removeprefix("# fields:")
            pending = set() if rest.strip() == "none" else set(re.findall(r"\{(\w+)\}", rest))
            continuing = True
        elif stripped.startswith("#") and continuing and pending is not None:
            pending |= set(re.findall(r"\{(\w+)\}", stripped))
        elif match := re.match(r"(\w+)\s*=", stripped):
            assert pending is not None, f"{section}.{match[1]} has no '# fields:' comment"
            documented[f"{section}.{match[1]}"] = frozenset(pending)
            pending, continuing = None, False
        else:
            continuing = False
    assert documented == TEMPLATE_FIELDS


def test_every_template_formats_with_its_documented_fields(messages: Messages) -> None:
    for key, text in _all_templates(messages):
        allowed = TEMPLATE_FIELDS[key.split("[")[0]]
        fields = {name: SAMPLE_FIELDS[name] for name in allowed}
        rendered = text.format(**fields)
        assert "{" not in rendered and "}" not in rendered, key
        assert template_fields(text) <= allowed, key


def test_templates_use_the_important_fields(messages: Messages) -> None:
    """Wordings may leave a field out, but not the ones that make the message make sense."""
    must_use = {
        "intro.header": {"names", "end_date"},
        "nudge.quiet": {"mentions", "days"},
        "intro.call_hours": {"hours", "days", "next"},
        "intro.no_call_hours": {"gap"},
        "guidelines.body": {"contact_every"},
        "nudge.one_sided": {"silent_mention"},
        "away.noted": {"member_mention", "start", "end", "note"},
        "away.welcome_back": {"member_mention"},
        "availability.ask": {"mentions"},
        "checkin.prompt": {"mentions"},
        "checkin.dm": {"member_name", "channel_link"},
        "checkin.coordinator_alert": {"member_name", "partnership_name", "rating", "comment"},
        "coordinator.escalation": {"partnership_name", "days_since_contact", "away_summary"},
        "coordinator.partner_left": {"member_name", "partnership_name"},
        "end.reminder": {"mentions", "time_left", "end_date"},
        "end.closing": {"mentions"},
        "round.applications_open": {
            "role_mention",
            "round_name",
            "round_length",
            "starts_on",
            "close_hint",
        },
        "topic.in_space": {"mentions"},
        "topic.cohort_link": {"link"},
        "cases.reply": {"reply"},
        "outreach.unmatched": {"round_name", "reason"},
        "outreach.reason_language": {"languages"},
        "outreach.reason_country": {"country"},
        "pairs.ended": {"mentions"},
    }
    for key, needed in must_use.items():
        for index, text in enumerate(messages.variants(key)):
            assert needed <= template_fields(text), f"{key}[{index}]"


def test_rendered_messages_fit_discord(messages: Messages) -> None:
    for key, text in _all_templates(messages):
        fields = {name: SAMPLE_FIELDS[name] for name in TEMPLATE_FIELDS[key.split("[")[0]]}
        assert len(text) <= 1800, key
        assert len(text.format(**fields)) <= MESSAGE_LIMIT, key
    guidelines = messages.guidelines
    assert len(guidelines.title) <= EMBED_TITLE_LIMIT
    assert len(guidelines.body) <= 1500 <= EMBED_DESCRIPTION_LIMIT
    assert len(guidelines.title) + len(guidelines.body) <= EMBED_TOTAL_LIMIT
    assert len(messages.intro.why_matched_title) <= EMBED_FIELD_NAME_LIMIT


def test_at_most_one_emoji_per_message(messages: Messages) -> None:
    for key, text in _all_templates(messages):
        assert len(_EMOJI.findall(text)) <= 1, key


def test_variant_lists_are_distinct(messages: Messages) -> None:
    for key in ("nudge.quiet", "nudge.one_sided", "away.welcome_back", "availability.ask"):
        variants = messages.variants(key)
        assert len(set(variants)) == len(variants), key
    assert len(messages.nudge.quiet) >= 4
    assert len(messages.nudge.one_sided) >= 3
    assert len(messages.away.welcome_back) >= 2
    assert len(messages.availability.ask) >= 3


def test_guidelines_cover_the_program_tips(messages: Messages) -> None:
    body = messages.guidelines.body.lower()
    for phrase in ("{contact_every}", "video call", "email", "social media", "holidays"):
        assert phrase in body, phrase


def test_messages_text_rejects_unknown_keys(messages: Messages) -> None:
    assert messages.text("end.closing") == messages.end.closing
    with pytest.raises(KeyError):
        messages.text("end.nonexistent")
    with pytest.raises(KeyError):
        messages.text("nope.closing")


def _write_messages(tmp_path: Path, replace: str, by: str) -> Path:
    text = MESSAGES_PATH.read_text(encoding="utf-8")
    assert replace in text
    path = tmp_path / "messages.toml"
    path.write_text(text.replace(replace, by, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("replace", "by", "field", "problem"),
    [
        ("{days} since we last", "{dayz} since we last", "nudge.quiet[0]", "dayz"),
        ("{days} since we last", "{days since we last", "nudge.quiet[0]", "{"),
        ("{days} since we last", "{} since we last", "nudge.quiet[0]", "plain"),
        ("{days} since we last", "{days:>3} since we last", "nudge.quiet[0]", "spec"),
        ('thanks = "Thank you', 'thanks = "{name} Thank you', "checkin.thanks", "no fields"),
        ("[round]", "[rounds]", "round", "required"),
        (
            'applications_open = """',
            'applications_opened = """',
            "round.applications_open",
            "round.applications_opened: extra inputs",
        ),
    ],
)
def test_load_messages_names_the_bad_key(
    tmp_path: Path, replace: str, by: str, field: str, problem: str
) -> None:
    path = _write_messages(tmp_path, replace, by)
    with pytest.raises(ContentError) as caught:
        load_messages(path)
    assert caught.value.source == path
    assert caught.value.field == field
    assert problem.lower() in caught.value.problem.lower()
    assert str(path) in str(caught.value)


def test_load_messages_rejects_too_long_and_too_few(tmp_path: Path) -> None:
    path = _write_messages(tmp_path, 'archived_note = "', 'archived_note = "' + "x" * 1801)
    with pytest.raises(ContentError, match=r"end\.archived_note: is 1\d{3} characters"):
        load_messages(path)
    raw = tomllib.loads(MESSAGES_PATH.read_text(encoding="utf-8"))
    raw["nudge"]["quiet"] = raw["nudge"]["quiet"][:2]
    with pytest.raises(ValueError, match="at least 4"):
        Messages.model_validate(raw)


def test_load_messages_reports_bad_toml_and_missing_file(tmp_path: Path) -> None:
    broken = tmp_path / "messages.toml"
    broken.write_text("[nudge\nquiet = 1\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_messages(broken)
    assert caught.value.field == "(syntax)"
    with pytest.raises(ContentError, match="not found"):
        load_messages(tmp_path / "absent.toml")


# --------------------------------------------------------------------------- topics


def test_topics_fit_any_schedule_and_any_place(topics: TopicBank) -> None:
    """The schedule comes from the config and each place adds its own line (the space
    links to the cohort thread, the thread welcomes everyone), so no topic says either."""
    for topic in topics.topics:
        text = topic.description().lower()
        for phrase in ("fortnight", "two weeks", "four months", "month", "cohort thread"):
            assert phrase not in text, (topic.slug, phrase)
        assert "not in a partnership" not in text, topic.slug


def test_topics_cover_a_four_month_round(topics: TopicBank) -> None:
    assert 8 <= len(topics) <= 10  # one every 14 days for about four months
    assert [topic.position for topic in topics.topics] == list(range(1, len(topics) + 1))
    assert len({topic.slug for topic in topics.topics}) == len(topics)
    assert len({topic.title for topic in topics.topics}) == len(topics)
    files = sorted(path.name for path in TOPICS_DIR.glob("*.toml"))
    assert files == [f"{t.position:02d}-{t.slug}.toml" for t in topics.topics]


def test_first_topic_is_getting_to_know_you(topics: TopicBank) -> None:
    first = topics.first
    assert first.slug == "getting-to-know-you"
    assert first.title == "Getting to know you"
    assert topics.at(1) is first
    assert topics.by_slug("getting-to-know-you") is first
    text = first.description().lower()
    assert "#welcometomydesk" in text
    for idea in ("career", "jargon", "photo", "how often", "differently"):
        assert idea in text, idea


def test_last_topic_looks_back_and_ahead(topics: TopicBank) -> None:
    assert "keep in touch" in topics.at(len(topics)).description().lower()


def test_topic_fields_within_limits(topics: TopicBank) -> None:
    for topic in topics.topics:
        assert len(topic.summary) <= 200, topic.slug
        assert len(topic.body) <= 1200, topic.slug
        assert 3 <= len(topic.prompts) <= 6, topic.slug
        assert all(len(prompt) <= 300 for prompt in topic.prompts), topic.slug
        assert all(tag.startswith("#") for tag in topic.hashtags)


def test_topics_fit_one_discord_embed(topics: TopicBank) -> None:
    for topic in topics.topics:
        title = f"Topic {topic.position} of {len(topics)}: {topic.title}"
        description = topic.description()
        footer = topic.summary
        assert len(title) <= EMBED_TITLE_LIMIT, topic.slug
        assert len(description) <= EMBED_DESCRIPTION_LIMIT, topic.slug
        assert len(title) + len(description) + len(footer) <= EMBED_TOTAL_LIMIT, topic.slug


def test_topic_lookup_errors(topics: TopicBank) -> None:
    with pytest.raises(IndexError):
        topics.at(0)
    with pytest.raises(IndexError):
        topics.at(len(topics) + 1)
    with pytest.raises(KeyError):
        topics.by_slug("no-such-topic")


def _copy_topics(tmp_path: Path) -> Path:
    target = tmp_path / "topics"
    target.mkdir()
    for path in TOPICS_DIR.glob("*.toml"):
        (target / path.name).write_bytes(path.read_bytes())
    return target


def test_load_topics_names_file_and_field_for_long_body(tmp_path: Path) -> None:
    directory = _copy_topics(tmp_path)
    path = directory / "03-learning-and-growing.toml"
    raw = path.read_text(encoding="utf-8")
    path.write_text(raw.replace('body = """', 'body = """' + "x" * 1300, 1), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_topics(directory)
    assert caught.value.source == path
    assert caught.value.field == "body"
    assert "1200" in caught.value.problem
    assert "03-learning-and-growing.toml: body:" in str(caught.value)


def test_load_topics_names_the_prompt(tmp_path: Path) -> None:
    directory = _copy_topics(tmp_path)
    path = directory / "02-a-day-in-the-life.toml"
    raw = path.read_text(encoding="utf-8")
    path.write_text(raw.replace("prompts = [\n", 'prompts = [\n"' + "p" * 301 + '",\n'), "utf-8")
    with pytest.raises(ContentError) as caught:
        load_topics(directory)
    assert caught.value.field == "prompts.0"


@pytest.mark.parametrize(
    ("name", "content", "field"),
    [
        ("05-speaking-up-for-libraries.toml", 'slug = "broken\n', "(syntax)"),
        ("05-speaking-up-for-libraries.toml", 'slug = "speaking-up-for-libraries"\n', "title"),
        ("05-speaking-up-for-libraries.toml", 'slug = "other-slug"\n', "slug"),
        ("extra.toml", "", "(file name)"),
    ],
)
def test_load_topics_bad_files(tmp_path: Path, name: str, content: str, field: str) -> None:
    directory = _copy_topics(tmp_path)
    source = TOPICS_DIR / name
    if source.exists() and field in {"slug", "position"}:
        rest = source.read_text(encoding="utf-8").split("\n", 1)[1]
        content += rest
    (directory / name).write_text(content, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_topics(directory)
    assert caught.value.source == directory / name
    assert caught.value.field == field


def test_load_topics_rejects_position_key_gaps_and_empty_dirs(tmp_path: Path) -> None:
    directory = _copy_topics(tmp_path)
    path = directory / "04-technology-and-change.toml"
    path.write_text("position = 4\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ContentError, match="file name"):
        load_topics(directory)
    path.unlink()
    with pytest.raises(ContentError) as caught:
        load_topics(directory)
    assert caught.value.field == "position"
    assert caught.value.source == directory
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ContentError, match="no topic files"):
        load_topics(empty)
    with pytest.raises(ContentError, match="not found"):
        load_topics(tmp_path / "missing")


# --------------------------------------------------------------------------- pick


def test_pick_is_deterministic_and_spreads() -> None:
    variants = ["a", "b", "c", "d"]
    assert pick(variants, "partnership:7:quiet:1") == pick(variants, "partnership:7:quiet:1")
    chosen = Counter(pick(variants, f"partnership:{n}:quiet:1") for n in range(200))
    assert set(chosen) == set(variants)
    assert min(chosen.values()) >= 20
    assert pick(("only",), "anything") == "only"
    with pytest.raises(ValueError):
        pick([], "key")


def test_pick_does_not_depend_on_python_hash_seed() -> None:
    code = (
        "from bot.content import pick;print(','.join(pick('abcdefg', f'k{i}') for i in range(30)))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=DATA.parent,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
    assert outputs.pop().strip() == ",".join(pick("abcdefg", f"k{i}") for i in range(30))


def test_pick_across_shipped_nudges(messages: Messages) -> None:
    quiet = messages.nudge.quiet
    seen = {pick(quiet, f"{pid}:quiet:{n}") for pid in range(20) for n in range(3)}
    assert len(seen) >= 3


# --------------------------------------------------------------------------- sample data


def _applicants() -> list[dict[str, str]]:
    with APPLICANTS_PATH.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_applicants_header_is_exact() -> None:
    with APPLICANTS_PATH.open(encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == APPLICANTS_HEADER


def test_applicants_are_varied_and_well_formed() -> None:
    rows = _applicants()
    assert len(rows) >= 40
    assert len({row["country"] for row in rows}) >= 15
    assert {row["sector"] for row in rows} == SECTORS
    assert {row["career_stage"] for row in rows} == CAREER_STAGES
    ids = [int(row["discord_id"]) for row in rows]
    assert len(set(ids)) == len(ids)
    assert all(10**17 < i < 10**17 + 1000 for i in ids)  # 18 digits: 100000000000000000 + i
    assert len({row["email"] for row in rows}) == len(rows)
    for row in rows:
        name = row["name"]
        assert all(row[column].strip() for column in APPLICANTS_HEADER[:14]), name
        assert row["email"].endswith("@example.org"), name
        assert re.fullmatch(r"[A-Z]{2}", row["country"]), name
        ZoneInfo(row["timezone"])
        assert all(re.fullmatch(r"[a-z]{2}", code) for code in row["languages"].split(";"))
        assert all(i == i.strip().lower() and i for i in row["interests"].split(";")), name
        for column, allowed in (
            ("partner_sector", SECTORS),
            ("partner_career_stage", CAREER_STAGES),
        ):
            assert row[column] == "any" or set(row[column].split(";")) <= allowed, name
        assert row["partner_country"] == "any" or all(
            re.fullmatch(r"[A-Z]{2}", code) for code in row["partner_country"].split(";")
        ), name
    multilingual = [row for row in rows if ";" in row["languages"]]
    assert len(multilingual) >= 15
    interests = Counter(i for row in rows for i in row["interests"].split(";"))
    assert sum(1 for count in interests.values() if count >= 3) >= 8  # they overlap
    assert sum(row["partner_country"] != "any" for row in rows) >= 3
    assert sum(row["partner_sector"] == "any" for row in rows) >= 3


def test_sample_has_a_hard_to_match_applicant() -> None:
    """Someone whose languages are shared only by people in their own country."""
    rows = _applicants()

    def isolated(row: dict[str, str]) -> bool:
        own = set(row["languages"].split(";"))
        return all(
            not own & set(other["languages"].split(";"))
            for other in rows
            if other["country"] != row["country"]
        )

    assert any(isolated(row) for row in rows)


def test_history_pairs_returning_participants() -> None:
    rows = _applicants()
    returning = {int(row["discord_id"]) for row in rows if row["returning_note"].strip()}
    assert 5 <= len(returning) <= 8
    with HISTORY_PATH.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["round", "member_a", "member_b"]
        history = list(reader)
    assert history
    for entry in history:
        assert re.fullmatch(r"\d{4}[AB]", entry["round"])
        a, b = int(entry["member_a"]), int(entry["member_b"])
        assert a != b and {a, b} <= returning
    assert {int(e[m]) for e in history for m in ("member_a", "member_b")} == returning


def test_default_data_dir_points_at_repo_data() -> None:
    assert DATA.name == "data"
    assert (DATA / "messages.toml").is_file()
    assert (DATA.parent / "bot" / "content.py").is_file()
