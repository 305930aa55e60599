"""How ``iln-bot simulate`` shows a round: a progress bar while it runs, then the timeline by
moment and the summary as tables; or JSON lines for programs.

Whether stdout is a terminal is rich's own decision (``isatty``, and the ``FORCE_COLOR``,
``NO_COLOR``, ``TTY_COMPATIBLE`` and ``TERM=dumb`` conventions). On a terminal: colour,
tables with borders and the progress bar. Piped or redirected: the same tables as plain
aligned text without ANSI codes and no bar, so a file reads well.

The summary is drawn from :class:`~bot.simulation.runner.Summary`'s fields, in their order:
a number is a line of the figures table, a counter a table of its own, a list a count and a
table. A new field shows up by itself under its field name; one line in :data:`FIGURES` or
:data:`TALLIES` gives it its words.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, TextIO

from rich import box
from rich.columns import Columns
from rich.console import Console, Group, RenderableType
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from bot.posts._text import plural
from bot.simulation.moments import Moment
from bot.simulation.recorder import TimelineEvent
from bot.simulation.runner import SimulationProgress, SimulationResult, Summary
from bot.store.models import Round

PLAIN_WIDTH = 400  # piped output never wraps a table; lines end where their text ends
HEADLINE_TEXT = 160  # characters of a moment's line (a post's whole text is in the JSON)
DETAIL_TEXT = 120  # characters of one post's text under --detail, as the timeline always had
KIND_WIDTH = 23
SPACE_WIDTH = 24

# How a number of the summary reads: field -> (one, many), so "1 space kept open".
FIGURES: dict[str, tuple[str, str]] = {
    "applicants": ("applicant", "applicants"),
    "pairs": ("partnership", "partnerships"),
    "unmatched": ("applicant without a partner", "applicants without a partner"),
    "wishes_stated": ("partner wish stated", "partner wishes stated"),
    "wishes_satisfied": ("partner wish met", "partner wishes met"),
    "past_pairs": ("past partnership kept apart", "past partnerships kept apart"),
    "partner_messages": ("message from partners", "messages from partners"),
    "events_scheduled": ("live discussion scheduled", "live discussions scheduled"),
    "members_reminded": ("reminder to an interested member", "reminders to interested members"),
    "desks_shared": ("desk shared", "desks shared"),
    "cases_opened": ("case opened", "cases opened"),
    "cases_reopened": ("case reopened", "cases reopened"),
    "cases_handled": ("case handled", "cases handled"),
    "kept_open": ("space kept open", "spaces kept open"),
    "archived": ("space archived", "spaces archived"),
    "wakeups": ("wake-up of the bot", "wake-ups of the bot"),
    "posts_per_pair": (
        "bot post per partnership on average",
        "bot posts per partnership on average",
    ),
    "most_posts_per_pair": (
        "bot post to the busiest partnership",
        "bot posts to the busiest partnership",
    ),
}
# The title of each counter's table: field -> title.
TALLIES: dict[str, str] = {
    "posts": "Posts",
    "nudges": "Nudges",
    "alerts": "Coordinator alerts",
    "checkin_answers": "Check-in answers",
    "unmatched_answers": "Answers of the unmatched",
}
# A list of tuples in JSON: field -> the names of each tuple's parts.
JSON_ROWS: dict[str, tuple[str, ...]] = {"unmatched": ("name", "reasons")}


class Screen:
    """Standard output, as rich sees it."""

    def __init__(self, file: TextIO | None = None) -> None:
        self.console = Console(file=file, highlight=False, markup=False, emoji=False)

    @property
    def terminal(self) -> bool:
        return self.console.is_terminal

    @property
    def animated(self) -> bool:
        """Whether a progress bar can redraw itself here."""
        return self.console.is_interactive

    def show(self, *renderables: RenderableType) -> None:
        """Each renderable, a blank line between them."""
        for number, renderable in enumerate(renderables):
            if self.terminal:
                self.console.print(renderable)
                if number < len(renderables) - 1:
                    self.console.line()
            else:
                gap = "\n" if number < len(renderables) - 1 else ""
                self.console.file.write(plain(renderable) + gap)


def plain(renderable: RenderableType) -> str:
    """What a rich renderable reads as in a file: no colour, no wrapping, no trailing
    spaces. Text that is already plain passes as it is."""
    if isinstance(renderable, str):
        return renderable if renderable.endswith("\n") else renderable + "\n"
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=PLAIN_WIDTH,
        force_terminal=False,
        force_jupyter=False,
        force_interactive=False,
        color_system=None,
        highlight=False,
        markup=False,
        emoji=False,
    )
    console.print(renderable)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


# While it runs ----------------------------------------------------------------------------


class ProgressBar:
    """The simulated date, wake-ups and posts so far, redrawn in place; gone when done."""

    def __init__(self, screen: Screen, zone: tzinfo) -> None:
        self._zone = zone
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            console=screen.console,
            transient=True,
        )
        self._task = self._bar.add_task("Matching the applicants", total=None, counts="")

    def advance(self, progress: SimulationProgress) -> None:
        self._bar.update(
            self._task,
            description=f"Simulating {progress.now.astimezone(self._zone):%a %d %b %Y}",
            total=(progress.ends - progress.begins).total_seconds(),
            completed=(progress.now - progress.begins).total_seconds(),
            counts=(f"{plural(progress.wakeups, 'wake-up')} · {plural(progress.posts, 'post')}"),
        )

    def stage(self, description: str) -> None:
        """A step after the round, such as drawing the report's charts."""
        self._bar.update(self._task, description=description)

    def __enter__(self) -> ProgressBar:
        self._bar.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._bar.stop()


