"""`iln-bot simulate`: the whole round offline, checked through its JSON timeline and the
database it keeps with ``--db``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import dataclasses
import io
import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli import simulate as simulate_command
from bot.services.contact import ContactPlanner
from bot.services.contact.recording import ContactHeard
from bot.simulation.runner import Summary
from bot.store import Store
from bot.store.models import AwayRecord, Partnership, RoundTopic

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
REQUIRED_KINDS = {
    "round_started",
    "space_created",
    "intro_posted",
    "topic_posted",
    "cohort_thread_opened",
    "end_reminder_posted",
    "round_closed",
    "nudge_posted",
    "coordinator_alerted",
    "away_noted",
    "welcome_back_posted",
    "closing_posted",
    "space_archived",
    "space_kept_open",
    "unmatched",
    "event_planned",
    "event_created",
    "event_scheduled",
    "event_reminder_sent",
    "event_started",
    "event_ended",
    "desk_shared",
    "desk_welcomed",
    "desk_featured",
    "unmatched_told",
    "unmatched_answered",
    "case_opened",
    "case_taken",
    "case_follow_up",
    "case_handled",
    "digest_posted",
}
SILENT_ROLES = {"quiet", "quiet_resumes", "one_sided"}


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    simulate_command.register(parser.add_subparsers())
    args = parser.parse_args(["simulate", *argv])
    return int(args.handler(args))


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str
    partnership: int | None
    detail: str


@dataclass(frozen=True)
class SampleRun:
    lines: list[str]
    events: list[Event]
    summary: dict[str, Any]  # the last line
    seconds: float
    partnerships: list[Partnership]
    topics: list[RoundTopic]
    away: list[AwayRecord]

    def of(self, kind: str) -> list[Event]:
        return [event for event in self.events if event.kind == kind]


async def _read_store(path: Path) -> tuple[list[Partnership], list[RoundTopic], list[AwayRecord]]:
    store = await Store.open(path, migrate=False)
    try:
        round_ = next(r for r in await store.rounds.all() if r.name == "2027A")
        partnerships = await store.partnerships.for_round(round_.id)
        members = [m for p in partnerships for m in p.member_ids]
        away = await store.activity.away_periods(members, datetime(2000, 1, 1, tzinfo=UTC))
        return partnerships, await store.topics.for_round(round_.id), away
    finally:
        await store.close()


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleRun:
    """The README's command once for the whole module, keeping its database."""
    db = tmp_path_factory.mktemp("simulation") / "kept.sqlite3"
    out = io.StringIO()
    began = time.perf_counter()
    with contextlib.redirect_stdout(out):
        assert run(["--json", "--db", str(db)]) == 0
    seconds = time.perf_counter() - began
    lines = out.getvalue().splitlines()
    events = [_event(json.loads(line)) for line in lines[:-1]]
    summary = json.loads(lines[-1])
    partnerships, topics, away = asyncio.run(_read_store(db))
    return SampleRun(lines, events, summary, seconds, partnerships, topics, away)


def _event(raw: dict[str, Any]) -> Event:
    assert set(raw) == {"at", "kind", "partnership", "detail"}
    at = datetime.fromisoformat(raw["at"])
    assert at.utcoffset() == timedelta(0), "times carry their UTC offset"
    return Event(at, raw["kind"], raw["partnership"], raw["detail"])


def test_the_sample_round_runs_fast_and_prints_only_json(sample: SampleRun) -> None:
    assert sample.seconds < 30
    assert sample.summary["kind"] == "summary"
    assert datetime.fromisoformat(sample.summary["at"]) == sample.events[-1].at
    times = [event.at for event in sample.events]
    assert times == sorted(times), "the timeline is in time order"


