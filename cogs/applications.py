"""`/apply`: an applicant's own form in Discord; `/applicants import`: a form export.

`/apply form country: timezone: languages:` takes the three answers that have hundreds of
possible values as slash options with Discord's autocomplete: an applicant types a few
letters of their country's name in their own way ("kenya", "Côte d'Ivoire", "South
Korea") and picks it, then sees only that country's time zones, each with its current UTC
offset, then completes a comma-separated list of languages. That is one familiar step,
where select menus (25 options) would need a search step per answer and modals cannot
autocomplete at all. A bad answer is refused at once, before any modal, naming the closest
names. The rest of the form is in ``cogs._apply_form``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ILNBot
from bot.domain.applications import Application, FormProblems, read_whereabouts
from bot.domain.places import (
    countries,
    country_name,
    find_country,
    languages,
    search_countries,
    search_languages,
    search_zones,
    timezone_label,
    zone_label,
    zones_of,
)
from bot.posts._text import flag
from bot.store.models import RoundState
from bot.ui import FixedButton, button_row
from cogs._apply_form import LABELS, AboutYouModal, Draft
from cogs._shared import answer, coordinator_only, polite, program_of
from cogs.privacy import NoticeFirst, notice_embed
from cogs.withdraw import open_withdraw_form

MAX_CSV_BYTES = 2_000_000
CHOICE_LENGTH = 100  # Discord's limit on an autocomplete choice's name and value


class ApplyCommands(commands.GroupCog, group_name="apply"):
    """Apply to the current round, or see what you sent."""

    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @app_commands.command(name="form")
    @app_commands.describe(
        country="The country you work in: type a few letters of its name and pick it",
        timezone="Your time zone: pick your city or region (your country's zones are listed)",
        languages="Languages you can work in, separated by commas, e.g. English, Swahili",
    )
    async def form(
        self,
        interaction: discord.Interaction[Any],
        country: app_commands.Range[str, 1, CHOICE_LENGTH],
        timezone: app_commands.Range[str, 1, CHOICE_LENGTH],
        languages: app_commands.Range[str, 1, 300],
    ) -> None:
        """Fill in (or change) your application while applications are open."""
        matching = program_of(interaction).matching
        await matching.open_round()
        try:
            where = read_whereabouts(country, timezone, languages)
        except FormProblems as problems:
            await answer(
                interaction,
                "Please run `/apply form` again and pick from the lists as you type:\n"
                + "\n".join(f"- **{LABELS[key]}**: {text}" for key, text in problems.problems),
            )
            return
        _, existing = await matching.application_of(interaction.user.id)
        draft = Draft.start(interaction.user, where, existing)
        if existing is None:  # a first application: what the program keeps, before it asks
            program = program_of(interaction)
            await answer(interaction, embed=notice_embed(program), view=NoticeFirst(draft))
            return
        await interaction.response.send_modal(AboutYouModal(draft))

    @form.autocomplete("country")
    async def country_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(
                name=f"{place.name} ({place.code})"[:CHOICE_LENGTH], value=place.code
            )
            for place in search_countries(current)
        ]

    @form.autocomplete("timezone")
    async def timezone_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        now = program_of(interaction).clock.now()
        return [
            app_commands.Choice(name=name, value=value)
            for name, value in zone_choices(interaction.namespace.country, current, now)
        ]

    @form.autocomplete("languages")
    async def language_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=listed, value=listed) for listed in language_lists(current)
        ]

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        """Show your application as the coordinators see it, with Edit and Withdraw."""
        program = program_of(interaction)
        round_, existing = await program.matching.application_of(interaction.user.id)
        if existing is None:
            await answer(
                interaction, f"You have not applied to **{round_.name}** yet: `/apply form`."
            )
            return
        is_open = round_.state is RoundState.APPLICATIONS_OPEN
        await answer(
            interaction,
            "To change your country, time zone or languages, run `/apply form` with the new "
            "ones; *Edit* changes the rest."
            if is_open
            else None,
            embed=application_embed(round_.name, existing, program.clock.now()),
            view=button_row((EditItem(), WithdrawItem()) if is_open else (WithdrawItem(),)),
        )

    @app_commands.command(name="withdraw")
    async def withdraw(self, interaction: discord.Interaction[Any]) -> None:
        """Withdraw your application (after matching, the coordinators arrange it)."""
        await open_withdraw_form(interaction)


def zone_choices(country: str | None, typed: str, now: datetime) -> list[tuple[str, str]]:
    """``(label, IANA name)`` for the zones of the country chosen so far that match what
    was typed; every country's matching zones while no country is chosen."""
    try:
        code = find_country(country) if country else None
    except ValueError:
        code = None
    if code is not None and zones_of(code):
        return [(zone_label(z, now), z.name) for z in search_zones(code, typed, now)]
    found: list[tuple[str, str]] = []
    for place in countries().places:
        for zone in search_zones(place.code, typed, now):
            label = f"{zone_label(zone, now)}, {place.name}"[:CHOICE_LENGTH]
            found.append((label, zone.name))
            if len(found) == 25:
                return found
    return found