@contextmanager
def progress_bar(screen: Screen, zone: tzinfo, wanted: bool = True) -> Iterator[ProgressBar | None]:
    """A :class:`ProgressBar` while the block runs, or None where it cannot be drawn (output
    piped, or JSON wanted)."""
    if not (wanted and screen.animated):
        yield None
        return
    with ProgressBar(screen, zone) as bar:
        yield bar


# The timeline -----------------------------------------------------------------------------


def when(at: datetime, zone: tzinfo) -> str:
    return f"{at.astimezone(zone):%a %d %b %H:%M}"


def until(moment: Moment, zone: tzinfo) -> str:
    """`` (until 14:00)`` or `` (until Mon 01 Mar 14:00)`` for a moment that lasts."""
    if moment.until - moment.at < timedelta(minutes=1):
        return ""
    start, end = moment.at.astimezone(zone), moment.until.astimezone(zone)
    return f" (until {end:%H:%M})" if start.date() == end.date() else f" (until {when(end, zone)})"


def detail_line(event: TimelineEvent, spaces: Mapping[int, str]) -> str:
    """One event as the timeline always printed it: kind, space and text."""
    where = spaces.get(event.partnership, "-") if event.partnership is not None else "-"
    return f"{event.kind:<{KIND_WIDTH}} {_cut(where, SPACE_WIDTH):<{SPACE_WIDTH}} " + _cut(
        event.detail, DETAIL_TEXT
    )


def timeline(
    title: str,
    moments: Sequence[Moment],
    spaces: Mapping[int, str],
    zone: tzinfo,
    *,
    detail: bool,
    terminal: bool,
) -> RenderableType:
    """``title``, then moment by moment; with ``detail``, every event of a moment beneath
    it. Piped, plain
    lines (the time has a fixed width, so they align without rich's measuring, which costs
    most of a second for the thousand lines of ``--detail``)."""
    rows: list[tuple[str, str, str]] = []  # when, text, until
    for moment in moments:
        rows.append(
            (when(moment.at, zone), _cut(moment.headline, HEADLINE_TEXT), until(moment, zone))
        )
        if detail and len(moment.events) > 1:
            for event in moment.events:
                rows.append((when(event.at, zone), "  " + detail_line(event, spaces), ""))
    if not terminal:
        lines = (f"{at}  {text}{span}\n" for at, text, span in rows)
        return title + "\n" + "".join(lines)
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    for at, text, span in rows:
        if text.startswith("  "):  # one event beneath its moment: one line, cut to fit
            table.add_row(at, Text(text, style="dim", no_wrap=True, overflow="ellipsis"))
        else:
            table.add_row(at, Text.assemble(text, (span, "dim")))
    return Group(Text(title, style="bold"), table)


# The summary ------------------------------------------------------------------------------


