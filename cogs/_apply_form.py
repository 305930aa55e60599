"""The `/apply form` steps after the slash command: two modals around one message of
select menus, and a "Fix my answers" button whenever an answer is refused.

The slash command has already read the country, time zone and languages (by name, with
autocomplete). Then:

1. *About you* (modal): full name, what to call you, institution, e-mail, interests.
2. *Choices* (message): sector, career stage and the wishes about a partner as selects
   (Discord allows five inputs per modal and 25 options per select), and *Next*.
3. *Your hopes* (modal): hopes, partner's countries, a returning note, whether to show the
   e-mail to the partner (asked only when one was given), other ways to reach you.

Each modal's answers are checked when it is sent. A refused answer never loses what was
typed: the answer names every problem and carries *Fix my answers*, which opens the same
modal again with everything filled in (Discord cannot open a modal in answer to a modal).
A half-filled form lives in memory for 15 minutes; after a restart the applicant runs
`/apply form` again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import discord
from pydantic import ValidationError

from bot.domain.applications import (
    ANY,
    AT_THE_DOOR,
    LIMITS,
    Application,
    CareerStage,
    Sector,
    Whereabouts,
    problem_text,
)
from bot.domain.places import country_name
from cogs._shared import PoliteModal, PoliteView, answer, field_value, program_of

FORM_TIMEOUT = 15 * 60
EMAIL_LENGTH = 254  # the longest address the standards allow
INTERESTS_LENGTH = LIMITS.interests * (LIMITS.interest + 2)
PARTNER_COUNTRIES_LENGTH = 300

ABOUT_FIELDS = ("name", "preferred_name", "institution", "email", "interests")
HOPES_FIELDS = ("hopes", "partner_countries", "returning_note", "share_email", "other_contact")
# Optional in the model (an imported row may leave them out), asked for in the form.
FORM_REQUIRED = ("preferred_name", "hopes")

LABELS = {
    "name": "Full name",
    "preferred_name": "What we should call you",
    "institution": "Library or institution",
    "email": "E-mail",
    "interests": "Interests",
    "sector": "Your sector",
    "career_stage": "Your career stage",
    "hopes": "Hopes",
    "partner_countries": "Partner's countries",
    "returning_note": "Been in ILN before",
    "share_email": "Show your e-mail",
    "other_contact": "Other ways to reach you",
    "country": "Country",
    "timezone": "Time zone",
    "languages": "Languages",
}
SHOWN_GOT = 60  # quote a refused answer back only when it is this short


@dataclass
class Draft:
    """What the applicant has entered so far, as the model's field values."""

    values: dict[str, Any]
    complete: bool = False  # every step was answered once: the next good answer saves
    problems: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def start(
        cls, user: discord.abc.User, where: Whereabouts | None, existing: Application | None
    ) -> Draft:
        """A new form, from the application already sent (when there is one)."""
        if existing is None:
            values: dict[str, Any] = {"discord_id": user.id, "name": user.display_name}
        else:
            values = existing.model_dump()
            values["interests"] = ", ".join(existing.interests)
            values["partner_countries"] = "; ".join(
                sorted(country_name(code) for code in existing.partner_countries)
            )
            values["partner_sectors"] = sorted(s.value for s in existing.partner_sectors)
            values["partner_career_stages"] = sorted(
                s.value for s in existing.partner_career_stages
            )
            values["sector"] = existing.sector.value
            values["career_stage"] = existing.career_stage.value
        if where is not None:
            values.update(country=where.country, timezone=where.timezone, languages=where.languages)
        return cls(values)

    def text(self, key: str) -> str | None:
        value = self.values.get(key)
        return str(value) if value not in (None, "") else None

    def candidate(self) -> dict[str, Any]:
        """The values as the model reads them: lists typed with commas or semicolons (the
        draft keeps them as typed, for the form to show again), wishes left open as any."""
        values = dict(self.values)
        for key in ("interests", "partner_countries"):
            if isinstance(values.get(key), str):
                values[key] = _list(values[key])
        for key in ("partner_sectors", "partner_career_stages", "partner_countries"):
            values[key] = values.get(key) or ANY
        return values

    def validate(self) -> Application | None:
        """The application when every answer is good; otherwise None, with ``problems``
        naming each bad answer (fields not asked yet are not problems)."""
        problems: list[tuple[str, str]] = [
            (key, "a value is required")
            for key in FORM_REQUIRED
            if key in self.values and not str(self.values[key] or "").strip()
        ]
        application = None
        try:
            application = Application.model_validate(self.candidate(), context=AT_THE_DOOR)
        except ValidationError as error:
            for item in error.errors():
                key = str(item["loc"][0]) if item["loc"] else "form"
                if item["type"] == "missing" and key not in self.values:
                    continue
                if all(key != known for known, _ in problems):
                    problems.append((key, problem_text(item)))
        order = [*ABOUT_FIELDS, *HOPES_FIELDS]
        self.problems = sorted(problems, key=lambda p: order.index(p[0]) if p[0] in order else 0)
        return None if self.problems else application

    def problem_lines(self) -> str:
        lines = []
        for key, problem in self.problems:
            got = self.values.get(key)
            quoted = f" (got {got!r})" if isinstance(got, str) and len(got) <= SHOWN_GOT else ""
            lines.append(f"- **{LABELS.get(key, key)}**: {problem}{quoted}")
        return "\n".join(lines)


