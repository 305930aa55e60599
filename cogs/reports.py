"""``/report round``, ``/report export`` and ``/audit``: what coordinators read about a round."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.away import parse_local_date
from bot.domain.calendar import format_local_date
from bot.domain.wording import plural
from bot.reports.figures import ROWS_PER_PAGE
from bot.services.errors import UserFacingError
from bot.services.reports import (
    EXPORTS,
    MAX_ATTACHMENTS,
    RECENT_DAYS,
    AuditView,
    ExportFile,
    Headline,
    ReportService,
    heatmap_pages_shown,
)
from bot.services.rounds import describe_state
from bot.store.models import AuditEntry
from cogs._shared import PoliteView, coordinator_only, program_of

if TYPE_CHECKING:
    from bot.client import ILNBot

EVERYTHING = "everything"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # what a bot may attach to one message
EMBED_TOTAL = 6000
REPORT_COLOUR = 0x2E6DA4
AUDIT_VIEW_SECONDS = 15 * 60


def discord_time(moment: Any, style: str = "f") -> str:
    """A time every reader sees in their own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fit(embed: discord.Embed) -> discord.Embed:
    """Trim the description, then field values from the last, until the embed is within
    Discord's 6,000 characters (each part is already cut to its own limit)."""
    over = len(embed) - EMBED_TOTAL
    if over > 0 and embed.description:
        embed.description = _cut(embed.description, max(1, len(embed.description) - over))
    for index in reversed(range(len(embed.fields))):
        over = len(embed) - EMBED_TOTAL
        if over <= 0:
            break
        field = embed.fields[index]
        value = field.value or ""
        embed.set_field_at(
            index,
            name=field.name or "-",
            value=_cut(value, max(1, len(value) - over)),
            inline=bool(field.inline),
        )
    return embed


# /report round ------------------------------------------------------------------------------


def report_embed(headline: Headline, pairs: int) -> discord.Embed:
    """The headline figures of a round, within Discord's embed limits whatever the data."""
    round_ = headline.round
    embed = discord.Embed(
        title=_cut(f"Round {round_.name}: report", 256),
        colour=REPORT_COLOUR,
        description=_cut(
            f"{describe_state(round_.state).capitalize()} · "
            f"{format_local_date(round_.starts_on)} to {format_local_date(round_.ends_on)}\n"
            f"Figures as of {discord_time(headline.as_of, 'F')} "
            f"({discord_time(headline.as_of, 'R')})",
            4096,
        ),
    )
    states = ", ".join(
        f"{count} {state.replace('_', ' ')}" for state, count in sorted(headline.by_state.items())
    )
    answers = headline.checkin_answers
    answered = sum(answers.values())
    fields = [
        ("Partnerships", f"{headline.partnerships} in all\n{states or 'none yet'}"),
        (
            "Quiet and ended early",
            f"{plural(headline.quiet, 'active pair')} quiet for {headline.quiet_days}+ days\n"
            f"{headline.ended_early} ended early",
        ),
        (
            f"Contact, last {RECENT_DAYS} days",
            f"{headline.in_touch_recently} of {headline.partnerships} pairs in touch\n"
            f"{headline.contact_days_recently} contact days",
        ),
        (
            "Check-ins",
            f"{answered} of {headline.checkins_asked} answered\n"
            f"great {answers['great']} · ok {answers['ok']} · "
            f"not working {answers['not_working']}",
        ),
        (
            "Nudges",
            f"{plural(headline.nudges, 'nudge')} to partners\n"
            f"{plural(headline.escalations, 'escalation')} to coordinators",
        ),
        ("Feedback", _feedback_text(headline)),
        (
            "Match quality",
            f"{headline.wishes_met} of {headline.wishes_stated} partner wishes met",
        ),
    ]
    for name, value in fields:
        embed.add_field(name=_cut(name, 256), value=_cut(value, 1024), inline=True)
    shown = min(pairs, heatmap_pages_shown(pairs) * ROWS_PER_PAGE)
    if shown < pairs:
        footer = (
            f"Heatmaps name the {shown} pairs most at risk of {pairs}; the contact overview "
            "counts every pair, /report export partnerships lists them all, and "
            "iln-bot report draws every page."
        )
    else:
        footer = "Heatmaps: most at risk first. CSVs: /report export."
    embed.set_footer(text=_cut(footer, 2048))
    return fit(embed)


def _feedback_text(headline: Headline) -> str:
    mean = headline.feedback_mean
    if mean is None:
        return "no ratings yet"
    spread = " · ".join(f"{rating}★ {count}" for rating, count in headline.feedback.items())
    return f"mean {mean:.1f} of 5 from {headline.feedback_count}\n{spread}"


def _files(named: list[tuple[str, bytes, str | None]]) -> list[discord.File]:
    """Attachments (with alt text when given), or a refusal when Discord would refuse."""
    total = sum(len(data) for _, data, _ in named)
    if len(named) > MAX_ATTACHMENTS or total > MAX_UPLOAD_BYTES:
        raise UserFacingError(
            "These files are too large for one Discord message; "
            "`iln-bot report --db FILE --round NAME --out DIR` writes them offline."
        )
    return [
        discord.File(io.BytesIO(data), filename=name, description=alt) for name, data, alt in named
    ]


