"""Self-tests of the pytest plugin: teardown failures, unknown routes, missing spec notice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import discord
import pytest

from tests.emulator import DiscordEmulator, running_client
from tests.emulator import permissions as P

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]

BAD_TEST = """
import aiohttp

async def test_sends_bad_body(emulator):
    ch = await emulator.driver.create_channel("general")
    url = f"{emulator.api_base_url}/channels/{ch.id}/messages"
    async with aiohttp.ClientSession() as s:
        async with s.post(url, json={"content": "hi", "tts": "yes"},
                          headers={"Authorization": f"Bot {emulator.token}"}) as r:
            assert r.status == 400
        async with s.get(f"{emulator.api_base_url}/no/such/route") as r:
            assert r.status == 404


async def test_clean(emulator):
    assert emulator.driver.channels() == []


async def test_bad_answer(emulator):
    ada = await emulator.driver.add_member("ada")
    ada.user.username = None  # an emulator bug, simulated: the answer breaks the spec
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{emulator.api_base_url}/users/{ada.id}",
                         headers={"Authorization": f"Bot {emulator.token}"}) as r:
            assert r.status == 200
"""


def run_pytest(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_inner.py").write_text(BAD_TEST)
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    # No plugin autoload (hypothesis etc.): only what the inner run needs, for speed.
    full_env = {**os.environ, "PYTHONPATH": str(REPO), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **env}
    full_env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "pytest_asyncio.plugin",
            "-p",
            "tests.emulator.plugin",
            "-p",
            "no:cacheprovider",
            "-c",
            str(tmp_path / "pytest.ini"),
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_inner.py"),
        ],
        cwd=tmp_path,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_violations_fail_the_test_at_teardown(tmp_path: Path) -> None:
    env = {"CI": "false"}
    if os.environ.get("DISCORD_OPENAPI_SPEC"):
        env["DISCORD_OPENAPI_SPEC"] = os.environ["DISCORD_OPENAPI_SPEC"]
    proc = run_pytest(tmp_path, **env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "ERROR at teardown of test_sends_bad_body" in out
    assert "request to unknown route: GET /no/such/route" in out
    from tests.emulator.spec import load_spec

    if load_spec() is not None:
        assert "spec violation: POST /channels/{channel_id}/messages" in out
        assert "field 'tts'" in out
        assert "ERROR at teardown of test_bad_answer" in out and "2 errors" in out
        assert "emulator answer breaks the spec: response 200 to GET /users/{user_id}" in out
        assert "field 'username'" in out


def test_missing_spec_is_announced(tmp_path: Path) -> None:
    proc = run_pytest(tmp_path, DISCORD_OPENAPI_SPEC=str(tmp_path / "absent.json"), CI="false")
    out = proc.stdout + proc.stderr
    assert "spec validation skipped" in out and "discord-api-spec" in out
    # the emulator still runs; the bad body is simply not caught without the spec
    assert "2 passed" in out and "assert 200 == 400" in out


def test_missing_spec_fails_in_ci(tmp_path: Path) -> None:
    proc = run_pytest(tmp_path, DISCORD_OPENAPI_SPEC=str(tmp_path / "absent.json"), CI="true")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "CI=true" in out and "discord-api-spec" in out
    assert "passed" not in out


async def test_unknown_route_is_404_code_0(emulator: DiscordEmulator) -> None:
    bot = discord.Client(intents=discord.Intents.none())
    async with running_client(emulator, bot):
        with pytest.raises(discord.NotFound) as info:
            await bot.http.request(discord.http.Route("GET", "/emulator/does-not-exist"))
        assert info.value.code == 0
    [entry] = emulator.take_unknown_routes()
    assert entry.path == "/emulator/does-not-exist" and entry.status == 404


async def test_gateway_basics_and_driver_permissions(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    admin_role = await d.create_role("Admins", P.ADMINISTRATOR)
    root = await d.add_member("root", [admin_role])
    plain = await d.add_member("plain")
    secret = await d.create_channel(
        "secret",
        overwrites=[
            discord_overwrite(emulator.guild.id, 0, deny=P.VIEW_CHANNEL),  # type: ignore[union-attr]
            discord_overwrite(plain.id, 1, allow=P.VIEW_CHANNEL),
        ],
    )
    assert d.can_view(root, secret) and d.can_view(plain, secret)
    assert not d.permissions(plain, secret) & P.MANAGE_CHANNELS
    intents = discord.Intents.none()
    intents.guilds = True
    bot = discord.Client(intents=intents)
    async with running_client(emulator, bot):
        assert any(op == 1 for op, _ in emulator.gateway.received)  # heartbeat (acked)
        identify = next(data for op, data in emulator.gateway.received if op == 2)
        assert identify["intents"] == intents.value
    async with aiohttp.ClientSession() as http:
        async with http.get(
            f"{emulator.api_base_url}/gateway/bot",
            headers={"Authorization": f"Bot {emulator.token}"},
        ) as resp:
            assert resp.headers["Content-Type"] == "application/json"
            assert (await resp.json())["url"] == emulator.gateway_url
        async with http.get(f"{emulator.api_base_url}/users/@me") as resp:
            assert resp.status == 401


def discord_overwrite(target: int, kind: int, *, allow: int = 0, deny: int = 0):  # type: ignore[no-untyped-def]
    from tests.emulator import Overwrite

    return Overwrite(target, kind, allow, deny)


async def test_answers_are_held_to_the_spec(emulator: DiscordEmulator) -> None:
    ada = await emulator.driver.add_member("ada")
    ada.user.username = None  # type: ignore[assignment]  # an emulator bug, simulated
    bot = discord.Client(intents=discord.Intents.none())
    async with running_client(emulator, bot):
        await bot.http.get_user(ada.id)
        await bot.http.get_user(emulator.owner.id)  # a good answer is not recorded
    [violation] = emulator.take_response_violations()
    assert (violation.kind, violation.status, violation.route) == (
        "response",
        200,
        "/users/{user_id}",
    )
    assert violation.field == "username" and "not of type 'string'" in violation.reason