def language_lists(typed: str) -> list[str]:
    """Completions of a comma-separated list of languages: the languages written so far
    (by their names) followed by each language matching the last, unfinished one."""
    parts = [part.strip() for part in re.split(r"[,;]", typed)]
    done, last = parts[:-1], parts[-1]
    names = []
    for part in done:
        code = languages().exact(part) if part else None
        names.append(languages().by_code[code].name if code else part)
    names = [name for name in names if name]
    chosen = set(names)
    written = ", ".join(names)
    lists = [written] if names and not last and len(written) <= CHOICE_LENGTH else []
    for place in search_languages(last):
        if place.name not in chosen:
            listed = ", ".join([*names, place.name])
            if len(listed) <= CHOICE_LENGTH:
                lists.append(listed)
    return lists[:25]


def application_embed(round_name: str, application: Application, now: datetime) -> discord.Embed:
    """The whole application, as a coordinator sees it in the preview and the export."""

    def listed(values: Any) -> str:
        return ", ".join(sorted(str(v) for v in values)) or "any"

    if application.email is None:
        email = "not given"
    elif application.share_email:
        email = f"{application.email} (shown to your partner)"
    else:
        email = f"{application.email} (for the coordinators only)"
    partner_countries = (
        listed(country_name(code) for code in application.partner_countries)
        if application.partner_countries
        else "any other country"
    )
    embed = discord.Embed(title=f"Your application to {round_name}")
    for name, value in (
        ("Full name", application.name),
        ("We call you", application.called),
        ("E-mail", email),
        ("Other ways to reach you (shown to your partner)", application.other_contact or "none"),
        ("Institution", application.institution),
        ("Sector", application.sector.value),
        ("Career stage", application.career_stage.value),
        ("Country", f"{flag(application.country)} {country_name(application.country)}"),
        ("Time zone", timezone_label(application.timezone, now)),
        ("Languages", ", ".join(languages().by_code[c].name for c in application.languages)),
        ("Interests", ", ".join(application.interests) or "none given"),
        ("Partner's sector", listed(s.value for s in application.partner_sectors)),
        ("Partner's career stage", listed(s.value for s in application.partner_career_stages)),
        ("Partner's country", partner_countries),
        ("Hopes", application.hopes or "none given"),
        ("Been in ILN before", application.returning_note or "no note"),
    ):
        embed.add_field(name=name, value=value[:1024], inline=len(value) < 30)
    return embed


class EditItem(FixedButton, fixed_id="iln:apply:edit"):
    """*Edit* under `/apply status`: the form again, every answer filled in."""

    label = "Edit"
    style = discord.ButtonStyle.primary

    @polite
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        matching = program_of(interaction).matching
        await matching.open_round()
        _, existing = await matching.application_of(interaction.user.id)
        if existing is None:
            await answer(interaction, "You have no application to edit: run `/apply form`.")
            return
        await interaction.response.send_modal(
            AboutYouModal(Draft.start(interaction.user, None, existing))
        )


class WithdrawItem(FixedButton, fixed_id="iln:apply:withdraw"):
    """*Withdraw* under `/apply status`: the `/apply withdraw` form, whose submit button is
    the confirmation."""

    label = "Withdraw"
    style = discord.ButtonStyle.danger

    @polite
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await open_withdraw_form(interaction)


DYNAMIC_ITEMS = (EditItem, WithdrawItem)


@coordinator_only()
class ApplicantCommands(commands.GroupCog, group_name="applicants"):
    """Coordinators' applicant tools."""

    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @app_commands.command(name="import")
    @app_commands.describe(file="CSV export of the application form (see the README)")
    async def import_csv(
        self, interaction: discord.Interaction[Any], file: discord.Attachment
    ) -> None:
        """Import applications from a CSV file: all rows or none."""
        if file.size > MAX_CSV_BYTES:
            await answer(interaction, "That file is over 2 MB; is it the right export?")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        text = (await file.read()).decode("utf-8-sig", errors="replace")
        report = await program_of(interaction).matching.import_csv(text, interaction.user.id)
        await answer(interaction, f"Imported: {report.added} added, {report.updated} updated.")


async def setup(bot: ILNBot) -> None:
    await bot.add_cog(ApplyCommands(bot), guild=bot.guild_object)
    await bot.add_cog(ApplicantCommands(bot), guild=bot.guild_object)
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
