"""`/apply`: an applicant's own form in Discord; `/applicants import`: a form export.

The form is two short modals around one message of select menus, because Discord allows
five inputs per modal and 25 options per select: fixed choices (sector, career stage and
the wishes about a partner) are selects, free text is typed. A half-filled form lives in
memory for 15 minutes; after a bot restart the applicant simply runs `/apply form` again.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from pydantic import ValidationError

from bot.client import ILNBot
from bot.domain.applications import Application, CareerStage, Sector
from cogs._shared import (
    PoliteModal,
    answer,
    coordinator_only,
    field_value,
    program_of,
    report_error,
    text_field,
)

FORM_TIMEOUT = 15 * 60
MAX_CSV_BYTES = 2_000_000
ANY = "any"


class ApplyCommands(commands.GroupCog, group_name="apply"):
    """Apply to the current round, or see what you sent."""

    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @app_commands.command(name="form")
    async def form(self, interaction: discord.Interaction[Any]) -> None:
        """Fill in (or change) your application while applications are open."""
        _, existing = await program_of(interaction).matching.application_of(interaction.user.id)
        draft = _Draft.from_application(existing, interaction.user)
        await interaction.response.send_modal(AboutYouModal(draft))

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        """Show the application you submitted for the current round."""
        round_, existing = await program_of(interaction).matching.application_of(
            interaction.user.id
        )
        if existing is None:
            await answer(interaction, f"You have not applied to **{round_.name}** yet.")
            return
        await answer(interaction, embed=application_embed(round_.name, existing))

    @app_commands.command(name="withdraw")
    async def withdraw(self, interaction: discord.Interaction[Any]) -> None:
        """Withdraw your application (after matching, the coordinators arrange it)."""
        from cogs.withdraw import open_withdraw_form  # the form lives beside its service

        await open_withdraw_form(interaction)


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


class _Draft:
    """What the applicant has entered so far."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    @classmethod
    def from_application(cls, existing: Application | None, user: discord.abc.User) -> _Draft:
        if existing is None:
            return cls({"discord_id": user.id, "name": user.display_name})
        values = existing.model_dump()
        for key in ("languages", "interests", "partner_countries"):
            values[key] = "; ".join(
                sorted(values[key]) if key == "partner_countries" else values[key]
            )
        values["partner_sectors"] = sorted(s.value for s in existing.partner_sectors)
        values["partner_career_stages"] = sorted(s.value for s in existing.partner_career_stages)
        return cls(values)

    def text(self, key: str) -> str | None:
        value = self.values.get(key)
        return str(value) if value not in (None, "") else None


def _field(draft: _Draft, key: str, label: str, **options: Any) -> discord.ui.Label[Any]:
    return text_field(label, key, draft.text(key), **options)


class AboutYouModal(PoliteModal, title="Apply: about you"):
    def __init__(self, draft: _Draft) -> None:
        super().__init__(timeout=FORM_TIMEOUT)
        self.draft = draft
        self.institution = _field(draft, "institution", "Library or institution", max_length=200)
        self.country = _field(
            draft, "country", "Country (2-letter code, e.g. KE)", min_length=2, max_length=2
        )
        self.timezone = _field(draft, "timezone", "Time zone (e.g. Africa/Nairobi)", max_length=64)
        self.languages = _field(
            draft, "languages", "Languages you can use (codes, e.g. en; sw)", max_length=100
        )
        self.interests = _field(
            draft,
            "interests",
            "Professional interests (separate with ;)",
            max_length=300,
            required=False,
        )
        for item in (self.institution, self.country, self.timezone, self.languages, self.interests):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        self.draft.values.update(
            institution=field_value(self.institution),
            country=field_value(self.country).upper(),
            timezone=field_value(self.timezone).strip(),
            languages=_list(field_value(self.languages)),
            interests=_list(field_value(self.interests)),
        )
        view = ChoicesView(self.draft)
        await interaction.response.send_message(
            "Now choose what describes you, and what partner you would like:",
            view=view,
            ephemeral=True,
        )


class ChoicesView(discord.ui.View):
    def __init__(self, draft: _Draft) -> None:
        super().__init__(timeout=FORM_TIMEOUT)
        self.draft = draft
        values = draft.values
        self.add_item(_Select("sector", "Your sector", Sector, values, multiple=False))
        self.add_item(
            _Select("career_stage", "Your career stage", CareerStage, values, multiple=False)
        )
        self.add_item(
            _Select(
                "partner_sectors", "Partner's sector (any if none)", Sector, values, multiple=True
            )
        )
        self.add_item(
            _Select(
                "partner_career_stages",
                "Partner's career stage (any if none)",
                CareerStage,
                values,
                multiple=True,
            )
        )

    @discord.ui.button(label="Next", style=discord.ButtonStyle.primary, row=4)
    async def next_step(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        missing = [
            label
            for key, label in (("sector", "your sector"), ("career_stage", "your career stage"))
            if not self.draft.values.get(key)
        ]
        if missing:
            await answer(interaction, "Please choose " + " and ".join(missing) + " first.")
            return
        await interaction.response.send_modal(HopesModal(self.draft))

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: Any
    ) -> None:
        await report_error(interaction, error)


