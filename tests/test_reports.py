"""Round reports offline: the spreadsheet-safe CSV writer, the chart data, every chart of
a 300-pair round, the CSV exports with hostile names, the audit pages and iln-bot report."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import discord
import pytest

from bot.cli.main import main
from bot.domain.applications import parse_applications_csv
from bot.domain.spreadsheet import FORMULA_TRIGGERS, csv_text, safe_cell
from bot.reports import figures as fig
from bot.reports.figures import ROWS_PER_PAGE
from bot.services.errors import UserFacingError
from bot.services.reports import (
    AUDIT_PAGE_SIZE,
    EXPORTS,
    MAX_ATTACHMENTS,
    AuditView,
    Headline,
    heatmap_pages_shown,
    offline_reports,
    write_report,
)
from bot.store import Store
from bot.store.models import AuditEntry, Round, RoundState
from tests.report_data import HOSTILE, assert_drawn, report_moment, synthetic_round

OTHER_CHARTS = ["contact-overview.png", "checkins.png", "nudges.png", "match-quality.png"]

# The spreadsheet-safe writer ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+1", "'+1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2", "'-2"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("  =1+1", "'  =1+1"),
        ("Siobhán Ní Bhriain", "Siobhán Ní Bhriain"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (-2, -2),
        (3.5, 3.5),
        (True, "yes"),
        (date(2027, 3, 1), "2027-03-01"),
        (datetime(2027, 3, 1, 9, tzinfo=UTC), "2027-03-01T09:00:00+00:00"),
    ],
)
def test_safe_cell(value: object, written: object) -> None:
    assert safe_cell(value) == written  # type: ignore[arg-type]


def test_csv_text_round_trips_and_refuses_ragged_rows() -> None:
    text = csv_text(("name", "n"), [("=1+1", -2), ('say "hi",\nthen go', 1.5)])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["name", "n"], ["'=1+1", "-2"], ['say "hi",\nthen go', "1.5"]]
    with pytest.raises(ValueError, match="row 1 has 1 cells"):
        csv_text(("a", "b"), [("only one",)])


# Chart data ------------------------------------------------------------------------------------


def test_contact_weeks_count_distinct_days_and_blank_the_weeks_outside_a_pair() -> None:
    starts = fig.week_starts(date(2027, 3, 1), date(2027, 3, 28))
    assert len(starts) == 4
    days = [date(2027, 3, 1), date(2027, 3, 1), date(2027, 3, 3), date(2027, 3, 9)]
    weeks = fig.contact_weeks(starts, days, date(2027, 3, 1), date(2027, 3, 16))
    assert weeks == (2, 1, 0, fig.NOT_COUNTED)
    late = fig.contact_weeks(starts, [], date(2027, 3, 10), date(2027, 3, 28))
    assert late == (fig.NOT_COUNTED, 0, 0, 0)


def test_checkins_stack_by_month_and_events_bin_by_fortnight() -> None:
    first, last = date(2027, 3, 1), date(2027, 6, 30)
    answers = [
        (datetime(2027, 3, 30, tzinfo=UTC), "great"),
        (datetime(2027, 4, 2, tzinfo=UTC), "ok"),
        (datetime(2027, 4, 3, tzinfo=UTC), "not_working"),
        (datetime(2027, 7, 2, tzinfo=UTC), "great"),  # after the round: its last month
    ]
    months = fig.checkin_months(first, last, answers)
    assert [m.month for m in months.months] == [3, 4, 5, 6]
    assert months.counts == {
        "great": (1, 0, 0, 1),
        "ok": (0, 1, 0, 0),
        "not_working": (0, 1, 0, 0),
    }
    counted = fig.fortnight_counts(
        first,
        last,
        {
            "nudges": [datetime(2027, 3, 14, tzinfo=UTC)],
            "escalations": [datetime(2027, 3, 15, tzinfo=UTC)],
        },
    )
    assert counted.series["nudges"][:2] == (1, 0)
    assert counted.series["escalations"][:2] == (0, 1)


def test_shared_hours_follow_the_matchers_working_day() -> None:
    assert fig.shared_hours(["Europe/London", "Europe/Dublin"], date(2027, 3, 1)) == 8
    assert fig.shared_hours(["Europe/London", "Asia/Tokyo"], date(2027, 3, 1)) == 0
    assert fig.shared_hours(["Europe/London", "Nowhere/Atlantis"], date(2027, 3, 1)) is None
    assert fig.shared_hours(["Europe/London"], date(2027, 3, 1)) is None


# The whole report ------------------------------------------------------------------------------


@pytest.fixture
async def store(tmp_path: Path) -> Store:
    opened = await Store.open(tmp_path / "iln.sqlite3")
    yield opened
    await opened.close()


async def test_every_chart_of_a_300_pair_round_is_drawn(store: Store, tmp_path: Path) -> None:
    round_ = await synthetic_round(store, 300)
    service = offline_reports(store, report_moment(10))
    report = await service.build(round_)
    assert len(report.figures.contact.rows) == 300
    # The riskiest pairs come first, by the same risk /pair health shows.
    health = (await service.read(round_)).health
    risks = [health[row.partnership_id].risk for row in report.figures.contact.rows]
    assert risks == sorted(risks, reverse=True) and risks[0] > risks[-1]
    overview = report.figures.contact.overview()
    assert sum(counts[0] for counts in overview.values()) == 300  # every pair counted
    # Offline: every pair on a heatmap page of 50, and the four other charts.
    written = await write_report(store, round_.id, tmp_path, now=report_moment(10))
    pngs = [path.name for path in written if path.suffix == ".png"]
    assert pngs == [f"contact-heatmap-{n}.png" for n in range(1, 7)] + OTHER_CHARTS
    assert 6 * ROWS_PER_PAGE == 300
    for name in pngs:
        assert_drawn((tmp_path / name).read_bytes())
    # In Discord (drawn by the end-to-end test): the 100 riskiest by name, beside the
    # overview, in one message.
    assert heatmap_pages_shown(300) == 2 and 2 + len(OTHER_CHARTS) <= MAX_ATTACHMENTS
    headline = report.headline
    assert headline.partnerships == 300 and headline.ended_early == 12
    assert sum(headline.checkin_answers.values()) > 0 and headline.feedback_count > 0
    assert headline.feedback_mean is not None and 1 <= headline.feedback_mean <= 5


async def test_the_embed_of_a_1000_pair_round_fits_discord_and_says_what_is_shown(
    store: Store,
) -> None:
    from cogs.reports import report_embed

    round_ = await synthetic_round(store, 1000, weeks=4)
    report = await offline_reports(store, report_moment(4)).build(round_)
    assert len(report.figures.contact.rows) == 1000
    embed = report_embed(report.headline, report.pairs)
    assert "name the 100 pairs most at risk of 1000" in (embed.footer.text or "")
    assert len(embed) <= 6000 and len(embed.fields) <= 25


async def test_exports_parse_back_with_their_columns_and_no_formula_cell(
    store: Store, tmp_path: Path
) -> None:
    round_ = await synthetic_round(store, 30, hostile=True)
    written = await write_report(store, round_.id, tmp_path / "out", now=report_moment(10))
    pngs = [path for path in written if path.suffix == ".png"]
    assert len(pngs) == 5
    for path in pngs:
        assert_drawn(path.read_bytes())
    seen: set[str] = set()
    for key, export in EXPORTS.items():
        path = tmp_path / "out" / f"2027A-{key}.csv"
        assert path in written
        rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
        assert tuple(rows[0]) == export.columns
        assert len(rows) > 1
        for row in rows[1:]:
            assert len(row) == len(export.columns)
            for cell in row:
                seen.add(cell)
                assert not cell.lstrip(" \n").startswith(FORMULA_TRIGGERS), (key, cell)
    for hostile in HOSTILE:
        assert any(hostile.strip() in cell for cell in seen), hostile
    partnerships = list(
        csv.DictReader(
            io.StringIO((tmp_path / "out" / "2027A-partnerships.csv").read_text("utf-8-sig"))
        )
    )
    assert float(partnerships[0]["match_score"]) > 0  # numbers stay numbers
    assert {row["label"] for row in partnerships} >= {"at risk", "ok"}
    # The applications export has the import's columns: it can be edited and imported again.
    text = (tmp_path / "out" / "2027A-applications.csv").read_bytes().decode("utf-8-sig")
    assert len(parse_applications_csv(text)) == 60


async def test_audit_pages_newest_first_and_clamps_the_page(store: Store) -> None:
    service = offline_reports(store, report_moment(0))
    start = datetime(2027, 3, 1, tzinfo=UTC)
    for number in range(23):
        actor = 7 if number % 2 else 8
        await store.coordination.audit(
            actor, "round.create", {"n": number}, start + timedelta(hours=number)
        )
    first = await service.audit(actor_id=None, since=None, page=0)
    assert (first.pages, first.total, len(first.entries)) == (3, 23, AUDIT_PAGE_SIZE)
    assert first.entries[0].detail == {"n": 22}
    last = await service.audit(actor_id=None, since=None, page=99)
    assert last.page == 2 and len(last.entries) == 3
    mine = await service.audit(actor_id=7, since=date(2027, 3, 1), page=0)
    assert mine.total == 11 and all(e.actor_id == 7 for e in mine.entries)
    later = await service.audit(actor_id=None, since=date(2027, 3, 2), page=0)
    assert later.total == 0 and later.pages == 1


async def test_unknown_round_names_the_rounds_there_are(store: Store) -> None:
    await synthetic_round(store, 2)
    service = offline_reports(store, report_moment(1))
    with pytest.raises(UserFacingError, match=r"no round called `2099Z`\. Rounds: `2027A`"):
        await service.round_named("2099Z")
    assert (await service.round_named(" 2027a ")).name == "2027A"


# iln-bot report ----------------------------------------------------------------------------------


async def _synthetic_file(path: Path, pairs: int) -> None:
    opened = await Store.open(path)
    await synthetic_round(opened, pairs)
    await opened.close()


def test_iln_bot_report_writes_files_without_changing_the_database(tmp_path: Path) -> None:
    path = tmp_path / "iln.sqlite3"
    asyncio.run(_synthetic_file(path, 12))
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    out = tmp_path / "report"
    args = [
        "report",
        "--db",
        str(path),
        "--round",
        "2027A",
        "--out",
        str(out),
        "--as-of",
        "2027-05-01",
    ]
    assert main(args) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            "contact-heatmap-1.png",
            "contact-overview.png",
            "checkins.png",
            "nudges.png",
            "match-quality.png",
        ]
        + [f"2027A-{key}.csv" for key in EXPORTS]
    )
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("problem", ["missing", "round", "old", "foreign"])
def test_iln_bot_report_refuses_in_one_line(
    problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "iln.sqlite3"
    if problem in ("round", "old"):
        with sqlite3.connect(path) as connection:
            from bot.store.db import bundled_migrations

            migrations = bundled_migrations()
            count = len(migrations) if problem == "round" else 1
            for migration in migrations[:count]:
                connection.executescript(migration.sql)
            connection.execute(f"PRAGMA user_version = {count}")
    elif problem == "foreign":
        path.write_text("not a database at all, just text " * 100)
    before = path.read_bytes() if path.exists() else b""
    code = main(["report", "--db", str(path), "--round", "2027A", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("error: ")
    expected = {
        "missing": "no database file at",
        "round": "no round called '2027A'",
        "old": "older than this bot's",
        "foreign": "is not an ILN bot database",
    }[problem]
    assert expected in err
    assert not (tmp_path / "o").exists()
    if path.exists():
        assert path.read_bytes() == before  # never migrated or changed


# Discord's limits, whatever the data ------------------------------------------------------------


def _within_limits(embed: discord.Embed) -> None:
    assert len(embed) <= 6000 and len(embed.fields) <= 25
    assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
    assert len(embed.footer.text or "") <= 2048
    for field in embed.fields:
        assert 1 <= len(field.name or "") <= 256 and 1 <= len(field.value or "") <= 1024


def test_report_and_audit_embeds_fit_discord_whatever_the_data() -> None:
    from cogs.reports import audit_embed, report_embed

    now = datetime(2027, 3, 1, tzinfo=UTC)
    huge = 10**15
    round_ = Round(
        id=1,
        name="R" * 300,
        state=RoundState.RUNNING,
        starts_on=date(2027, 3, 1),
        ends_on=date(2027, 7, 1),
        created_at=now,
        updated_at=now,
    )
    headline = Headline(
        round=round_,
        as_of=now,
        partnerships=huge,
        by_state={f"state {n} " * 40: huge for n in range(40)},
        quiet=huge,
        quiet_days=huge,
        ended_early=huge,
        in_touch_recently=huge,
        contact_days_recently=huge,
        checkins_asked=huge,
        checkin_answers={"great": huge, "ok": huge, "not_working": huge},
        nudges=huge,
        escalations=huge,
        feedback={rating: huge for rating in range(1, 6)},
        wishes_stated=huge,
        wishes_met=huge,
    )
    _within_limits(report_embed(headline, huge))
    entries = [
        AuditEntry(
            id=n,
            at=now,
            actor_id=huge,
            action="a" * 500,
            detail={f"key{k}": "*_`~" * 500 for k in range(20)},
        )
        for n in range(AUDIT_PAGE_SIZE)
    ]
    view = AuditView(entries, page=0, pages=huge, total=huge)
    _within_limits(audit_embed(view, " · by " + "x" * 5000))
