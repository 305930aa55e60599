"""Turning a MatchResult into JSON, a CSV attachment and a short summary."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from bot.domain.matching import MatchResult

REASON_SEPARATOR = " | "
CSV_COLUMNS = ("group", "status", "discord_id", "name", "partners", "score", "reasons")


def result_to_json(result: MatchResult) -> dict[str, Any]:
    """A plain, JSON-ready dict: pairs, unmatched and metrics."""
    return {
        "pairs": [
            {"members": list(pair.members), "score": pair.score, "reasons": list(pair.reasons)}
            for pair in result.pairs
        ],
        "unmatched": [
            {"id": person.discord_id, "reasons": list(person.reasons)}
            for person in result.unmatched
        ],
        "metrics": result.metrics.model_dump(),
    }


def _display_name(discord_id: int, names: Mapping[int, str]) -> str:
    return names.get(discord_id, str(discord_id))


def result_to_csv(result: MatchResult, names: Mapping[int, str]) -> str:
    """One row per person, grouped by pair, then everyone left unmatched.

    Meant as a spreadsheet-friendly attachment for coordinators; a pair's reasons are on
    each member's row so a filtered sheet still explains itself.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for number, pair in enumerate(result.pairs, start=1):
        status = "pair" if len(pair.members) == 2 else "trio"
        for member in pair.members:
            partners = [_display_name(m, names) for m in pair.members if m != member]
            writer.writerow(
                (
                    number,
                    status,
                    member,
                    _display_name(member, names),
                    "; ".join(partners),
                    f"{pair.score:g}",
                    REASON_SEPARATOR.join(pair.reasons),
                )
            )
    for person in result.unmatched:
        writer.writerow(
            (
                "",
                "unmatched",
                person.discord_id,
                _display_name(person.discord_id, names),
                "",
                "",
                REASON_SEPARATOR.join(person.reasons),
            )
        )
    return buffer.getvalue()


def summary_lines(result: MatchResult) -> list[str]:
    """A few lines for a coordinator: how many matched and how well."""
    metrics = result.metrics
    everyone = metrics.matched + metrics.unmatched
    trios = sum(1 for pair in result.pairs if len(pair.members) > 2)
    groups = f"{metrics.pairs} pairs" + (f" ({trios} of them trios)" if trios else "")
    lines = [
        f"Matched {metrics.matched} of {everyone} applicants in {groups}.",
        f"Mean pair score: {metrics.mean_score:.2f}.",
    ]
    if metrics.wishes_stated:
        lines.append(
            f"Partner wishes met: {metrics.wishes_satisfied} of {metrics.wishes_stated} "
            f"({metrics.wishes_satisfied_share:.0%})."
        )
    else:
        lines.append("Nobody stated a wish about their partner.")
    if metrics.unmatched:
        lines.append(f"{metrics.unmatched} left unmatched; a coordinator should contact them.")
    return lines