class _Select(discord.ui.Select[ChoicesView]):
    def __init__(
        self, key: str, placeholder: str, choices: Any, values: dict[str, Any], *, multiple: bool
    ) -> None:
        chosen = values.get(key) or []
        chosen = [chosen] if isinstance(chosen, str) else [str(c) for c in chosen]
        super().__init__(
            placeholder=placeholder,
            min_values=0 if multiple else 1,
            max_values=len(choices) if multiple else 1,
            options=[
                discord.SelectOption(
                    label=c.value.capitalize(), value=c.value, default=c.value in chosen
                )
                for c in choices
            ],
        )
        self.key = key
        self.multiple = multiple

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        assert self.view is not None
        self.view.draft.values[self.key] = list(self.values) if self.multiple else self.values[0]
        await interaction.response.defer()


class HopesModal(PoliteModal, title="Apply: your hopes"):
    def __init__(self, draft: _Draft) -> None:
        super().__init__(timeout=FORM_TIMEOUT)
        self.draft = draft
        self.hopes = _field(
            draft,
            "hopes",
            "What do you hope to get and give?",
            style=discord.TextStyle.paragraph,
            max_length=1000,
        )
        self.partner_countries = _field(
            draft,
            "partner_countries",
            "Partner's country codes (empty: any other)",
            max_length=200,
            required=False,
        )
        self.returning_note = _field(
            draft,
            "returning_note",
            "Been in ILN before? What would you change?",
            style=discord.TextStyle.paragraph,
            max_length=1000,
            required=False,
        )
        for item in (self.hopes, self.partner_countries, self.returning_note):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        values = self.draft.values | {
            "hopes": field_value(self.hopes),
            "partner_countries": _list(field_value(self.partner_countries)) or ANY,
            "returning_note": field_value(self.returning_note),
            "partner_sectors": self.draft.values.get("partner_sectors") or ANY,
            "partner_career_stages": self.draft.values.get("partner_career_stages") or ANY,
        }
        try:
            application = Application.model_validate(values)
        except ValidationError as error:
            await answer(
                interaction,
                "Please fix and run `/apply form` again:\n"
                + "\n".join(_problem(e) for e in error.errors()),
            )
            return
        updated = await program_of(interaction).matching.submit(application)
        await answer(
            interaction,
            ("Your application is updated." if updated else "Thank you, your application is in!")
            + " `/apply status` shows it; you can change it until applications close.",
        )


def application_embed(round_name: str, application: Application) -> discord.Embed:
    def listed(values: Any) -> str:
        return ", ".join(sorted(str(v) for v in values)) or "any"

    embed = discord.Embed(title=f"Your application to {round_name}")
    for name, value in (
        ("Institution", application.institution),
        ("Sector", application.sector.value),
        ("Career stage", application.career_stage.value),
        ("Country", application.country),
        ("Time zone", application.timezone),
        ("Languages", ", ".join(application.languages)),
        ("Interests", ", ".join(application.interests) or "none given"),
        ("Partner's sector", listed(application.partner_sectors)),
        ("Partner's career stage", listed(application.partner_career_stages)),
        (
            "Partner's country",
            listed(application.partner_countries)
            if application.partner_countries
            else "any other country",
        ),
        ("Hopes", application.hopes or "none given"),
    ):
        embed.add_field(name=name, value=value[:1024], inline=len(value) < 30)
    return embed


def _list(text: str) -> str:
    """Accept commas as well as the form export's semicolons."""
    return "; ".join(part.strip() for part in text.replace(",", ";").split(";") if part.strip())


_FIELD_LABELS = {
    "country": "Country",
    "timezone": "Time zone",
    "languages": "Languages",
    "partner_countries": "Partner's country",
    "institution": "Institution",
    "hopes": "Hopes",
    "interests": "Interests",
}


def _problem(error: Any) -> str:
    field = str(error["loc"][0]) if error["loc"] else "form"
    message = error["msg"].removeprefix("Value error, ")
    return f"- {_FIELD_LABELS.get(field, field)}: {message} (got {error['input']!r})"


async def setup(bot: ILNBot) -> None:
    await bot.add_cog(ApplyCommands(bot), guild=bot.guild_object)
    await bot.add_cog(ApplicantCommands(bot), guild=bot.guild_object)