def test_moving_looks_on_contact_changes_no_post_only_the_wake_ups(
    sample: SampleRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The contact planner moves a pair's look on when its partners write; with every look
    kept where it was (as before that), the round must read exactly the same."""
    heard = ContactPlanner._heard

    def without_moving(planner: ContactPlanner, contact: ContactHeard) -> None:
        planner._in_touch.pop(contact.partnership_id, None)
        heard(planner, contact)

    monkeypatch.setattr(ContactPlanner, "_heard", without_moving)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert run(["--json"]) == 0
    lines = out.getvalue().splitlines()
    assert lines[:-1] == sample.lines[:-1]
    unmoved, moved = json.loads(lines[-1])["summary"], sample.summary["summary"]
    assert unmoved["wakeups"] > moved["wakeups"]
    assert {**unmoved, "wakeups": 0} == {**moved, "wakeups": 0}


def test_every_kind_of_event_appears(sample: SampleRun) -> None:
    missing = REQUIRED_KINDS - {event.kind for event in sample.events}
    assert not missing
    # With the program's schedule the check-ins and availability asks ride on topics.
    topics = [event.detail for event in sample.of("topic_posted")]
    assert any("with the availability ask" in detail for detail in topics)
    assert any("the check-in" in detail for detail in topics)


def test_live_discussions_are_reminded_once_each_and_desks_featured_once_each(
    sample: SampleRun,
) -> None:
    reminders = [
        (e.detail.split(" starts ")[0], "tomorrow" in e.detail)
        for e in sample.of("event_reminder_sent")
    ]
    assert len(reminders) == len(set(reminders)) >= 3
    assert len(sample.of("event_started")) == len(sample.of("event_scheduled"))
    featured = [e.detail.split("'s workspace")[0] for e in sample.of("desk_featured")]
    assert featured and len(featured) == len(set(featured))
    consented = {e.detail.split(":")[0] for e in sample.of("desk_consented")}
    assert {name.split("**: ")[1] for name in featured} <= consented
    figures = sample.summary["summary"]
    assert figures["events_scheduled"] == 3 and figures["desks_shared"] == 6
    assert figures["posts"]["event_reminder_sent"] == len(sample.of("event_reminder_sent"))


def test_each_space_gets_one_intro_and_every_topic_once(sample: SampleRun) -> None:
    titles = [f"Topic {t.position}: {t.title}" for t in sample.topics]
    assert len(titles) == 9
    intros = Counter(event.partnership for event in sample.of("intro_posted"))
    topics = defaultdict(list)
    for event in sample.of("topic_posted"):
        topics[event.partnership].append(_topic_title(event.detail))
    assert len(sample.partnerships) == 19
    for partnership in sample.partnerships:
        assert intros[partnership.id] == 1
        assert sorted(topics[partnership.id]) == sorted(titles)


def test_each_cohort_thread_opens_once_before_any_space_gets_its_topic(sample: SampleRun) -> None:
    threads = Counter(event.detail for event in sample.of("cohort_thread_opened"))
    assert set(threads.values()) == {1}
    # Both fall due in the same wake-up; the thread goes first so every topic links to it.
    opened = {
        event.detail: index
        for index, event in enumerate(sample.events)
        if event.kind == "cohort_thread_opened"
    }
    for index, event in enumerate(sample.events):
        if event.kind == "topic_posted":
            assert opened[_topic_title(event.detail)] < index


def _topic_title(detail: str) -> str:
    """``Topic 2: A day in the life`` of ``Topic 2: A day in the life (with the check-in)``."""
    return detail.split(" (with the ")[0]


def test_nudges_go_only_to_silent_pairs_and_never_while_someone_is_away(
    sample: SampleRun,
) -> None:
    roles = {event.partnership: event.detail.split(":")[0] for event in sample.of("scripted")}
    assert sample.away, "the script records time away"
    nudges = sample.of("nudge_posted")
    assert nudges
    members = {p.id: set(p.member_ids) for p in sample.partnerships}
    for nudge in nudges:
        assert roles[nudge.partnership] in SILENT_ROLES
        for period in sample.away:
            if period.participant_id in members[nudge.partnership]:
                assert not period.starts_at <= nudge.at < period.ends_at
    nudged = {event.partnership for event in nudges}
    assert nudged == {pid for pid, role in roles.items() if role in SILENT_ROLES}
    escalated = {event.partnership for event in sample.of("coordinator_alerted")}
    assert nudged <= escalated, "unanswered nudges reach the coordinators"


def test_every_case_is_handled_by_the_scripted_coordinator(sample: SampleRun) -> None:
    opened = sample.of("case_opened")
    handled = sample.of("case_handled")
    escalated = {event.partnership for event in sample.of("coordinator_alerted")}
    assert escalated <= {event.partnership for event in opened}, "every alert has its case"
    assert len(opened) == len({event.detail for event in opened}), "one case per pair"
    assert len(handled) == len(opened) + len(sample.of("case_reopened"))
    for case in opened:
        [first] = [e for e in handled if e.detail == case.detail][:1]
        assert first.at - case.at == timedelta(days=1)
    figures = sample.summary["summary"]
    assert figures["cases_opened"] == len(opened)
    assert figures["cases_handled"] == len(handled)
    told = sample.of("unmatched_told")
    assert len(told) == len(sample.of("unmatched")) == 2
    assert figures["unmatched_answers"] == {"keep": 1, "talk": 1}


def test_the_away_pair_hears_about_it_and_is_welcomed_back(sample: SampleRun) -> None:
    (period,) = sample.away
    (noted,) = sample.of("away_noted")
    (back,) = sample.of("welcome_back_posted")
    assert noted.partnership == back.partnership
    assert noted.at < period.starts_at and period.ends_at <= back.at


def test_the_end_reminder_comes_thirty_days_before_the_close(sample: SampleRun) -> None:
    closing = {event.partnership: event.at for event in sample.of("closing_posted")}
    reminders = sample.of("end_reminder_posted")
    assert len(reminders) == len(sample.partnerships)
    for reminder in reminders:
        assert closing[reminder.partnership] - reminder.at == timedelta(days=30)


def test_every_space_closes_and_stays_open_only_when_both_keep_in_touch(
    sample: SampleRun,
) -> None:
    kept = {event.partnership for event in sample.of("space_kept_open")}
    archived = {event.partnership for event in sample.of("space_archived")}
    assert kept and archived and not kept & archived
    closing = {event.partnership: event.at for event in sample.of("closing_posted")}
    for event in [*sample.of("space_kept_open"), *sample.of("space_archived")]:
        assert closing[event.partnership] <= event.at
    for partnership in sample.partnerships:
        assert partnership.state == "ended"
        choices = {m.end_choice for m in partnership.members}
        assert (partnership.id in kept) == (choices == {"keep_in_touch"})
        assert partnership.id in kept | archived
    assert sample.events[-1].kind == "round_closed"


def test_no_returning_participant_meets_a_past_partner_again(sample: SampleRun) -> None:
    with (SAMPLE / "history.csv").open(encoding="utf-8") as history:
        past = {
            frozenset((int(r["member_a"]), int(r["member_b"]))) for r in csv.DictReader(history)
        }
    pairs = {frozenset(p.member_ids) for p in sample.partnerships}
    returning = {member for pair in past for member in pair} & {
        m for p in sample.partnerships for m in p.member_ids
    }
    assert returning, "the sample has returning participants"
    assert not pairs & past


def test_a_small_round_from_a_custom_csv_and_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = (SAMPLE / "applicants.csv").read_text(encoding="utf-8").splitlines()
    applicants = tmp_path / "applicants.csv"
    applicants.write_text("\n".join(rows[:9]) + "\n", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        '[discord]\nguild_id = 5\ncoordinator_role = "Coordinators"\n\n[round]\nround_weeks = 6\n',
        encoding="utf-8",
    )
    status = run(
        ["--applicants", str(applicants), "--config", str(config), "--start", "2028-01-10"]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "2028-01-10 to 2028-02-21" in out
    assert "Topic 3 “" in out and "Topic 4" not in out
    assert "Round closed:" in out and "seconds of wall time" in out
    assert out.splitlines()[:2] == [
        "Round 2028A, times in UTC (program.timezone)",
        "Mon 20 Dec 09:00  Round created: 2028A: 2028-01-10 to 2028-02-21",
    ]


def test_a_bad_csv_lists_its_problems_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = (SAMPLE / "applicants.csv").read_text(encoding="utf-8").splitlines()
    broken = rows[1].replace("academic", "spaceship", 1)
    applicants = tmp_path / "applicants.csv"
    applicants.write_text("\n".join([rows[0], broken, *rows[2:5]]) + "\n", encoding="utf-8")
    status = run(["--json", "--applicants", str(applicants)])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert "applicants file has problems" in captured.err
    assert "row 2" in captured.err or "spaceship" in captured.err


def test_an_existing_database_file_is_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "iln.sqlite3"
    existing.write_bytes(b"precious")
    assert run(["--db", str(existing)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert existing.read_bytes() == b"precious"


def test_json_carries_whole_texts_and_a_structured_summary(sample: SampleRun) -> None:
    details = [event.detail for event in sample.events]
    assert not any(detail.endswith(("...", "…")) for detail in details), "nothing is cut"
    assert min(len(event.detail) for event in sample.of("intro_posted")) > 200
    line = sample.summary
    assert set(line) == {"at", "kind", "round", "timezone", "summary", "wall_seconds", "report"}
    assert line["round"] == {"name": "2027A", "starts_on": "2027-03-01", "ends_on": "2027-07-01"}
    assert line["timezone"] == "UTC" and line["report"] == []
    assert isinstance(line["wall_seconds"], float)
    figures = line["summary"]
    assert set(figures) == {item.name for item in dataclasses.fields(Summary)}
    assert figures["applicants"] == 40 and figures["pairs"] == len(sample.partnerships)
    assert [set(person) for person in figures["unmatched"]] == [{"name", "reasons"}] * 2
    assert all(isinstance(person["reasons"], list) for person in figures["unmatched"])
    for kind, count in figures["posts"].items():
        assert count == len(sample.of(kind)), kind
    assert figures["kept_open"] == len(sample.of("space_kept_open"))
    assert sum(figures["checkin_answers"].values()) == len(sample.of("checkin_answered"))
