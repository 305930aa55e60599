"""The iln-bot command line, run as a user would: a separate process, exit codes, output."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.store import Store
from bot.store.db import bundled_migrations
from tests.helpers import START

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config.example.toml"


def iln_bot(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ILN_", "DISCORD_"))}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=60,
        check=False,
    )


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        '[discord]\nguild_id = 1\ncoordinator_role = "C"\n[database]\npath = "iln.sqlite3"\n'
    )
    return path


def test_help_lists_every_command() -> None:
    result = iln_bot("--help")
    assert result.returncode == 0
    for command in ("run", "check-config", "db", "match", "simulate", "applicants"):
        assert command in result.stdout
    db_help = iln_bot("db", "--help")
    assert "upgrade" in db_help.stdout and "backup" in db_help.stdout


def test_check_config_accepts_the_example_and_explains_a_broken_file(tmp_path: Path) -> None:
    assert iln_bot("check-config", str(EXAMPLE)).returncode == 0
    broken = tmp_path / "broken.toml"
    broken.write_text('[discord]\nguild_id = "soon"\n[nudges]\nquiet_after_days = 0\n')
    result = iln_bot("check-config", str(broken))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "discord.guild_id: Input should be a valid integer" in result.stderr
    assert "(got 'soon')" in result.stderr
    assert "discord.coordinator_role: is required" in result.stderr
    assert "nudges.quiet_after_days:" in result.stderr and "(got 0)" in result.stderr


def test_run_without_a_token_says_how_to_get_one(tmp_path: Path) -> None:
    result = iln_bot("run", "--config", str(config_file(tmp_path)))
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr and "Reset Token" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_then_backup_holds_the_same_rows(tmp_path: Path) -> None:
    config = config_file(tmp_path)
    first = iln_bot("db", "upgrade", "--config", str(config))
    versions = [m.version for m in bundled_migrations()]
    assert first.returncode == 0 and f"applied migrations: {versions}" in first.stdout
    assert "already up to date" in iln_bot("db", "upgrade", "--config", str(config)).stdout

    async def add_round() -> None:
        store = await Store.open(tmp_path / "iln.sqlite3")
        await store.rounds.create("2027A", date(2027, 3, 1), date(2027, 7, 1), START)
        await store.close()

    asyncio.run(add_round())
    backup = tmp_path / "copies" / "backup.sqlite3"
    result = iln_bot("db", "backup", str(backup), "--config", str(config))
    assert result.returncode == 0, result.stderr

    async def rounds_in(path: Path) -> list[str]:
        store = await Store.open(path, migrate=False)
        names = [r.name for r in await store.rounds.all()]
        await store.close()
        return names

    assert asyncio.run(rounds_in(backup)) == ["2027A"]
    again = iln_bot("db", "backup", str(backup), "--config", str(config))
    assert again.returncode == 2 and "already exists" in again.stderr


@pytest.mark.parametrize(
    "command",
    [["simulate", "--applicants", "missing.csv"], ["match", "--applicants", "missing.csv"]],
)
def test_missing_input_files_are_a_clear_error(command: list[str], tmp_path: Path) -> None:
    result = iln_bot(*command, cwd=tmp_path)
    assert result.returncode == 2
    assert "missing.csv" in result.stderr and "Traceback" not in result.stderr


def test_applicants_import_adds_all_rows_or_none(tmp_path: Path) -> None:
    config = config_file(tmp_path)
    example = ROOT / "data" / "applicants.example.csv"
    no_round = iln_bot("applicants", "import", str(example), "--config", str(config))
    assert no_round.returncode == 2 and "no current round" in no_round.stderr.lower()

    async def add_round() -> None:
        store = await Store.open(tmp_path / "iln.sqlite3")
        await store.rounds.create("2027A", date(2027, 3, 1), date(2027, 7, 1), START)
        await store.close()

    asyncio.run(add_round())
    added = iln_bot("applicants", "import", str(example), "--config", str(config))
    assert added.returncode == 0, added.stderr
    assert "12 added, 0 updated" in added.stdout
    again = iln_bot("applicants", "import", str(example), "--config", str(config))
    assert "0 added, 12 updated" in again.stdout
    broken = tmp_path / "broken.csv"
    broken.write_text(example.read_text().replace(",academic,", ",museum,", 1))
    rejected = iln_bot("applicants", "import", str(broken), "--config", str(config))
    assert rejected.returncode == 2
    assert "nothing was imported" in rejected.stderr and "museum" in rejected.stderr


def test_run_that_cannot_reach_discord_ends_with_one_line(tmp_path: Path) -> None:
    """Offline here (no network, or a refused made-up token elsewhere): one clear line, no
    traceback, and no warning about voice libraries the bot never uses."""
    result = iln_bot(
        "run", "--config", str(config_file(tmp_path)), env={"DISCORD_TOKEN": "not.a.token"}
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "voice" not in result.stderr
    told = [line for line in result.stderr.splitlines() if line.startswith("iln-bot: ")]
    assert len(told) == 1 and ("cannot reach Discord" in told[0] or "token" in told[0])


@pytest.mark.parametrize(
    "command",
    [["simulate"], ["match", "--applicants", str(ROOT / "data" / "sample" / "applicants.csv")]],
)
def test_output_piped_into_head_ends_quietly(command: list[str]) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ILN_", "DISCORD_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=environment,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # what `| head -1` does once it has its line
    errors = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0
    assert "BrokenPipeError" not in errors and "Traceback" not in errors


def test_simulate_with_a_round_too_short_says_so_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[discord]\nguild_id = 1\ncoordinator_role = "C"\n[round]\nround_weeks = 3\n')
    for command in (["check-config", str(path)], ["simulate", "--config", str(path)]):
        result = iln_bot(*command)
        assert result.returncode == 2, command
        assert "Traceback" not in result.stderr
        assert "round.round_weeks: must be from 4 to 52 (got 3)" in result.stderr
