"""`iln-bot run` as deployed: a separate process that logs in, syncs, and stops cleanly on
SIGTERM (scheduler first, then Discord, then the store), whenever the signal arrives."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.emulator import DiscordEmulator

ROOT = Path(__file__).resolve().parents[2]
READY = "ready: set up and caught up"


async def start_bot(emulator: DiscordEmulator, tmp_path: Path) -> asyncio.subprocess.Process:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[discord]\nguild_id = {emulator.guild.id}\ncoordinator_role = "ILN Coordinators"\n'
        f'api_base_url = "{emulator.api_base_url}"\ngateway_url = "{emulator.gateway_url}"\n'
        '[database]\npath = "iln.sqlite3"\n'
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ILN_")}
    environment["DISCORD_TOKEN"] = emulator.token
    return await asyncio.create_subprocess_exec(
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


async def read_until(process: asyncio.subprocess.Process, marker: str) -> list[str]:
    """The log lines up to and including the first with ``marker``."""
    assert process.stderr is not None
    lines: list[str] = []
    while not any(marker in line for line in lines):
        line = await asyncio.wait_for(process.stderr.readline(), timeout=20)
        assert line, "the bot stopped early:\n" + "".join(lines)
        lines.append(line.decode())
    return lines


async def stop(process: asyncio.subprocess.Process, earlier: list[str]) -> str:
    """SIGTERM, then the whole log once the process has exited."""
    process.send_signal(signal.SIGTERM)
    try:
        _, rest = await asyncio.wait_for(process.communicate(), timeout=15)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return "".join(earlier) + rest.decode()


def assert_clean_stop(process: asyncio.subprocess.Process, log: str, emulator: DiscordEmulator):
    assert process.returncode == 0, log
    assert "Traceback" not in log and "Ignoring exception" not in log, log
    assert emulator.token not in log
    assert "stopping: closing Discord, then the store" in log


async def test_run_logs_in_syncs_and_stops_cleanly_on_sigterm(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    process = await start_bot(emulator, tmp_path)
    earlier = await read_until(process, READY)
    assert {c["name"] for c in emulator.driver.synced_commands()} >= {"round", "topic", "away"}
    log = await stop(process, earlier)
    assert_clean_stop(process, log, emulator)
    assert (tmp_path / "iln.sqlite3").exists()


async def test_a_sigterm_while_the_server_is_being_set_up_stops_cleanly(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    """The waitlist role is the last thing set-up creates; holding its answer back makes
    the signal arrive, every time, while set-up is still talking to Discord."""
    emulator.faults.delay("/guilds/*/roles", 5.0, method="POST")
    process = await start_bot(emulator, tmp_path)
    driver = emulator.driver
    await driver.wait_for(lambda: driver.requests("POST", "/guilds/{guild_id}/roles"), timeout=20)
    log = await stop(process, [])
    assert_clean_stop(process, log, emulator)
    assert READY not in log