def _text(
    draft: Draft,
    key: str,
    label: str,
    *,
    max_length: int,
    required: bool = True,
    paragraph: bool = False,
    description: str | None = None,
    placeholder: str | None = None,
) -> discord.ui.Label[Any]:
    return discord.ui.Label(
        text=label,
        description=description,
        component=discord.ui.TextInput(
            custom_id=key,
            default=draft.text(key),
            max_length=max_length,
            required=required,
            placeholder=placeholder,
            style=discord.TextStyle.paragraph if paragraph else discord.TextStyle.short,
        ),
    )


def _list(text: str) -> str:
    """Accept commas as well as the form export's semicolons."""
    return "; ".join(part.strip() for part in text.replace(",", ";").split(";") if part.strip())


class AboutYouModal(PoliteModal, title="Apply: about you"):
    def __init__(self, draft: Draft) -> None:
        super().__init__(timeout=FORM_TIMEOUT)
        self.draft = draft
        self.name = _text(draft, "name", "Your full name", max_length=LIMITS.name)
        self.preferred_name = _text(
            draft,
            "preferred_name",
            "What should we call you?",
            max_length=LIMITS.preferred_name,
            description="The name your partner and our posts will greet you by.",
        )
        self.institution = _text(
            draft, "institution", "Library or institution", max_length=LIMITS.institution
        )
        self.email = _text(
            draft,
            "email",
            "E-mail (optional)",
            max_length=EMAIL_LENGTH,
            required=False,
            description="For the coordinators; you choose later whether your partner sees it.",
        )
        self.interests = _text(
            draft,
            "interests",
            "Professional interests (optional)",
            max_length=INTERESTS_LENGTH,
            required=False,
            description=f"Up to {LIMITS.interests}, separated by commas.",
            placeholder="e.g. open access, makerspaces, children's services",
        )
        for item in (self.name, self.preferred_name, self.institution, self.email, self.interests):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        self.draft.values.update(
            name=field_value(self.name),
            preferred_name=field_value(self.preferred_name),
            institution=field_value(self.institution),
            email=field_value(self.email),
            interests=field_value(self.interests),
        )
        if "email" in self.draft.values and not self.draft.values["email"].strip():
            self.draft.values["share_email"] = False
        await after_step(interaction, self.draft, ABOUT_FIELDS)


