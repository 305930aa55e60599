from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.clock import ManualClock
from bot.discord_adapter import required_permissions
from tests.e2e.harness import COORDINATOR_ROLE, MANAGE_MESSAGES, Iln
from tests.emulator import DiscordEmulator
from tests.emulator.state import discord_time
from tests.helpers import START

E2E_DIR = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in tests/e2e is the end-to-end layer: `pytest -m e2e` selects it."""
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest_asyncio.fixture
async def make_iln(
    emulator_factory: Callable[..., Awaitable[DiscordEmulator]], tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[Iln]]]:
    """``await make_iln(emulator options..., config=...)``: a harness whose bot is not
    started yet, so a test can shape the server first."""
    made: list[Iln] = []
    clock = ManualClock(START)

    async def make(config: dict[str, Any] | None = None, **emulator_options: Any) -> Iln:
        emulator = await emulator_factory(**emulator_options)
        # The bot is installed with exactly the permissions the README asks for, no more.
        await emulator.driver.set_role_permissions(emulator.bot_role, required_permissions().value)
        # The server has its coordinator role before the bot is installed.
        await emulator.driver.create_role(COORDINATOR_ROLE, permissions=MANAGE_MESSAGES)
        database = tmp_path / f"iln-{len(made)}.sqlite3"
        harness = Iln(emulator, database, clock=clock, config_overrides=config or {})
        made.append(harness)
        return harness

    # Discord stamps messages with the test's clock, as it would stamp them on that day.
    with discord_time(lambda: clock.now().timestamp()):
        yield make
        for harness in made:
            if harness.bot is not None:
                await harness.stop()


@pytest_asyncio.fixture
async def iln(make_iln: Callable[..., Awaitable[Iln]]) -> Iln:
    """The ILN bot, started against a fresh emulator with its own database."""
    harness = await make_iln()
    await harness.start()
    return harness
