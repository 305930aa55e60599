"""The `match` sub-command, driven through its own argparse registration."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from bot.cli.match import register

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "applicants.example.csv"
HEADER = "discord_id,name,institution,sector,country,timezone,career_stage,languages"


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="iln-bot")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_readable_report_for_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["match", "--applicants", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Matched ")
    assert "Partner wishes met:" in out
    assert "1. " in out and "score" in out


def test_json_output_is_one_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["match", "--applicants", str(EXAMPLE), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"pairs", "unmatched", "metrics"}
    assert data["metrics"]["matched"] + data["metrics"]["unmatched"] == 12
    metrics = data["metrics"]
    assert metrics["wishes_satisfied"] == metrics["wishes_achievable"] <= metrics["wishes_stated"]
    assert all("coordinator_notes" in pair for pair in data["pairs"])


def test_history_and_trios(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    applicants = write(
        tmp_path,
        "a.csv",
        f"{HEADER}\n1,Ada,Lib,public,AU,Australia/Sydney,mid,en\n"
        "2,Bo,Lib,public,FR,Europe/Paris,mid,en\n3,Cy,Lib,public,JP,Asia/Tokyo,mid,en\n",
    )
    history = write(tmp_path, "h.csv", "round,member_a,member_b\n2024-1,1,2\n")
    argv = ["match", "--applicants", str(applicants), "--history", str(history), "--json"]
    assert run_cli(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert [pair["members"] for pair in data["pairs"]] == [[1, 3]]
    assert run_cli([*argv, "--allow-trios"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [pair["members"] for pair in data["pairs"]] == [[1, 3]]  # 2 may not join past partner 1
    assert data["unmatched"][0]["id"] == 2


def test_unmatched_are_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    applicants = write(
        tmp_path, "a.csv", f"{HEADER}\n1,Ada,Lib,public,BR,America/Sao_Paulo,mid,pt\n"
    )
    assert run_cli(["match", "--applicants", str(applicants)]) == 0
    out = capsys.readouterr().out
    assert "Unmatched:" in out
    assert "Ada (1): no other applicant shares a language: Portuguese (pt)" in out


def test_missing_file_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.csv"
    assert run_cli(["match", "--applicants", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"error: applicants file not found: {missing}\n"


def test_missing_history_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["match", "--applicants", str(EXAMPLE), "--history", str(tmp_path / "h.csv")]
    assert run_cli(argv) == 2
    assert capsys.readouterr().err.startswith("error: history file not found:")


def test_csv_problems_are_all_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    applicants = write(
        tmp_path,
        "a.csv",
        f"{HEADER}\nx,Ada,Lib,public,AU,Australia/Sydney,mid,en\n"
        "2,Bo,Lib,publik,FR,Europe/Paris,mid,en\n",
    )
    assert run_cli(["match", "--applicants", str(applicants)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"error: applicants file {applicants} has 2 problems:",
        "  row 2, discord_id: not a whole number (got 'x')",
        "  row 3, sector: not a sector; use one of public, academic, school, special, "
        "national, other (got 'publik')",
    ]
    assert "Traceback" not in err


def test_bad_history_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = write(tmp_path, "h.csv", "round,member_a,member_b\n2024-1,1,one\n")
    argv = ["match", "--applicants", str(EXAMPLE), "--history", str(history)]
    assert run_cli(argv) == 2
    assert "row 2, member_b: not a whole number (got 'one')" in capsys.readouterr().err


def test_applicants_option_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        run_cli(["match"])
    assert caught.value.code == 2
    assert "--applicants" in capsys.readouterr().err
