"""Every cog loads, and every command fits Discord's limits (checked offline)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from discord import app_commands

from bot.client import ILNBot, cog_modules
from bot.clock import ManualClock
from bot.config import Config
from bot.store import Store
from tests.helpers import START


def walk(commands: list[app_commands.Command | app_commands.Group]) -> Iterator[object]:
    for command in commands:
        yield command
        if isinstance(command, app_commands.Group):
            yield from walk(command.commands)


@pytest.fixture
async def bot(tmp_path: Path) -> ILNBot:
    store = await Store.open(tmp_path / "iln.sqlite3")
    config = Config(discord={"guild_id": 1, "coordinator_role": "ILN Coordinators"})
    instance = ILNBot(config, store, ManualClock(START))
    for module in cog_modules():
        await instance.load_extension(module)
    yield instance
    await instance.close()
    await store.close()


async def test_commands_fit_discords_limits(bot: ILNBot) -> None:
    top_level = bot.tree.get_commands(guild=bot.guild_object)
    assert len(top_level) <= 100
    names = [c.name for c in top_level]
    assert len(names) == len(set(names)), "duplicate top-level command"
    for command in walk(top_level):
        assert 1 <= len(command.name) <= 32, command.name
        assert command.name == command.name.lower()
        assert 1 <= len(command.description) <= 100, command.qualified_name
        assert command.description != "…", f"{command.qualified_name} needs a docstring"
        if isinstance(command, app_commands.Command):
            assert len(command.parameters) <= 25
            for parameter in command.parameters:
                assert 1 <= len(parameter.description) <= 100, parameter.name


async def test_the_documented_commands_exist(bot: ILNBot) -> None:
    names = {c.qualified_name for c in walk(bot.tree.get_commands(guild=bot.guild_object))}
    expected = {
        "round create",
        "round open",
        "round close-applications",
        "round start",
        "round status",
        "round end",
        "notify-me on",
        "notify-me off",
        "topic current",
        "topic list",
        "topic add",
        "topic edit",
        "topic move",
        "topic post-now",
        "apply form",
        "apply status",
        "applicants import",
        "match preview",
        "match pin",
        "match forbid",
        "match run",
        "match confirm",
        "match unmatched",
    }
    assert expected <= names, sorted(expected - names)


async def test_commands_are_registered_for_the_guild_only(bot: ILNBot) -> None:
    # A global command would be published to every server the application is in.
    assert bot.tree.get_commands() == []


def test_the_readme_names_the_permissions_the_bot_asks_for() -> None:
    from pathlib import Path

    from bot.discord_adapter import REQUIRED_PERMISSIONS, required_permissions

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"**`{required_permissions().value}`**" in readme
    rows = [line for line in readme.splitlines() if line.startswith("| ") and " | " in line]
    for why in REQUIRED_PERMISSIONS.values():
        assert any(line.endswith(f"| {why} |") for line in rows), why