class HopesModal(PoliteModal, title="Apply: your hopes"):
    def __init__(self, draft: Draft) -> None:
        super().__init__(timeout=FORM_TIMEOUT)
        self.draft = draft
        self.hopes = _text(
            draft,
            "hopes",
            "What do you hope to get and give?",
            max_length=LIMITS.hopes,
            paragraph=True,
        )
        self.partner_countries = _text(
            draft,
            "partner_countries",
            "Partner's countries (optional)",
            max_length=PARTNER_COUNTRIES_LENGTH,
            required=False,
            description="Country names, separated by commas. Empty: any other country.",
        )
        self.returning_note = _text(
            draft,
            "returning_note",
            "Been in ILN before? What would you change?",
            max_length=LIMITS.returning_note,
            required=False,
            paragraph=True,
        )
        self.share_email: discord.ui.Label[Any] | None = None
        items: list[discord.ui.Label[Any]] = [
            self.hopes,
            self.partner_countries,
            self.returning_note,
        ]
        if draft.text("email"):
            shared = bool(draft.values.get("share_email"))
            asked = "share_email" in draft.values
            self.share_email = discord.ui.Label(
                text="Show your e-mail to your partner?",
                description=f"{draft.text('email')}"[:100],
                component=discord.ui.Select(
                    custom_id="share_email",
                    options=[
                        discord.SelectOption(
                            label="Yes, show my e-mail", value="yes", default=asked and shared
                        ),
                        discord.SelectOption(
                            label="No, only the coordinators see it",
                            value="no",
                            default=asked and not shared,
                        ),
                    ],
                ),
            )
            items.append(self.share_email)
        self.other_contact = _text(
            draft,
            "other_contact",
            "Other ways to reach you (optional)",
            max_length=LIMITS.other_contact,
            required=False,
            description="Shown to your partner as you write it.",
            placeholder="e.g. Skype: ada.okafor; WhatsApp after 6 pm",
        )
        items.append(self.other_contact)
        for item in items:
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        values = self.draft.values
        values.update(
            hopes=field_value(self.hopes),
            partner_countries=field_value(self.partner_countries),
            returning_note=field_value(self.returning_note),
            other_contact=field_value(self.other_contact),
        )
        if self.share_email is not None:
            select = self.share_email.component
            assert isinstance(select, discord.ui.Select)
            values["share_email"] = select.values == ["yes"]
        else:
            values["share_email"] = False
        self.draft.complete = True
        await after_step(interaction, self.draft, HOPES_FIELDS)


async def after_step(
    interaction: discord.Interaction[Any], draft: Draft, fields: tuple[str, ...]
) -> None:
    """What follows a modal: its problems with *Fix my answers*, the next step, or (once
    every step was answered) the application saved or every remaining problem."""
    application = draft.validate()
    mine = [p for p in draft.problems if p[0] in fields]
    if mine or (draft.complete and application is None):
        step = fields if mine else _step_of(draft.problems[0][0])
        draft.problems = mine or draft.problems
        await answer(
            interaction,
            "Please fix this and send it again; everything you typed is kept:\n"
            + draft.problem_lines(),
            view=FixView(draft, step),
        )
        return
    if not draft.complete:
        await answer(
            interaction,
            "Now choose what describes you, and what partner you would like:",
            view=ChoicesView(draft),
        )
        return
    assert application is not None
    updated = await program_of(interaction).matching.submit(application)
    await answer(
        interaction,
        ("Your application is updated." if updated else "Thank you, your application is in!")
        + " `/apply status` shows it; you can change it until applications close.",
    )


def _step_of(key: str) -> tuple[str, ...]:
    return HOPES_FIELDS if key in HOPES_FIELDS else ABOUT_FIELDS


def modal_for(draft: Draft, step: tuple[str, ...]) -> discord.ui.Modal:
    return HopesModal(draft) if step == HOPES_FIELDS else AboutYouModal(draft)


class FixView(PoliteView):
    """*Fix my answers*: the modal with the refused answers, everything filled in."""

    def __init__(self, draft: Draft, step: tuple[str, ...]) -> None:
        super().__init__(timeout=FORM_TIMEOUT)
        self.draft = draft
        self.step = step

    @discord.ui.button(label="Fix my answers", style=discord.ButtonStyle.primary)
    async def fix(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.send_modal(modal_for(self.draft, self.step))


class ChoicesView(PoliteView):
    def __init__(self, draft: Draft) -> None:
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