@coordinator_only()
class ReportCommands(commands.GroupCog, group_name="report"):
    """Coordinators: charts and CSV exports of a round."""

    def __init__(self, bot: ILNBot, service: ReportService) -> None:
        self.bot = bot
        self.service = service

    @app_commands.command(name="round")
    @app_commands.rename(round_name="round")
    @app_commands.describe(round_name="The round's name, such as 2027A (default: the current one)")
    async def round_report(
        self, interaction: discord.Interaction[Any], round_name: str | None = None
    ) -> None:
        """Show a round's headline figures and charts."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        round_ = await self.service.round_named(round_name)
        report = await self.service.build(round_)
        charts = await self.service.charts(report)
        files = _files([(chart.filename, chart.png, _cut(chart.title, 1024)) for chart in charts])
        await interaction.followup.send(
            embed=report_embed(report.headline, report.pairs), files=files, ephemeral=True
        )

    @app_commands.command(name="export")
    @app_commands.rename(round_name="round")
    @app_commands.describe(
        what="Which CSV file", round_name="The round's name (default: the current one)"
    )
    @app_commands.choices(
        what=[app_commands.Choice(name=export.label, value=key) for key, export in EXPORTS.items()]
        + [app_commands.Choice(name="Everything", value=EVERYTHING)]
    )
    async def export(
        self, interaction: discord.Interaction[Any], what: str, round_name: str | None = None
    ) -> None:
        """Download a round's applications, partnerships, check-ins or feedback as CSV."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        round_ = await self.service.round_named(round_name)
        keys = list(EXPORTS) if what == EVERYTHING else [what]
        exports: list[ExportFile] = [await self.service.export(round_, key) for key in keys]
        files = _files([(export.filename, export.data, None) for export in exports])
        lines = ", ".join(f"{e.filename} ({e.rows} rows)" for e in exports)
        text = _cut(
            f"Round **{round_.name}**: {lines}. Spreadsheet-safe: no cell starts a formula.",
            2000,
        )
        await interaction.followup.send(text, files=files, ephemeral=True)


# /audit ------------------------------------------------------------------------------------


def audit_line(entry: AuditEntry) -> str:
    detail = ", ".join(f"{key}: {value}" for key, value in sorted(entry.detail.items()))
    text = f"{discord_time(entry.at)} · <@{entry.actor_id}> · **{entry.action}**"
    if detail:
        text += " · " + discord.utils.escape_markdown(_cut(detail, 240))
    return _cut(text, 400)


def audit_embed(view: AuditView, filters: str) -> discord.Embed:
    lines = [audit_line(entry) for entry in view.entries]
    description = "\n".join(lines) if lines else "No coordinator actions match."
    embed = discord.Embed(
        title="Coordinator actions, newest first",
        colour=REPORT_COLOUR,
        description=_cut(description, 4096),
    )
    embed.set_footer(
        text=_cut(
            f"Page {view.page + 1} of {view.pages} · {plural(view.total, 'action')}{filters}",
            2048,
        )
    )
    return fit(embed)


class AuditPager(PoliteView):
    """Previous and Next on an ephemeral audit list; only its coordinator sees it, and it
    stops after a while (run /audit again, or pass page=)."""

    def __init__(
        self,
        service: ReportService,
        actor_id: int | None,
        since: Any,
        filters: str,
        view: AuditView,
    ) -> None:
        super().__init__(timeout=AUDIT_VIEW_SECONDS)
        self.service = service
        self.actor_id = actor_id
        self.since = since
        self.filters = filters
        self.current = view
        self._sync()

    def _sync(self) -> None:
        self.previous.disabled = self.current.page == 0
        self.next.disabled = self.current.page + 1 >= self.current.pages

    async def _show(self, interaction: discord.Interaction[Any], page: int) -> None:
        self.current = await self.service.audit(actor_id=self.actor_id, since=self.since, page=page)
        self._sync()
        await interaction.response.edit_message(
            embed=audit_embed(self.current, self.filters), view=self
        )

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[AuditPager]
    ) -> None:
        await self._show(interaction, self.current.page - 1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[AuditPager]
    ) -> None:
        await self._show(interaction, self.current.page + 1)


class AuditCommands(commands.Cog):
    def __init__(self, bot: ILNBot, service: ReportService) -> None:
        self.bot = bot
        self.service = service

    @app_commands.command(name="audit")
    @app_commands.guild_only()
    @app_commands.describe(
        who="Only this coordinator's actions",
        since="Only actions on or after this date, e.g. 2027-03-01",
        page="Start at this page (10 actions each)",
    )
    @coordinator_only()
    async def audit(
        self,
        interaction: discord.Interaction[Any],
        who: discord.User | None = None,
        since: str | None = None,
        page: app_commands.Range[int, 1, 10_000] = 1,
    ) -> None:
        """List coordinator actions, newest first."""
        today = program_of(interaction).clock.now().date()
        since_day = None
        if since is not None:
            since_day = parse_local_date(since, today, reference=today - timedelta(days=364))
            if since_day > today:
                raise UserFacingError(
                    f"{format_local_date(since_day)} is in the future; give a past date."
                )
        actor_id = who.id if who is not None else None
        view = await self.service.audit(actor_id=actor_id, since=since_day, page=page - 1)
        filters = (f" · by {who.display_name}" if who else "") + (
            f" · since {format_local_date(since_day)}" if since_day else ""
        )
        embed = audit_embed(view, filters)
        if view.pages > 1:
            pager = AuditPager(self.service, actor_id, since_day, filters, view)
            await interaction.response.send_message(embed=embed, view=pager, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: ILNBot) -> None:
    service = bot.program.reports
    await bot.add_cog(ReportCommands(bot, service), guild=bot.guild_object)
    await bot.add_cog(AuditCommands(bot, service), guild=bot.guild_object)
