"""``iln-bot privacy export|delete`` and ``iln-bot db purge|backup``, run as a coordinator
would: a separate process, exit codes, output, the database before and after."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import stat
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path

from bot.domain.privacy import PrivacyRules
from bot.services.privacy import RetentionPlanner
from bot.store import Store
from bot.store.models import RoundState
from bot.store.privacy import key_path
from tests.helpers import dump, traces
from tests.test_cases import application
from tests.test_cli import config_file, iln_bot
from tests.test_simulation import run as run_simulation

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
    assert "audit reference" in done.stdout and "0 live partnerships ended" in done.stdout
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


def test_a_simulated_round_past_its_retention_keeps_no_older_contact_events(
    tmp_path: Path,
) -> None:
    """``iln-bot simulate`` runs a whole round into a database; the purge the waker runs
    then keeps its contact events exactly ``contact_events_days`` after the round ends."""
    database = tmp_path / "simulated.sqlite3"
    with contextlib.redirect_stdout(io.StringIO()):
        assert run_simulation(["--json", "--db", str(database)]) == 0
    rules = PrivacyRules()

    async def purge_around_the_period() -> None:
        store = await Store.open(database)
        try:
            round_ = next(r for r in await store.rounds.all() if r.name == "2027A")
            assert round_.state is RoundState.ENDED
            logged = len(await store.db.fetch_all("SELECT 1 FROM contact_events"))
            assert logged > 100  # a round's worth of who-posted-when (the history has none)
            counts_from = datetime.combine(round_.ends_on + timedelta(days=1), time(0), UTC)
            runs_out = counts_from + timedelta(days=rules.contact_events_days)
            planner = RetentionPlanner(store, rules)
            early = await planner.plan(runs_out - timedelta(minutes=1))
            assert early.get("contact_events", 0) == 0
            assert len(await store.db.fetch_all("SELECT 1 FROM contact_events")) == logged
            assert planner.next_purge() == runs_out + timedelta(seconds=1)
            before = dump(database)
            dry = await planner.purge(runs_out + timedelta(seconds=1), dry_run=True)
            assert dry["contact_events"] == logged and dump(database) == before
            assert await planner.plan(runs_out + timedelta(seconds=1)) == dry
            assert await store.db.fetch_all("SELECT at FROM contact_events") == []
            assert await store.db.fetch_all("SELECT 1 FROM checkins")  # kept for a year
            assert await store.partnerships.for_round(round_.id)  # they took part
        finally:
            await store.close()

    asyncio.run(purge_around_the_period())
