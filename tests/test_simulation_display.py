"""How `iln-bot simulate` shows a round: tables, the progress bar, --detail, --report."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import re
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PIL import Image

from bot.cli import simulate as simulate_command
from bot.simulation import display
from bot.simulation.runner import Summary
from bot.store.models import Round, RoundState

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
T0 = datetime(2027, 3, 14, 20, 0, tzinfo=UTC)
ANSI = "\x1b"
BAR_TEXTS = ("Simulating ", "Matching the applicants", "━")


# The summary, generically ---------------------------------------------------------------

ROUND = Round(
    id=1,
    name="2027A",
    state=RoundState.ENDED,
    starts_on=date(2027, 3, 1),
    ends_on=date(2027, 7, 1),
    created_at=T0,
    updated_at=T0,
)


def test_figures_read_with_proper_plurals() -> None:
    summary = Summary(applicants=1, pairs=2, kept_open=1, archived=3, cases_handled=1)
    text = "".join(
        display.plain(t) for t in display.summary_tables(summary, ROUND, 1.0, terminal=False)
    )
    assert re.search(r"^\s*1\s+space kept open$", text, re.M)
    assert re.search(r"^\s*3\s+spaces archived$", text, re.M)
    assert re.search(r"^\s*1\s+applicant$", text, re.M)
    assert re.search(r"^\s*1\s+case handled$", text, re.M)
    assert "1 spaces" not in text and ANSI not in text


@dataclass
class TomorrowsSummary(Summary):
    """Someone adds figures to the summary."""

    photos_per_desk: float = 0.0
    reactions: dict[str, int] = field(default_factory=dict)


def test_a_new_summary_field_shows_up_in_the_tables_and_the_json() -> None:
    summary = TomorrowsSummary(photos_per_desk=12.5, reactions={"heart": 3})
    text = "".join(
        display.plain(t) for t in display.summary_tables(summary, ROUND, 1.0, terminal=False)
    )
    assert re.search(r"^\s*12\.5\s+photos per desk$", text, re.M)
    assert "Reactions" in text and re.search(r"^\s*3\s+heart$", text, re.M)
    as_json = display.summary_json(summary)
    assert as_json["photos_per_desk"] == 12.5 and as_json["reactions"] == {"heart": 3}
    assert set(as_json) == {f.name for f in fields(summary)}


# The command, piped and on a terminal -------------------------------------------------------


def run(argv: list[str]) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    simulate_command.register(parser.add_subparsers())
    args = parser.parse_args(["simulate", *argv])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = int(args.handler(args))
    return status, out.getvalue()


@pytest.fixture
def no_terminal_hints(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Rich obeys these before isatty; a CI that sets one must not change the tests."""
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture(scope="module")
def small_round(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A round of 4 pairs over 6 weeks: applicants CSV and config arguments."""
    folder = tmp_path_factory.mktemp("small")
    rows = (SAMPLE / "applicants.csv").read_text(encoding="utf-8").splitlines()
    applicants = folder / "applicants.csv"
    applicants.write_text("\n".join(rows[:9]) + "\n", encoding="utf-8")
    config = folder / "config.toml"
    config.write_text(
        '[discord]\nguild_id = 5\ncoordinator_role = "C"\n\n[round]\nround_weeks = 6\n\n'
        '[program]\ntimezone = "Australia/Sydney"\n',
        encoding="utf-8",
    )
    return ["--applicants", str(applicants), "--config", str(config), "--start", "2028-01-10"]


def test_piped_output_has_no_bar_and_no_ansi_codes(
    small_round: list[str], no_terminal_hints: pytest.MonkeyPatch
) -> None:
    status, out = run(small_round)
    assert status == 0
    assert ANSI not in out
    assert not any(text in out for text in BAR_TEXTS)
    assert all(line == line.rstrip() for line in out.splitlines())
    assert out.startswith("Round 2028A, times in Australia/Sydney (program.timezone)\n")
    # 2027-12-20 09:00 UTC is 20:00 in Sydney (summer time)
    assert "\nMon 20 Dec 20:00  Round created: 2028A: 2028-01-10 to 2028-02-21\n" in out
    assert "AEDT" in out and " UTC" not in out.split("Summary of round")[0]
    assert "topic_posted" not in out, "per-pair lines only with --detail"


def test_detail_lists_every_post_beneath_its_moment(
    small_round: list[str], no_terminal_hints: pytest.MonkeyPatch
) -> None:
    _, grouped = run(small_round)
    _, detailed = run([*small_round, "--detail"])
    topic_lines = [line for line in detailed.splitlines() if "  topic_posted " in line]
    assert len(topic_lines) == 3 * 4, "three topics to four spaces"
    assert len(detailed.splitlines()) > len(grouped.splitlines()) + len(topic_lines)


def test_on_a_terminal_the_bar_is_drawn_and_json_never_gets_it(
    small_round: list[str], no_terminal_hints: pytest.MonkeyPatch
) -> None:
    no_terminal_hints.setenv("TTY_COMPATIBLE", "1")
    no_terminal_hints.setenv("TTY_INTERACTIVE", "1")
    _, out = run(small_round)
    assert ANSI in out and "Simulating " in out and "wake-up" in out
    assert "╭" in out, "tables have borders on a terminal"
    _, out = run([*small_round, "--json"])
    assert ANSI not in out and not any(text in out for text in BAR_TEXTS)
    for line in out.splitlines():
        assert line.startswith("{") and line.endswith("}")


@dataclass(frozen=True)
class Reported:
    out: str
    folder: Path


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> Reported:
    """The sample round, piped, with --report."""
    folder = tmp_path_factory.mktemp("report") / "out"
    with pytest.MonkeyPatch.context() as patch:
        for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
            patch.delenv(name, raising=False)
        status, out = run(["--report", str(folder)])
    assert status == 0
    return Reported(out, folder)


def test_the_sample_summary_has_all_its_figures(reported: Reported) -> None:
    summary = reported.out.split("\nSummary of round 2027A, 1 March 2027 to 1 July 2027\n")[1]
    for name, (one, many) in display.FIGURES.items():
        assert re.search(rf"^\s*[\d.]+\s+({re.escape(one)}|{re.escape(many)})\b", summary, re.M), (
            name
        )
    for title in display.TALLIES.values():
        assert f"\n{title}\n" in summary
    for figure in ("40  applicants", "19  partnerships", "2  applicants without a partner"):
        assert figure in summary
    assert re.search(r"^\s*\d+\s+in all$", summary, re.M)
    assert "Oluwaseun Adeyemi" in summary.split("\nUnmatched\n")[1]
    assert re.search(r"^\s*[\d.]+\s+seconds of wall time$", summary, re.M)


def test_report_writes_the_charts_and_the_csvs(reported: Reported) -> None:
    pngs = sorted(reported.folder.glob("*.png"))
    csvs = sorted(reported.folder.glob("*.csv"))
    assert {p.name for p in pngs} >= {"contact-heatmap-1.png", "checkins.png", "nudges.png"}
    for path in pngs:
        with Image.open(path) as image:
            assert image.width >= 600 and image.height >= 400, path.name
            colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
            assert colours is not None and len(colours) > 50, f"{path.name} looks blank"
            low, high = image.convert("L").getextrema()
            assert high - low > 100, f"{path.name} has no contrast"
    assert {p.name for p in csvs} >= {"2027A-partnerships.csv", "2027A-checkins.csv"}
    for path in csvs:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        assert rows and all(len(row) == len(rows[0]) for row in rows), path.name
    partnerships = (reported.folder / "2027A-partnerships.csv").read_text(encoding="utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(partnerships)))) == 19
    assert f"Report: {len(pngs)} charts (PNG) and {len(csvs)} exports (CSV)" in reported.out


def test_a_report_folder_that_cannot_be_written_is_refused(
    small_round: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    status, out = run([*small_round, "--report", str(blocker / "report")])
    assert status == 2 and out == ""
    assert "cannot write the report" in capsys.readouterr().err
