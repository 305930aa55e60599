"""``iln-bot privacy export|delete`` and ``iln-bot db purge|backup``, run as a coordinator
would: a separate process, exit codes, output, the database before and after."""

from __future__ import annotations

import asyncio
import json
import stat
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path

from bot.store import Store
from bot.store.models import RoundState
from bot.store.privacy import key_path
from tests.helpers import dump, traces
from tests.test_cases import application
from tests.test_cli import config_file, iln_bot

ANA, BO, CHEN = 101, 102, 103
LONG_AGO = datetime(2019, 8, 1, tzinfo=UTC)


def old_round(tmp_path: Path) -> Path:
    """A round that ended years ago (Ana and Bo partners, Chen never partnered), in the
    database the config file names."""
    config = config_file(tmp_path)

    async def build() -> None:
        store = await Store.open(tmp_path / "iln.sqlite3")
        try:
            round_ = await store.rounds.create(
                "2019B", date(2019, 9, 1), date(2020, 1, 1), LONG_AGO
            )
            for old, new in pairwise(RoundState):
                await store.rounds.set_state(round_.id, old, new, LONG_AGO)
            await store.people.save_applications(
                round_.id,
                [
                    application(ANA, "Ana Silva", "BR"),
                    application(BO, "Bo Chen", "GB"),
                    application(CHEN, "Chen Li", "SG"),
                ],
                LONG_AGO,
            )
            pid = await store.partnerships.create(
                round_.id, "ana-and-bo", [ANA, BO], score=1.0, reasons=[], now=LONG_AGO
            )
            await store.partnerships.set_state(pid, "ended", LONG_AGO)
            await store.activity.log_contact(pid, ANA, datetime(2019, 10, 1, tzinfo=UTC), "video")
            await store.activity.answer_checkin(pid, ANA, 1, "great", "Lovely", LONG_AGO)
        finally:
            await store.close()

    asyncio.run(build())
    return config


def test_export_prints_everything_held_and_refuses_a_stranger(tmp_path: Path) -> None:
    config = old_round(tmp_path)
    database = tmp_path / "iln.sqlite3"
    before = dump(database)
    result = iln_bot("privacy", "export", str(ANA), "--db", str(database))
    assert result.returncode == 0, result.stderr
    exported = json.loads(result.stdout)
    assert exported["tables"]["participants"][0]["name"] == "Ana Silva"
    assert exported["partnerships"][0]["partners"][0]["name"] == "Bo Chen"
    assert "1 application" in result.stderr  # the summary
    configured = iln_bot("privacy", "export", str(BO), "--config", str(config))
    assert configured.returncode == 0 and json.loads(configured.stdout)["discord_id"] == BO
    stranger = iln_bot("privacy", "export", "555", "--db", str(database))
    assert stranger.returncode == 2 and "holds nothing about you" in stranger.stderr
    assert dump(database) == before


def test_delete_says_what_would_go_then_erases_with_yes(tmp_path: Path) -> None:
    config = old_round(tmp_path)
    database = tmp_path / "iln.sqlite3"
    before = dump(database)
    asked = iln_bot("privacy", "delete", str(ANA), "--config", str(config))
    assert asked.returncode == 2 and "run again with --yes" in asked.stdout
    assert dump(database) == before
    done = iln_bot("privacy", "delete", str(ANA), "--yes", "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert "audit reference" in done.stdout and "0 live partnership(s) ended" in done.stdout
    assert traces(database, ANA, ("Ana Silva", "Ana")) == []
    assert stat.S_IMODE(key_path(database).stat().st_mode) == 0o600
    again = iln_bot("privacy", "delete", str(ANA), "--yes", "--config", str(config))
    assert again.returncode == 2 and "holds nothing" in again.stderr


def test_purge_dry_run_changes_nothing_and_the_purge_is_idempotent(tmp_path: Path) -> None:
    config = old_round(tmp_path)
    database = tmp_path / "iln.sqlite3"
    before = dump(database)
    dry = iln_bot("db", "purge", "--dry-run", "--config", str(config))
    assert dry.returncode == 0, dry.stderr
    counts = dict(line.split() for line in dry.stdout.splitlines()[:-1])
    assert counts["contact_events"] == "1" and counts["checkins"] == "1"
    assert counts["applications"] == "1" and counts["participants"] == "1"  # Chen
    assert "nothing was deleted" in dry.stdout
    assert dump(database) == before
    purged = iln_bot("db", "purge", "--config", str(config))
    assert (
        purged.returncode == 0 and purged.stdout.splitlines()[:-1] == dry.stdout.splitlines()[:-1]
    )
    after = dump(database)
    assert after["contact_events"] == [] and after["checkins"] == []
    assert {row[0] for row in after["participants"]} == {ANA, BO}  # they took part
    again = iln_bot("db", "purge", "--config", str(config))
    assert again.stdout.splitlines()[-1] == "0 row(s) deleted."


def test_a_backup_keeps_the_owner_only_mode_and_takes_the_key(tmp_path: Path) -> None:
    config = old_round(tmp_path)
    iln_bot("privacy", "delete", str(BO), "--yes", "--config", str(config))
    copy = tmp_path / "copies" / "backup.sqlite3"
    result = iln_bot("db", "backup", str(copy), "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "and its privacy key" in result.stdout
    for file in (copy, key_path(copy)):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    assert key_path(copy).read_text() == key_path(tmp_path / "iln.sqlite3").read_text()
    assert dump(copy)["unpairable"] == dump(tmp_path / "iln.sqlite3")["unpairable"]


def test_check_config_names_a_bad_privacy_setting(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[discord]\nguild_id = 1\ncoordinator_role = "C"\n'
        "[privacy]\ncontact_events_days = 0\nforget_everything = true\n"
    )
    result = iln_bot("check-config", str(config))
    assert result.returncode == 2
    assert "privacy.contact_events_days:" in result.stderr and "(got 0)" in result.stderr
    assert "privacy.forget_everything: is not a known setting" in result.stderr
