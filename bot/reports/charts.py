"""A round's charts as PNG bytes, drawn with matplotlib's Agg backend from plain data.

Readable on Discord's dark and light themes: every chart is an opaque white card with
near-black text. A transparent background would put dark text on Discord's dark grey (or
light text on its white), and the heatmap's pale "no contact" colour has to contrast with
a background we know. A white card reads like a printed page in both themes.

Colours come from colour-blind-safe palettes (Okabe–Ito for categories, ColorBrewer blues
for counts); the heatmap's "no contact" is a warm colour so quiet weeks stand out from
the blues, and "not in the round" is a neutral grey.

Only matplotlib's object-oriented API is used (``Figure``, never ``pyplot``): no global
figure state and nothing to close. The style is applied with ``rc_context``, which is
process-wide, so drawing holds one lock: safe from any thread, one report at a time.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display, ever; harmless when something chose Agg already

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from bot.reports.figures import (
    CHECKIN_RATINGS,
    NOT_COUNTED,
    ROWS_PER_PAGE,
    CheckinMonths,
    FortnightCounts,
    MatchQuality,
    ReportFigures,
    distribution,
    heatmap_page_count,
)

LABEL_CHARS = 36
DPI = 100

CARD = "#FFFFFF"
INK = "#1F2328"
MUTED = "#57606A"
RULE = "#D0D7DE"
NOT_IN_ROUND = "#E4E4E4"
# Contact days in a week: 0, 1, 2, 3-4, 5-7.
CONTACT_BANDS = (
    ("no contact", "#F4A582"),
    ("1 day", "#C6DBEF"),
    ("2 days", "#6BAED6"),
    ("3–4 days", "#2171B5"),
    ("5–7 days", "#08306B"),
)
CONTACT_BOUNDS = (0, 1, 2, 3, 5, 8)
OVERVIEW_COLOURS = ("#F4A582", "#C6DBEF", "#6BAED6", "#2171B5")
CHECKIN_COLOURS = {"great": "#009E73", "ok": "#E69F00", "not_working": "#D55E00"}
CHECKIN_LABELS = {"great": "great", "ok": "ok", "not_working": "not working"}
SERIES_COLOURS = ("#0072B2", "#D55E00", "#CC79A7", "#009E73")  # nudges, escalations, ...
MATCH_COLOURS = ("#999999", "#0072B2")
_DRAWING = threading.Lock()  # rcParams, and so rc_context, are shared by every thread

_STYLE: dict[Any, Any] = {
    "figure.facecolor": CARD,
    "axes.facecolor": CARD,
    "savefig.facecolor": CARD,
    "text.color": INK,
    "axes.labelcolor": INK,
    "axes.edgecolor": MUTED,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.family": "DejaVu Sans",
}


@dataclass(frozen=True)
class Chart:
    """One PNG: its file name, a one-line description (alt text for screen readers), and
    its bytes."""

    filename: str
    title: str
    png: bytes


def draw_report(figures: ReportFigures, *, heatmap_pages: int | None = None) -> list[Chart]:
    """Every chart of a round: the contact heatmap in pages of :data:`ROWS_PER_PAGE` pairs
    (most at risk first; at most ``heatmap_pages`` of them), then the contact overview of
    all pairs, check-in answers, nudges and escalations, and match quality."""
    with _DRAWING, matplotlib.rc_context(_STYLE), warnings.catch_warnings():
        # A name in a script DejaVu Sans lacks is drawn as boxes; that is no error.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        warnings.filterwarnings("ignore", message=r"Matplotlib currently does not support")
        total = heatmap_page_count(len(figures.contact.rows))
        pages = total if heatmap_pages is None else min(total, heatmap_pages)
        charts = [_heatmap_page(figures, page, pages_total=total) for page in range(pages)]
        charts.append(_contact_overview(figures))
        charts.append(_checkins(figures.round_name, figures.checkins))
        charts.append(_fortnights(figures.round_name, figures.fortnights))
        charts.append(_match_quality(figures.round_name, figures.match))
    return charts


# Charts ---------------------------------------------------------------------------------


def _heatmap_page(figures: ReportFigures, page: int, pages_total: int) -> Chart:
    contact = figures.contact
    rows = contact.rows[page * ROWS_PER_PAGE : (page + 1) * ROWS_PER_PAGE]
    weeks = len(contact.week_starts)
    labels = [_label(row.label) for row in rows]
    label_inches = 0.4 + 0.075 * max((len(label) for label in labels), default=10)
    width = max(9.0, label_inches + 1.2 + 0.42 * weeks)
    height = 2.65 + 0.24 * max(len(rows), 10)
    figure = Figure(figsize=(width, height), dpi=DPI)
    axes = figure.add_subplot()
    figure.subplots_adjust(
        left=label_inches / width,
        right=1 - 0.3 / width,
        top=1 - 0.9 / height,
        bottom=1.75 / height,
    )
    first, last = page * ROWS_PER_PAGE + 1, page * ROWS_PER_PAGE + len(rows)
    pages = f" · page {page + 1} of {pages_total}" if pages_total > 1 else ""
    _title(
        axes,
        f"Contact per partnership per week · round {figures.round_name}",
        f"{contact.sort_note}; pairs {first}–{last} of {len(contact.rows)}{pages}"
        f" · as of {_day(figures.as_of)}",
    )
    if not rows:
        _empty(axes, "No partnerships in this round yet")
        return _chart(figure, "contact-heatmap-1.png", "Contact per partnership per week")
    values = np.array([row.weeks for row in rows], dtype=float)
    masked = np.ma.masked_equal(values, NOT_COUNTED)
    colours = ListedColormap([colour for _, colour in CONTACT_BANDS]).with_extremes(
        bad=NOT_IN_ROUND
    )
    axes.imshow(
        masked,
        aspect="auto",
        interpolation="nearest",
        cmap=colours,
        norm=BoundaryNorm(CONTACT_BOUNDS, colours.N),
    )
    # Names as plain texts and cell borders as two line collections: Tick objects (one
    # per row, with their own lines and transforms) cost several times more to draw.
    axes.set_yticks([])
    names = axes.get_yaxis_transform()
    for index, label in enumerate(labels):
        axes.text(-0.01, index, label, transform=names, ha="right", va="center", fontsize=10)
    axes.hlines(np.arange(0.5, len(rows) - 1, 1), -0.5, weeks - 0.5, color=CARD, linewidth=1.2)
    axes.vlines(np.arange(0.5, weeks - 1, 1), -0.5, len(rows) - 0.5, color=CARD, linewidth=1.2)
    _week_ticks(axes, contact.week_starts)
    axes.tick_params(which="major", length=0)
    for spine in axes.spines.values():
        spine.set_visible(False)
    axes.set_xlabel("Week starting")
    axes.set_ylabel("Partnership")
    # Left of the longest name (the names are texts, so the axis cannot place it itself).
    axes_inches = width * (1 - 0.3 / width - label_inches / width)
    axes.yaxis.set_label_coords(-(label_inches - 0.2) / axes_inches, 0.5)
    handles = [Patch(facecolor=colour, label=label) for label, colour in CONTACT_BANDS]
    handles.append(Patch(facecolor=NOT_IN_ROUND, label="not in the round or not yet"))
    figure.legend(
        handles=handles,
        loc="lower center",
        ncols=len(handles),
        bbox_to_anchor=(0.5, 0.02),
        title="Days with contact that week",
        title_fontsize=10,
        handlelength=1.2,
        columnspacing=1.0,
    )
    return _chart(
        figure,
        f"contact-heatmap-{page + 1}.png",
        f"Contact per partnership per week, pairs {first}–{last}",
    )


def _contact_overview(figures: ReportFigures) -> Chart:
    contact = figures.contact
    figure, axes = _card(9.5, 5.2)
    _title(
        axes,
        f"Contact across all {len(contact.rows)} partnerships · round {figures.round_name}",
        f"Pairs by days with contact each week · as of {_day(figures.as_of)}",
    )
    bands = contact.overview()
    if not contact.rows:
        _empty(axes, "No partnerships in this round yet")
    else:
        positions = np.arange(len(contact.week_starts))
        bottom = np.zeros(len(positions))
        for (band, counts), colour in zip(bands.items(), OVERVIEW_COLOURS, strict=True):
            axes.bar(positions, counts, bottom=bottom, color=colour, label=band, width=0.8)
            bottom += np.array(counts)
        _week_ticks(axes, contact.week_starts)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylim(bottom=0)
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="Contact that week")
        axes.set_xlabel("Week starting")
        axes.set_ylabel("Partnerships")
    figure.subplots_adjust(left=0.09, right=0.8, top=0.83, bottom=0.17)
    return _chart(figure, "contact-overview.png", "Contact across all partnerships per week")


def _checkins(round_name: str, checkins: CheckinMonths) -> Chart:
    figure, axes = _card(9.5, 5.2)
    total = sum(sum(values) for values in checkins.counts.values())
    _title(
        axes,
        f"Check-in answers · round {round_name}",
        f"{total} answers, by the month they were given",
    )
    if total == 0:
        _empty(axes, "No check-in answers yet")
    else:
        positions = np.arange(len(checkins.months))
        bottom = np.zeros(len(positions))
        for rating in CHECKIN_RATINGS:
            counts = np.array(checkins.counts[rating])
            axes.bar(
                positions,
                counts,
                bottom=bottom,
                color=CHECKIN_COLOURS[rating],
                label=CHECKIN_LABELS[rating],
                width=0.6,
            )
            bottom += counts
        axes.set_xticks(positions, [month.strftime("%b %Y") for month in checkins.months])
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="Answer")
        axes.set_xlabel("Month")
        axes.set_ylabel("Answers")
    figure.subplots_adjust(left=0.09, right=0.8, top=0.83, bottom=0.14)
    return _chart(figure, "checkins.png", "Check-in answers by month")


def _fortnights(round_name: str, counts: FortnightCounts) -> Chart:
    figure, axes = _card(9.5, 5.2)
    totals = ", ".join(f"{sum(values)} {name}" for name, values in counts.series.items())
    _title(axes, f"Nudges and escalations per fortnight · round {round_name}", totals)
    positions = np.arange(len(counts.starts))
    width = 0.8 / max(1, len(counts.series))
    for index, ((name, values), colour) in enumerate(
        zip(counts.series.items(), SERIES_COLOURS, strict=False)
    ):
        offset = (index - (len(counts.series) - 1) / 2) * width
        axes.bar(positions + offset, values, width=width, color=colour, label=name)
    axes.set_xticks(positions, [_day(start) for start in counts.starts])
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    highest = max([1, *(max(v, default=0) for v in counts.series.values())])
    axes.set_ylim(bottom=0, top=highest * 1.15)
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes.set_xlabel("Fortnight starting")
    axes.set_ylabel("Count")
    if not any(sum(values) for values in counts.series.values()):
        _empty(axes, "No nudges or escalations so far")
    figure.subplots_adjust(left=0.09, right=0.8, top=0.83, bottom=0.14)
    return _chart(figure, "nudges.png", "Nudges and escalations per fortnight")


def _match_quality(round_name: str, match: MatchQuality) -> Chart:
    figure = Figure(figsize=(11.0, 5.2), dpi=DPI)
    wishes_axes, hours_axes = figure.subplots(1, 2)
    figure.subplots_adjust(left=0.07, right=0.98, top=0.8, bottom=0.15, wspace=0.28)
    figure.suptitle(
        f"Match quality · round {round_name}", fontsize=13, fontweight="bold", color=INK
    )
    stated_total = sum(pair.stated for pair in match.wishes)
    met_total = sum(pair.met for pair in match.wishes)
    share = f" ({met_total / stated_total:.0%})" if stated_total else ""
    wishes_axes.set_title(
        f"Partner wishes per pair: {met_total} of {stated_total} met{share}",
        fontsize=11,
        loc="left",
        color=MUTED,
        fontweight="normal",
    )
    if not match.wishes:
        _empty(wishes_axes, "No partnerships with applications")
    else:
        most = max(max(pair.stated for pair in match.wishes), 1)
        stated = distribution((pair.stated for pair in match.wishes), 0, most)
        met = distribution((pair.met for pair in match.wishes), 0, most)
        positions = np.arange(most + 1)
        wishes_axes.bar(
            positions - 0.2,
            list(stated.values()),
            0.4,
            color=MATCH_COLOURS[0],
            label="wishes stated",
        )
        wishes_axes.bar(
            positions + 0.2, list(met.values()), 0.4, color=MATCH_COLOURS[1], label="wishes met"
        )
        wishes_axes.set_xticks(positions, [str(n) for n in positions])
        wishes_axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        _headroom(wishes_axes, max([*stated.values(), *met.values()]))
        wishes_axes.legend(loc="upper left", ncols=2)
    wishes_axes.set_xlabel("Wishes per pair")
    wishes_axes.set_ylabel("Partnerships")
    hours = [round(value) for value in match.shared_hours]
    known = len(hours)
    hours_axes.set_title(
        f"Shared working hours (09:00–17:00 local), {known} pairs",
        fontsize=11,
        loc="left",
        color=MUTED,
        fontweight="normal",
    )
    if not hours:
        _empty(hours_axes, "No time zones known")
    else:
        spread = distribution(hours, 0, 8)
        hours_axes.bar(
            list(spread), list(spread.values()), 0.7, color=MATCH_COLOURS[1], label="partnerships"
        )
        hours_axes.set_xticks(list(spread), [f"{n} h" for n in spread])
        hours_axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        _headroom(hours_axes, max(spread.values()))
        hours_axes.legend(loc="upper left")
    hours_axes.set_xlabel("Hours both partners are at work")
    hours_axes.set_ylabel("Partnerships")
    return _chart(figure, "match-quality.png", "Match quality: wishes met and shared hours")


# Helpers --------------------------------------------------------------------------------


def _card(width: float, height: float) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(width, height), dpi=DPI)
    return figure, figure.add_subplot()


def _title(axes: Axes, title: str, subtitle: str) -> None:
    axes.set_title(_plain(title), loc="left", pad=24)
    axes.annotate(
        _plain(subtitle),
        xy=(0.0, 1.0),
        xycoords="axes fraction",
        xytext=(0, 7),
        textcoords="offset points",
        color=MUTED,
        fontsize=10,
        va="bottom",
    )


def _headroom(axes: Axes, highest: float) -> None:
    """Room above the tallest bar for a legend inside the axes."""
    axes.set_ylim(bottom=0, top=max(highest, 1) * 1.3)


def _empty(axes: Axes, message: str) -> None:
    axes.text(
        0.5,
        0.5,
        message,
        transform=axes.transAxes,
        ha="center",
        va="center",
        color=MUTED,
        fontsize=12,
    )
    axes.set_xticks([])
    axes.set_yticks([])


def _week_ticks(axes: Axes, starts: Sequence[date]) -> None:
    step = 1 if len(starts) <= 20 else 2
    positions = list(range(0, len(starts), step))
    axes.set_xticks(positions, [_day(starts[p]) for p in positions], rotation=45, ha="right")


def _day(day: date) -> str:
    return f"{day.day} {day.strftime('%b')}"


def _label(text: str) -> str:
    short = text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"
    return _plain(short)


def _plain(text: str) -> str:
    """Text as itself: a ``$`` in a name must not start matplotlib's math mode, and a tab
    or line break must not bend a label."""
    return " ".join(text.replace("$", r"\$").split())


def _chart(figure: Figure, filename: str, title: str) -> Chart:
    buffer = io.BytesIO()
    # Light compression: a third of the encoding time, files still well under 200 kB.
    figure.savefig(buffer, format="png", dpi=DPI, facecolor=CARD, pil_kwargs={"compress_level": 3})
    return Chart(filename, title, buffer.getvalue())
