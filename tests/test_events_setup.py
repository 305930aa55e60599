"""What the live discussions add to the bot's set-up: an intent that is not privileged
(the permission integer is checked in ``test_commands.py``), and the ``/event`` commands
the README documents."""

from __future__ import annotations

from pathlib import Path

from bot.client import bot_intents

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_the_bot_hears_scheduled_events_without_privileged_intents() -> None:
    intents = bot_intents()
    assert intents.guild_scheduled_events and intents.guilds
    assert not intents.message_content and not intents.presences


async def test_the_live_discussion_commands_exist(tmp_path: Path) -> None:
    from bot.client import ILNBot, cog_modules
    from bot.clock import ManualClock
    from bot.config import Config
    from bot.store import Store
    from tests.helpers import START

    store = await Store.open(tmp_path / "iln.sqlite3")
    bot = ILNBot(
        Config(discord={"guild_id": 1, "coordinator_role": "C"}), store, ManualClock(START)
    )
    try:
        for module in cog_modules():
            await bot.load_extension(module)
        [group] = [c for c in bot.tree.get_commands(guild=bot.guild_object) if c.name == "event"]
        assert {c.name for c in group.commands} == {"schedule", "move", "cancel", "list"}
        assert f"`/{group.name} schedule TOPIC WHEN [LENGTH] [WHERE]`" in README
    finally:
        await bot.close()
        await store.close()
