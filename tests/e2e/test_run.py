"""`iln-bot run` as deployed: a separate process that logs in, syncs, and stops cleanly on
SIGTERM (scheduler first, then Discord, then the store)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.emulator import DiscordEmulator

ROOT = Path(__file__).resolve().parents[2]


async def test_run_logs_in_syncs_and_stops_cleanly_on_sigterm(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[discord]\nguild_id = {emulator.guild.id}\ncoordinator_role = "ILN Coordinators"\n'
        f'api_base_url = "{emulator.api_base_url}"\ngateway_url = "{emulator.gateway_url}"\n'
        '[database]\npath = "iln.sqlite3"\n'
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ILN_")}
    environment["DISCORD_TOKEN"] = emulator.token
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(config),
        cwd=ROOT,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    driver = emulator.driver
    try:
        await driver.wait_for(lambda: driver.find_channel("iln-discussions"), timeout=20)
        assert {c["name"] for c in driver.synced_commands()} >= {"round", "topic", "away"}
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=15)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "Traceback" not in log
    assert emulator.token not in log
    assert "stopping: closing Discord, then the store" in log
    assert (tmp_path / "iln.sqlite3").exists()
