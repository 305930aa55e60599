"""Round reports, CSV exports and the audit log: what coordinators read about a round.

``/report round``, ``/report export``, ``/audit`` and the offline ``iln-bot report`` all
come through :class:`ReportService`; the simulation (and anything else that wants the
files) calls :func:`write_report`. Contact health comes from :class:`HealthReport`, the
same figures as ``/pair health``, never re-derived here.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.clock import Clock, ManualClock
from bot.config import Config
from bot.domain.applications import APPLICATION_COLUMNS as IMPORT_COLUMNS
from bot.domain.applications import application_row
from bot.domain.spreadsheet import Cell, csv_bytes
from bot.reports import figures as fig
from bot.services.contact import HealthReport, PairHealth
from bot.services.errors import UserFacingError
from bot.services.ports import Disconnected
from bot.store import Store
from bot.store.models import AuditEntry, Round, RoundState
from bot.store.reports import ReportPartnership

if TYPE_CHECKING:
    from bot.reports.charts import Chart

RECENT_DAYS = 14
AUDIT_PAGE_SIZE = 10
MAX_ATTACHMENTS = 10  # Discord's limit per message
# /report round shows the 100 pairs most at risk by name (two heatmap pages of 50) beside
# the overview that counts every pair: each named row costs ~8 ms to draw, so naming all
# of a 1,000-pair round would take seconds a coordinator waits for. Offline, every page.
DISCORD_HEATMAP_PAGES = 2
NAME_IN_CHART = 26
OFFLINE_DISCORD = {"guild_id": 1, "coordinator_role": "ILN Coordinators"}


# What a report says ----------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """The figures at the top of ``/report round``."""

    round: Round
    as_of: datetime
    partnerships: int
    by_state: dict[str, int]
    quiet: int  # active pairs with no contact for ``quiet_days``
    quiet_days: int
    ended_early: int
    in_touch_recently: int  # pairs with contact in the last RECENT_DAYS days
    contact_days_recently: int
    checkins_asked: int
    checkin_answers: dict[str, int]  # great, ok, not_working
    nudges: int
    escalations: int
    feedback: dict[int, int]  # rating 1-5 -> how many partners gave it
    wishes_stated: int
    wishes_met: int

    @property
    def feedback_count(self) -> int:
        return sum(self.feedback.values())

    @property
    def feedback_mean(self) -> float | None:
        count = self.feedback_count
        if not count:
            return None
        return sum(rating * n for rating, n in self.feedback.items()) / count


@dataclass(frozen=True)
class RoundReport:
    headline: Headline
    figures: fig.ReportFigures

    @property
    def pairs(self) -> int:
        return len(self.figures.contact.rows)


@dataclass(frozen=True)
class ExportFile:
    filename: str
    data: bytes
    rows: int


@dataclass(frozen=True)
class AuditView:
    entries: list[AuditEntry]
    page: int  # 0-based, clamped to the pages there are
    pages: int
    total: int


# Exports ---------------------------------------------------------------------------------

RowsFor = Callable[["ReportService", Round], Awaitable[list[Sequence[Cell]]]]


@dataclass(frozen=True)
class Export:
    """One CSV a coordinator can ask for: adding a kind of export is adding one of these to
    :data:`EXPORTS` (the command's choices are built from it)."""

    key: str
    label: str
    columns: tuple[str, ...]
    rows: RowsFor


# The import file's columns, so an export can be edited and imported again.
APPLICATION_COLUMNS = tuple(IMPORT_COLUMNS)
PARTNERSHIP_COLUMNS = (
    "partnership",
    "state",
    "members",
    "created_at",
    "ended_at",
    "ended_early",
    "match_score",
    "wishes_stated",
    "wishes_met",
    "shared_working_hours",
    "contact_days",
    f"contact_days_last_{RECENT_DAYS}",
    "nudges_total",
    "escalations_total",
    # From HealthReport (as /pair health shows them); empty for pairs it does not cover.
    "risk",
    "label",
    "last_contact",
    "days_since_contact",
    "contacts_per_fortnight",
    "nudges_unanswered",
    "escalated",
    "away",
    "latest_checkins",
)
CHECKIN_COLUMNS = (
    "partnership",
    "participant_id",
    "name",
    "checkin",
    "asked_at",
    "answered_at",
    "rating",
    "comment",
)
FEEDBACK_COLUMNS = ("partnership", "participant_id", "name", "rating", "comment", "at")


async def _application_rows(service: ReportService, round_: Round) -> list[Sequence[Cell]]:
    return [application_row(app) for app in await service.store.people.applications(round_.id)]


async def _partnership_rows(service: ReportService, round_: Round) -> list[Sequence[Cell]]:
    context = await service.read(round_)
    rows: list[Sequence[Cell]] = []
    recent_from = context.as_of.date() - timedelta(days=RECENT_DAYS - 1)
    for p in sorted(context.partnerships, key=lambda p: (p.name.casefold(), p.id)):
        days = context.days.get(p.id, [])
        wishes = context.wishes.get(p.id)
        hours = context.hours.get(p.id)
        health = context.health.get(p.id)
        nudges = context.nudge_kinds.get(p.id, Counter())
        rows.append(
            [
                p.name,
                p.state,
                "; ".join(_member_name(m.participant_id, m.name) for m in p.members),
                p.created_at,
                p.ended_at,
                _ended_early(p, round_),
                round(p.score, 2),
                wishes.stated if wishes else None,
                wishes.met if wishes else None,
                hours,
                len(days),
                sum(1 for day in days if day >= recent_from),
                nudges["quiet"] + nudges["one_sided"],
                nudges["escalation"],
                *(_health_cells(health) if health else [None] * 9),
            ]
        )
    return rows


def _health_cells(row: PairHealth) -> list[Cell]:
    return [
        round(row.risk, 2),
        row.label,
        row.last_contact,
        row.days_since_contact,
        row.contacts_per_fortnight,
        row.nudges,
        row.escalated,
        row.away,
        "; ".join(row.checkins),
    ]


async def _checkin_rows(service: ReportService, round_: Round) -> list[Sequence[Cell]]:
    return [
        [
            row.partnership,
            row.participant_id,
            _member_name(row.participant_id, row.name),
            row.sequence,
            row.asked_at,
            row.answered_at,
            (row.rating or "").replace("_", " ") or None,
            row.comment,
        ]
        for row in await service.store.reports.checkin_rows(round_.id)
    ]


async def _feedback_rows(service: ReportService, round_: Round) -> list[Sequence[Cell]]:
    return [
        [
            row.partnership,
            row.participant_id,
            _member_name(row.participant_id, row.name),
            row.rating,
            row.comment,
            row.at,
        ]
        for row in await service.store.reports.feedback_rows(round_.id)
    ]


EXPORTS: dict[str, Export] = {
    export.key: export
    for export in (
        Export("applications", "Applications", APPLICATION_COLUMNS, _application_rows),
        Export("partnerships", "Partnerships with health", PARTNERSHIP_COLUMNS, _partnership_rows),
        Export("checkins", "Check-in answers", CHECKIN_COLUMNS, _checkin_rows),
        Export("feedback", "Feedback ratings and comments", FEEDBACK_COLUMNS, _feedback_rows),
        # "cases" joins here with the cases issue: Export("cases", "Cases", ..., _case_rows).
    )
}


# The service -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundData:
    """What one read of the store says about a round, shared by the report and exports."""

    as_of: datetime
    partnerships: list[ReportPartnership]
    days: dict[int, list[date]]
    health: dict[int, PairHealth]
    wishes: dict[int, fig.PairWishes]
    hours: dict[int, float | None]
    nudge_kinds: dict[int, Counter[str]]
    nudge_times: dict[str, list[datetime]]


class ReportService:
    def __init__(self, store: Store, clock: Clock, config: Config, health: HealthReport) -> None:
        self.store = store
        self._clock = clock
        self._config = config
        self._health = health
        # Drawing takes a second or two of CPU in a worker thread; one report at a time
        # keeps two coordinators' requests from slowing each other (and the bot) down.
        self._drawing = asyncio.Lock()

    # Rounds ------------------------------------------------------------------------------

    async def round_named(self, name: str | None) -> Round:
        """The round called ``name``; without a name, the running round, else the latest
        that has started, else the newest."""
        rounds = await self.store.rounds.all()
        if name is not None and name.strip():
            wanted = name.strip().casefold()
            found = [r for r in rounds if r.name.casefold() == wanted]
            if found:
                return found[0]
            known = ", ".join(f"`{r.name}`" for r in rounds[-10:]) or "none yet"
            raise UserFacingError(
                f"There is no round called `{_shorten(name.strip(), 40)}`. Rounds: {known}."
            )
        if not rounds:
            raise UserFacingError("There are no rounds yet. Create one with `/round create`.")
        running = [r for r in rounds if r.state is RoundState.RUNNING]
        started = [r for r in rounds if r.state in (RoundState.RUNNING, RoundState.ENDED)]
        return (running or started or rounds)[-1]

    def as_of(self, round_: Round) -> datetime:
        """The moment a report describes: now, or the round's end once it is over."""
        after_end = datetime.combine(round_.ends_on + timedelta(days=1), time(0), tzinfo=UTC)
        if round_.state is RoundState.ENDED:
            return after_end
        return min(self._clock.now(), after_end)

    # The report --------------------------------------------------------------------------

    async def build(self, round_: Round) -> RoundReport:
        """The headline figures and the numbers behind every chart of a round."""
        data = await self.read(round_)
        first, last = round_.starts_on, round_.ends_on
        starts = fig.week_starts(first, last)
        as_of_day = data.as_of.date()
        rows = []
        for p in data.partnerships:
            active_from = max(first, p.created_at.date())
            active_until = min(as_of_day, _left_on(p) or as_of_day)
            rows.append(
                fig.HeatmapRow(
                    p.id,
                    _chart_label(p, round_, data.health.get(p.id)),
                    fig.contact_weeks(starts, data.days.get(p.id, []), active_from, active_until),
                )
            )
        order = {p.id: self._risk_order(p, data) for p in data.partnerships}
        rows.sort(key=lambda row: order[row.partnership_id])
        answers = await self.store.reports.checkin_answers(round_.id)
        figures = fig.ReportFigures(
            round_name=round_.name,
            as_of=min(as_of_day, last),
            contact=fig.ContactWeeks(starts, tuple(rows), _sort_note(data)),
            checkins=fig.checkin_months(first, last, answers),
            fortnights=fig.fortnight_counts(first, last, data.nudge_times),
            match=fig.MatchQuality(
                tuple(data.wishes.values()),
                tuple(h for h in data.hours.values() if h is not None),
            ),
        )
        return RoundReport(await self._headline(round_, data, answers), figures)

    async def charts(self, report: RoundReport, *, for_discord: bool = True) -> list[Chart]:
        """The report's PNGs. For Discord, :data:`DISCORD_HEATMAP_PAGES` heatmap pages of
        the riskiest pairs and the four other charts; offline, every heatmap page."""
        # matplotlib takes a second or more to import: the bot pays it at the first report,
        # not at every start-up.
        from bot.reports.charts import draw_report

        pages = DISCORD_HEATMAP_PAGES if for_discord else None
        async with self._drawing:
            return await asyncio.to_thread(draw_report, report.figures, heatmap_pages=pages)

    async def read(self, round_: Round) -> RoundData:
        as_of = self.as_of(round_)
        partnerships = await self.store.reports.partnerships(round_.id)
        days = await self.store.reports.contact_days(round_.id, as_of)
        health = {row.partnership_id: row for row in await self._health.rows(round_)}
        profiles = await self.store.reports.match_profiles(round_.id)
        wishes: dict[int, fig.PairWishes] = {}
        hours: dict[int, float | None] = {}
        for p in partnerships:
            found = [profiles[m.participant_id] for m in p.members if m.participant_id in profiles]
            if len(found) == len(p.members) >= 2:
                wishes[p.id] = fig.wishes(p.id, found)
            zones = [
                profiles[m.participant_id].timezone
                if m.participant_id in profiles
                else m.timezone or ""
                for m in p.members
            ]
            hours[p.id] = fig.shared_hours(zones, round_.starts_on) if all(zones) else None
        nudge_kinds: dict[int, Counter[str]] = {}
        nudge_times: dict[str, list[datetime]] = {"nudges": [], "escalations": []}
        # "cases" per fortnight joins nudge_times here once the cases issue stores them.
        for nudge in await self.store.reports.nudges(round_.id):
            nudge_kinds.setdefault(nudge.partnership_id, Counter())[nudge.kind] += 1
            series = "escalations" if nudge.kind == "escalation" else "nudges"
            nudge_times[series].append(nudge.at)
        return RoundData(as_of, partnerships, days, health, wishes, hours, nudge_kinds, nudge_times)

    async def _headline(
        self, round_: Round, data: RoundData, answers: Sequence[tuple[datetime, str]]
    ) -> Headline:
        quiet_days = self._config.nudges.quiet_after_days
        today = data.as_of.date()
        recent_from = today - timedelta(days=RECENT_DAYS - 1)
        quiet_from = today - timedelta(days=quiet_days - 1)
        quiet = in_touch = recent_days = 0
        for p in data.partnerships:
            days = data.days.get(p.id, [])
            recent = [day for day in days if day >= recent_from]
            in_touch += bool(recent)
            recent_days += len(recent)
            started = max(round_.starts_on, p.created_at.date())
            if (
                p.state == "active"
                and started <= quiet_from
                and not any(day >= quiet_from for day in days)
            ):
                quiet += 1
        ratings = Counter(rating for _, rating in answers)
        kinds = Counter[str]()
        for counted in data.nudge_kinds.values():
            kinds.update(counted)
        return Headline(
            round=round_,
            as_of=data.as_of,
            partnerships=len(data.partnerships),
            by_state=dict(Counter(p.state for p in data.partnerships)),
            quiet=quiet,
            quiet_days=quiet_days,
            ended_early=sum(_ended_early(p, round_) for p in data.partnerships),
            in_touch_recently=in_touch,
            contact_days_recently=recent_days,
            checkins_asked=await self.store.reports.checkins_asked(round_.id),
            checkin_answers={rating: ratings.get(rating, 0) for rating in fig.CHECKIN_RATINGS},
            nudges=kinds["quiet"] + kinds["one_sided"],
            escalations=kinds["escalation"],
            feedback=await self.store.reports.feedback_ratings(round_.id),
            wishes_stated=sum(w.stated for w in data.wishes.values()),
            wishes_met=sum(w.met for w in data.wishes.values()),
        )

    def _risk_order(self, p: ReportPartnership, data: RoundData) -> tuple[int, float, str]:
        """Pairs /pair health covers by its risk, highest first; then the rest (ended ones)
        by fewest contact days."""
        health = data.health.get(p.id)
        if health is not None:
            return (0, -health.risk, p.name.casefold())
        return (1, float(len(data.days.get(p.id, []))), p.name.casefold())

    # Exports -----------------------------------------------------------------------------

    async def export(self, round_: Round, what: str) -> ExportFile:
        export = EXPORTS.get(what)
        if export is None:
            choices = ", ".join(f"`{key}`" for key in EXPORTS)
            raise UserFacingError(f"I can export {choices}; not `{_shorten(what, 40)}`.")
        rows = await export.rows(self, round_)
        return ExportFile(
            f"{_file_stem(round_.name)}-{export.key}.csv",
            csv_bytes(export.columns, rows),
            len(rows),
        )

    # The audit log -----------------------------------------------------------------------

    async def audit(self, *, actor_id: int | None, since: date | None, page: int) -> AuditView:
        """One page of coordinator actions, newest first."""
        moment = datetime.combine(since, time(0), tzinfo=UTC) if since is not None else None
        first = await self.store.reports.audit_page(
            actor_id=actor_id, since=moment, limit=1, offset=0
        )
        pages = max(1, math.ceil(first.total / AUDIT_PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        found = await self.store.reports.audit_page(
            actor_id=actor_id, since=moment, limit=AUDIT_PAGE_SIZE, offset=page * AUDIT_PAGE_SIZE
        )
        return AuditView(found.entries, page, pages, found.total)


# Offline: the files of a report ------------------------------------------------------------


def offline_reports(store: Store, now: datetime, config: Config | None = None) -> ReportService:
    """The report service of a program without Discord, for ``iln-bot report`` and the
    simulation."""
    from bot.services.program import Program  # the program builds this module's service

    settings = config or Config(discord=OFFLINE_DISCORD)  # type: ignore[arg-type]
    port = Disconnected(settings.discord.guild_id)
    return Program(settings, store, ManualClock(now), port).reports


async def write_report(
    store: Store,
    round_id: int,
    out_dir: Path,
    *,
    now: datetime,
    config: Config | None = None,
) -> list[Path]:
    """Write a round's charts (every heatmap page) and every CSV export into ``out_dir``;
    returns the files written. The entry point of ``iln-bot report`` and the simulation."""
    service = offline_reports(store, now, config)
    round_ = await store.rounds.get(round_id)
    if round_ is None:
        raise UserFacingError(f"There is no round with id {round_id}.")
    report = await service.build(round_)
    charts = await service.charts(report, for_discord=False)
    exports = [await service.export(round_, key) for key in EXPORTS]
    files = [(c.filename, c.png) for c in charts] + [(e.filename, e.data) for e in exports]
    return await asyncio.to_thread(_write_files, out_dir, files)


def _write_files(out_dir: Path, files: Sequence[tuple[str, bytes]]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files:
        path = out_dir / name
        path.write_bytes(data)
        written.append(path)
    return written


# Small helpers ---------------------------------------------------------------------------


def _member_name(participant_id: int, name: str | None) -> str:
    return name if name else f"member {participant_id}"


def _left_on(p: ReportPartnership) -> date | None:
    """The last day a partnership counted: its end, or the day its first member left."""
    moments = [m.left_at for m in p.members if m.left_at is not None]
    if p.ended_at is not None:
        moments.append(p.ended_at)
    return min(moments).date() if moments else None


def _ended_early(p: ReportPartnership, round_: Round) -> bool:
    """A member left, or the space closed before the round's last day. Closing posts go out
    on the last day in each member's own time zone, which in UTC can be the day before."""
    if p.state == "member_left" or any(m.left_at is not None for m in p.members):
        return True
    last_day_anywhere = datetime.combine(round_.ends_on - timedelta(days=1), time(0), tzinfo=UTC)
    return p.state == "ended" and p.ended_at is not None and p.ended_at < last_day_anywhere


def _chart_label(p: ReportPartnership, round_: Round, health: PairHealth | None) -> str:
    if p.state == "member_left" or any(m.left_at is not None for m in p.members):
        tag = "left"
    elif _ended_early(p, round_):
        tag = "ended early"
    elif health is not None and health.label != "ok":
        tag = health.label
    else:
        tag = ""
    name = _shorten(p.name, NAME_IN_CHART)
    return f"{name} · {tag}" if tag else name


def _sort_note(data: RoundData) -> str:
    if not data.health:
        return "fewest contact days first"
    if len(data.health) == len(data.partnerships):
        return "most at risk first"
    return "most at risk first, then ended pairs by fewest contact days"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "round"


def heatmap_pages_shown(pairs: int) -> int:
    """How many heatmap pages ``/report round`` attaches for a round of ``pairs``."""
    return min(fig.heatmap_page_count(pairs), DISCORD_HEATMAP_PAGES)
