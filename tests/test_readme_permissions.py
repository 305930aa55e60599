"""The README's permission integer and table are the bot's own list, and the live
discussion commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from bot.client import bot_intents
from bot.discord_adapter import REQUIRED_PERMISSIONS, required_permissions

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_the_readme_integer_is_the_bots_permissions() -> None:
    [integer] = re.findall(r"together they are the integer \*\*`(\d+)`\*\*", README)
    assert int(integer) == required_permissions().value


def test_every_required_permission_has_a_row_in_the_readme() -> None:
    rows = {
        row.lower() for row in re.findall(r"^\| ([A-Z][A-Za-z ]+) \| ", README, flags=re.MULTILINE)
    }
    as_discord_shows = {"view_channel": "view channels"}  # Discord's settings say it so
    for name in REQUIRED_PERMISSIONS:
        assert as_discord_shows.get(name, name.replace("_", " ")) in rows, name


def test_the_bot_hears_scheduled_events_without_privileged_intents() -> None:
    intents = bot_intents()
    assert intents.guild_scheduled_events and intents.guilds
    assert not intents.message_content and not intents.presences
