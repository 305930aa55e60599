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
        "topic-plan add",
        "topic-plan edit",
        "topic-plan move",
        "topic-plan post-now",
        "apply form",
        "apply status",
        "applicants import",
        "match preview",
        "match pin",
        "match forbid",
        "match run",
        "match confirm",
        "match unmatched",
        "match unpin",
        "match unforbid",
        "apply withdraw",
        "pair health",
        "pair end",
        "pair rematch",
        "pair add",
        "pair note",
        "case list",
        "case reply",
        "ask-coordinators",
        "privacy notice",
        "privacy export",
        "privacy delete",
        "privacy delete-for",
    }
    assert expected <= names, sorted(expected - names)


NAMING = {"pair", "member", "first", "second", "to"}


async def test_every_option_that_names_a_pair_or_a_person_completes(bot: ILNBot) -> None:
    """Options that name a pair or a person in the new coordinator commands offer choices
    as a coordinator types (Discord's own user picker covers /match pin and forbid)."""
    commands = {
        c.qualified_name: c
        for c in walk(bot.tree.get_commands(guild=bot.guild_object))
        if isinstance(c, app_commands.Command)
    }
    for name in ("pair end", "pair rematch", "pair add", "pair note", "case reply",
                 "match unpin", "match unforbid", "privacy delete-for"):  # fmt: skip
        for parameter in commands[name].parameters:
            if parameter.name in NAMING:
                assert parameter.autocomplete, f"/{name} {parameter.name}"


async def test_coordinator_groups_are_hidden_by_default(bot: ILNBot) -> None:
    for group in bot.tree.get_commands(guild=bot.guild_object):
        if group.name in ("pair", "case", "match", "round", "applicants", "topic-plan"):
            assert group.default_permissions is not None, group.name
        if group.name in ("apply", "ask-coordinators", "privacy", "topic"):
            assert group.default_permissions is None, group.name


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