def summary_tables(
    summary: Summary, round_: Round, seconds: float, *, terminal: bool
) -> list[RenderableType]:
    """The summary's figures, one table for each counter and one for each list."""
    style = box.ROUNDED if terminal else None
    figures = Table(box=style, show_header=False)
    figures.add_column(justify="right")
    figures.add_column()
    tallies: list[Group] = []
    lists: list[Group] = []
    for item in fields(summary):
        value = getattr(summary, item.name)
        if isinstance(value, Mapping):
            tallies.append(_tally(TALLIES.get(item.name, _title(item.name)), value, style))
            continue
        if isinstance(value, list):
            if value:
                lists.append(_listing(item.name, value, style))
            value = len(value)
        figures.add_row(_number(value), _phrase(item.name, value) + _note(summary, item.name))
    figures.add_row(f"{seconds:.1f}", "seconds of wall time")
    header = Text(
        f"Summary of round {round_.name}, {_day(round_.starts_on)} to {_day(round_.ends_on)}",
        style="bold",
    )
    counted: RenderableType = Columns(tallies) if terminal else Group(*_spaced(tallies))
    return [Group(header, figures), counted, *lists]


def _titled(title: str, table: Table) -> Group:
    """A title above its table, never wrapped to the table's width as rich's own title is."""
    return Group(Text(title, style="bold"), table)


def _spaced(renderables: Sequence[RenderableType]) -> list[RenderableType]:
    spaced: list[RenderableType] = []
    for renderable in renderables:
        spaced.extend([Text(""), renderable] if spaced else [renderable])
    return spaced


def _tally(title: str, counts: Mapping[Any, int], style: box.Box | None) -> Group:
    table = Table(box=style, show_header=False)
    table.add_column(justify="right")
    table.add_column()
    for key, count in sorted(counts.items(), key=lambda item: (-item[1], str(item[0]))):
        table.add_row(str(count), str(key).replace("_", " "))
    if not counts:
        table.add_row("0", "none")
    elif len(counts) > 1:
        table.add_row(str(sum(counts.values())), "in all")
    return _titled(title, table)


def _listing(name: str, rows: list[Any], style: box.Box | None) -> Group:
    parts = JSON_ROWS.get(name)
    table = Table(box=style)
    for part in parts or ("",):
        table.add_column(part.replace("_", " "))
    for row in rows:
        cells = row if isinstance(row, tuple) else (row,)
        table.add_row(*("; ".join(c) if isinstance(c, list) else str(c) for c in cells))
    return _titled(_title(name), table)


def _phrase(name: str, value: int | float) -> str:
    one, many = FIGURES.get(name, (name.replace("_", " "), name.replace("_", " ")))
    return one if value == 1 else many


def _note(summary: Summary, name: str) -> str:
    """A share worth reading beside its figure."""
    if name == "wishes_satisfied" and summary.wishes_stated:
        return f" ({summary.wishes_satisfied / summary.wishes_stated:.0%})"
    return ""


def _number(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def _title(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _day(day: Any) -> str:
    return f"{day.day} {day:%B %Y}"


def report_lines(files: Sequence[Path]) -> Text:
    charts = sum(1 for path in files if path.suffix == ".png")
    sheets = sum(1 for path in files if path.suffix == ".csv")
    folder = files[0].parent if files else Path()
    return Text(
        f"Report: {plural(charts, 'chart')} (PNG) and {plural(sheets, 'export')} (CSV) in "
        f"{folder}/: " + ", ".join(path.name for path in files)
    )


# JSON ------------------------------------------------------------------------------------


def json_lines(
    result: SimulationResult, seconds: float, zone_name: str, report: Sequence[Path] = ()
) -> list[str]:
    """One JSON object per event, whole, then the summary's object (see the README)."""
    lines = [
        json.dumps(
            {
                "at": event.at.isoformat(),
                "kind": event.kind,
                "partnership": event.partnership,
                "detail": event.detail,
            },
            ensure_ascii=False,
        )
        for event in result.events
    ]
    round_ = result.round
    summary = {
        "at": result.events[-1].at.isoformat() if result.events else None,
        "kind": "summary",
        "round": {
            "name": round_.name,
            "starts_on": round_.starts_on.isoformat(),
            "ends_on": round_.ends_on.isoformat(),
        },
        "timezone": zone_name,
        "summary": summary_json(result.summary),
        "wall_seconds": round(seconds, 2),
        "report": [str(path) for path in report],
    }
    return [*lines, json.dumps(summary, ensure_ascii=False)]


def summary_json(summary: Summary) -> dict[str, Any]:
    """Every field of the summary, by its name; counters as objects, sorted by key."""
    out: dict[str, Any] = {}
    for item in fields(summary):
        value = getattr(summary, item.name)
        if isinstance(value, Mapping):
            value = {str(key): value[key] for key in sorted(value, key=str)}
        elif isinstance(value, list) and item.name in JSON_ROWS:
            value = [dict(zip(JSON_ROWS[item.name], row, strict=True)) for row in value]
        out[item.name] = value
    return out


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
