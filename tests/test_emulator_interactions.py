"""Self-tests: slash options/subcommands, components, modals, deferrals and follow-ups."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.emulator import DiscordEmulator, DriverError, minimal_bot, running_client

pytestmark = pytest.mark.e2e


async def sync_guild(bot: commands.Bot, emulator: DiscordEmulator) -> None:
    guild = discord.Object(emulator.guild.id)  # type: ignore[union-attr]
    bot.tree.copy_global_to(guild=guild)
    await bot.tree.sync(guild=guild)


async def test_subcommand_groups_and_option_types(emulator: DiscordEmulator) -> None:
    bot = minimal_bot()
    seen: dict[str, object] = {}
    admin = app_commands.Group(name="iln", description="ILN admin")
    cohort = app_commands.Group(name="cohort", description="Cohorts", parent=admin)

    @cohort.command(description="Open a cohort")
    async def open(
        interaction: discord.Interaction,
        mentor: discord.Member,
        weeks: app_commands.Range[int, 1, 12],
        ratio: float,
        urgent: bool,
        where: discord.TextChannel,
        role: discord.Role,
        brief: discord.Attachment,
        note: str = "none",
    ) -> None:
        seen.update(
            mentor=mentor.id,
            weeks=weeks,
            ratio=ratio,
            urgent=urgent,
            where=where.id,
            role=role.id,
            brief=(brief.filename, await brief.read()),
            note=note,
        )
        await interaction.response.send_message("opened")

    bot.tree.add_command(admin)
    d = emulator.driver
    alice = await d.add_member("alice")
    mentors = await d.create_role("Mentors")
    general = await d.create_channel("general")
    async with running_client(emulator, bot):
        await sync_guild(bot, emulator)
        result = await d.invoke_slash(
            alice,
            "iln cohort open",
            {
                "mentor": alice,
                "weeks": 6,
                "ratio": 0.5,
                "urgent": True,
                "where": general,
                "role": mentors,
                "brief": ("brief.txt", b"hello"),
            },
            channel=general,
        )
        assert (await result.response()).content == "opened"
        with pytest.raises(DriverError, match="max_value"):
            await d.invoke_slash(
                alice,
                "iln cohort open",
                {
                    "mentor": alice,
                    "weeks": 13,
                    "ratio": 0.5,
                    "urgent": True,
                    "where": general,
                    "role": mentors,
                    "brief": ("b", b""),
                },
            )
        with pytest.raises(DriverError, match="subcommand"):
            await d.invoke_slash(alice, "iln")
    assert seen == {
        "mentor": alice.id,
        "weeks": 6,
        "ratio": 0.5,
        "urgent": True,
        "where": general.id,
        "role": mentors.id,
        "brief": ("brief.txt", b"hello"),
        "note": "none",
    }


class Feedback(discord.ui.Modal, title="Feedback"):
    answer: discord.ui.TextInput[Feedback] = discord.ui.TextInput(
        label="Answer", custom_id="answer"
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.answer.value}", ephemeral=True)


class Panel(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Give feedback", custom_id="panel:feedback")
    async def feedback(
        self, interaction: discord.Interaction, button: discord.ui.Button[Panel]
    ) -> None:
        await interaction.response.send_modal(Feedback())

    @discord.ui.select(
        custom_id="panel:pick",
        options=[
            discord.SelectOption(label="Red", value="red"),
            discord.SelectOption(label="Blue", value="blue"),
        ],
    )
    async def pick(
        self, interaction: discord.Interaction, select: discord.ui.Select[Panel]
    ) -> None:
        await interaction.response.edit_message(content=f"picked {select.values[0]}")


async def test_buttons_selects_and_modals(emulator: DiscordEmulator) -> None:
    bot = minimal_bot()

    @bot.tree.command(description="Show the panel")
    async def panel(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("panel", view=Panel())

    d = emulator.driver
    alice = await d.add_member("alice")
    bob = await d.add_member("bob")
    general = await d.create_channel("general")
    async with running_client(emulator, bot):
        await sync_guild(bot, emulator)
        shown = await (await d.invoke_slash(alice, "panel")).response()
        assert shown.message is not None and not shown.ephemeral
        clicked = await d.click_button(bob, shown.message, "panel:feedback")
        modal = (await clicked.response()).modal
        assert modal is not None and modal["title"] == "Feedback"
        with pytest.raises(DriverError):
            await d.submit_modal(alice, clicked, {"answer": "not mine"})
        submitted = await d.submit_modal(bob, clicked, {"answer": "great"})
        reply = await submitted.response()
        assert reply.content == "thanks: great" and reply.ephemeral
        picked = await d.select(alice, shown.message, "panel:pick", ["blue"])
        assert (await picked.response()).type == 7
        with pytest.raises(DriverError):
            await d.select(alice, shown.message, "panel:pick", ["green"])
    assert [m.content for m in d.messages(general)] == ["picked blue"]
    assert [m.content for m in d.visible_messages(bob, general)] == ["picked blue", "thanks: great"]
    assert [m.content for m in d.visible_messages(alice, general)] == ["picked blue"]


async def test_defer_followup_and_edit_original(emulator: DiscordEmulator) -> None:
    bot = minimal_bot()

    @bot.tree.command(description="Slow but polite")
    async def report(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send("step 1 done", ephemeral=True)
        extra = await interaction.followup.send("step 2 done", ephemeral=True, wait=True)
        await extra.edit(content="step 2 finished")
        await interaction.edit_original_response(content="all done")

    d = emulator.driver
    alice = await d.add_member("alice")
    await d.create_channel("general")
    async with running_client(emulator, bot):
        await sync_guild(bot, emulator)
        result = await d.invoke_slash(alice, "report")
        assert (await result.response()).deferred
        final = await result.message()
        await d.wait_for(lambda: final.content == "all done")
        [followup] = await result.followups(1)
        await d.wait_for(lambda: followup.content == "step 2 finished")
    assert final.ephemeral and followup.ephemeral
    assert [m.content for m in d.ephemeral_answers(alice)] == ["all done", "step 2 finished"]


async def test_autocomplete_offers_choices_for_what_is_typed(emulator: DiscordEmulator) -> None:
    """Type 4 interactions: the focused option holds the partial text, the options typed
    before it are there too, and the bot's type 8 answer is what the member sees."""
    bot = minimal_bot()
    cities = {"KE": ["Nairobi", "Mombasa"], "AU": ["Sydney", "Perth", "Darwin"]}
    seen: list[tuple[str | None, str]] = []
    group = app_commands.Group(name="trip", description="Trips")

    @group.command(description="Plan a trip")
    @app_commands.describe(country="Where", city="Which city", days="How long")
    async def plan(interaction: discord.Interaction, country: str, city: str, days: int) -> None:
        await interaction.response.send_message(f"{city}, {country}, {days} days")

    @plan.autocomplete("city")
    async def city_choices(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        country = interaction.namespace.country
        seen.append((country, current))
        if current == "long":
            return [app_commands.Choice(name="Too long a value", value="x" * 101)]
        return [
            app_commands.Choice(name=f"{c} ({country})", value=c.lower())
            for c in cities.get(country or "", [])
            if c.lower().startswith(current.lower())
        ]

    bot.tree.add_command(group)
    d = emulator.driver
    alice = await d.add_member("alice")
    await d.create_channel("general")
    async with running_client(emulator, bot):
        await sync_guild(bot, emulator)
        typed = await d.autocomplete(alice, "trip plan", {"country": "AU"}, focused="city")
        assert await typed.choices() == [
            {"name": "Sydney (AU)", "value": "sydney"},
            {"name": "Perth (AU)", "value": "perth"},
            {"name": "Darwin (AU)", "value": "darwin"},
        ]
        narrowed = await d.autocomplete(
            alice, "trip plan", {"country": "KE", "city": "mom"}, focused="city"
        )
        assert await narrowed.choices() == [{"name": "Mombasa (KE)", "value": "mombasa"}]
        # Nothing typed elsewhere yet: the required options may still be missing.
        empty = await d.autocomplete(alice, "trip plan", focused="city")
        assert await empty.choices() == []
        assert seen == [("AU", ""), ("KE", "mom"), (None, "")]
        # The member then sends the command with the value of the choice they picked.
        sent = await d.invoke_slash(
            alice, "trip plan", {"country": "KE", "city": "mombasa", "days": 3}
        )
        assert (await sent.message()).content == "mombasa, KE, 3 days"

        # A string choice's value is at most 100 characters (the docs; the spec says 6000).
        refused = await d.autocomplete(alice, "trip plan", {"city": "long"}, focused="city")
        await d.wait_for(
            lambda: any(
                e.route == "/interactions/{interaction_id}/{interaction_token}/callback"
                and e.status == 400
                for e in d.transcript
            ),
            message="the long choice was not refused",
        )
        assert not refused.interaction.acknowledged
        with pytest.raises(DriverError, match="no autocomplete"):
            await d.autocomplete(alice, "trip plan", focused="country")
        with pytest.raises(DriverError, match="unknown option"):
            await d.autocomplete(alice, "trip plan", {"town": "x"}, focused="city")
