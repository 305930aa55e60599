"""Turning a MatchResult into JSON, a CSV attachment and a short summary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.matching import MatchResult
from bot.domain.spreadsheet import Cell, csv_text

REASON_SEPARATOR = " | "
CSV_COLUMNS = (
    "group",
    "status",
    "discord_id",
    "name",
    "partners",
    "wishes_met",
    "score",
    "reasons",
    "coordinator_notes",
)


def result_to_json(result: MatchResult) -> dict[str, Any]:
    """A plain, JSON-ready dict: pairs, unmatched and metrics."""
    return {
        "pairs": [
            {
                "members": list(pair.members),
                "wishes_met": pair.wishes_met,
                "score": pair.score,
                "reasons": list(pair.reasons),
                "coordinator_notes": list(pair.coordinator_notes),
            }
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

    Meant as a spreadsheet-friendly attachment for coordinators; a pair's reasons (what
    its partners are told) and coordinator notes (what they are not: unmet wishes, pins
    against the rules) are on each member's row so a filtered sheet still explains itself.
    """
    rows: list[tuple[Cell, ...]] = []
    for number, pair in enumerate(result.pairs, start=1):
        status = "pair" if len(pair.members) == 2 else "trio"
        for member in pair.members:
            partners = [_display_name(m, names) for m in pair.members if m != member]
            rows.append(
                (
                    number,
                    status,
                    member,
                    _display_name(member, names),
                    "; ".join(partners),
                    pair.wishes_met,
                    pair.score,
                    REASON_SEPARATOR.join(pair.reasons),
                    REASON_SEPARATOR.join(pair.coordinator_notes),
                )
            )
    for person in result.unmatched:
        rows.append(
            (
                None,
                "unmatched",
                person.discord_id,
                _display_name(person.discord_id, names),
                None,
                None,
                None,
                None,
                REASON_SEPARATOR.join(person.reasons),
            )
        )
    return csv_text(CSV_COLUMNS, rows)


def summary_lines(result: MatchResult) -> list[str]:
    """A few lines for a coordinator: how many matched and how well."""
    metrics = result.metrics
    everyone = metrics.matched + metrics.unmatched
    trios = sum(1 for pair in result.pairs if len(pair.members) > 2)
    groups = f"{metrics.pairs} pairs" + (f" ({trios} of them trios)" if trios else "")
    lines = [f"Matched {metrics.matched} of {everyone} applicants in {groups}."]
    if metrics.wishes_stated:
        lines.append(
            f"Partner wishes met: {metrics.wishes_satisfied} of {metrics.wishes_stated} "
            f"stated ({metrics.wishes_satisfied_share:.0%})."
        )
        if metrics.wishes_achievable is not None:
            lines.append(_achievable_line(metrics.wishes_satisfied, metrics.wishes_achievable))
    else:
        lines.append("Nobody stated a wish about their partner.")
    lines.append(f"Mean score from shared interests and working hours: {metrics.mean_score:.2f}.")
    if metrics.unmatched:
        lines.append(f"{metrics.unmatched} left unmatched; a coordinator should contact them.")
    return lines


def _achievable_line(satisfied: int, achievable: int) -> str:
    if satisfied == achievable:
        return (
            f"That is the most any proposal matching as many people can meet ({achievable}); "
            "the rest conflict with someone's language, country, history or another wish."
        )
    if satisfied > achievable:
        return (
            f"Pairs alone could meet at most {achievable}; "
            "the third members of trios meet the rest."
        )
    return (
        f"A proposal matching as many people could meet {achievable}; pins or forbids may be why."
    )
