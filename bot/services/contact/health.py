"""``/pair health``: every partnership of a round with its contact health, as rows or CSV."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.clock import Clock
from bot.config import Config
from bot.domain.contact import (
    MemberActivity,
    PairActivity,
    RiskLabel,
    away_summary,
    contact_resumed,
    contacts_per_fortnight,
    risk_label,
    risk_score,
)
from bot.domain.spreadsheet import csv_text
from bot.services.contact._shared import round_view, started_at
from bot.services.contact.recording import ContactLog
from bot.services.errors import UserFacingError
from bot.services.zones import MemberZones
from bot.store import Store
from bot.store.activity import NO_NUDGES, LiveMember, LivePair
from bot.store.models import CheckIn, Participant, Partnership, Round, RoundState

HealthSort = Literal["risk", "quiet", "name"]

HEALTH_COLUMNS = (
    "partnership",
    "state",
    "members",
    "risk",
    "label",
    "last_contact",
    "days_since_contact",
    "contacts_per_fortnight",
    "nudges",
    "escalated",
    "away",
    "checkins",
)


@dataclass(frozen=True)
class PairHealth:
    """One line of ``/pair health``."""

    partnership_id: int
    name: str
    state: str
    channel_id: int | None
    members: tuple[str, ...]
    last_contact: datetime | None
    days_since_contact: int | None
    contacts_per_fortnight: float
    nudges: int
    escalated: bool
    away: str
    checkins: tuple[str, ...]
    risk: float
    label: RiskLabel


class HealthReport:
    """Builds ``/pair health`` from the store (after writing buffered messages)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        config: Config,
        contact_log: ContactLog,
        zones: MemberZones,
    ) -> None:
        self._store = store
        self._clock = clock
        self._config = config
        self._log = contact_log
        self._zones = zones

    async def rows(
        self, round_: Round | int | None = None, sort: HealthSort = "risk"
    ) -> list[PairHealth]:
        """Every partnership of a round (default: the current one) with its contact health."""
        chosen = await self._round(round_)
        partnerships = await self._store.partnerships.for_round(
            chosen.id, ["active", "member_left"]
        )
        if not partnerships:
            return []
        await self._log.flush()
        now = self._clock.now()
        people = await self._store.people.participants(
            sorted({m for p in partnerships for m in p.member_ids})
        )
        view = await round_view(
            self._store, self._zones, chosen, [live_pair(p, people) for p in partnerships]
        )
        ids = [p.id for p in partnerships]
        days = await self._store.activity.contact_day_counts(
            {p.id: started_at(chosen, p) for p in partnerships}, now
        )
        checkins = await self._store.activity.checkins_for(ids)
        summaries = await self._store.activity.nudge_summaries(ids)
        rows = []
        for p in partnerships:
            pair = view.pairs.get(p.id)
            names = [people[m].name if m in people else f"member {m}" for m in p.member_ids]
            last = (
                max((m.last_contact for m in pair.members if m.last_contact), default=None)
                if pair
                else None
            )
            latest, not_working = _latest_checkins(checkins.get(p.id, []), people)
            score = (
                risk_score(pair, now, self._config.nudges, not_working_checkins=not_working)
                if pair
                else 1.0
            )
            resumed = pair is not None and contact_resumed(pair)
            summary = summaries.get(p.id, NO_NUDGES)
            rows.append(
                PairHealth(
                    partnership_id=p.id,
                    name=p.name,
                    state=p.state,
                    channel_id=p.channel_id,
                    members=tuple(names),
                    last_contact=last,
                    days_since_contact=(now - last).days if last else None,
                    contacts_per_fortnight=round(
                        contacts_per_fortnight(days.get(p.id, 0), started_at(chosen, p), now), 2
                    ),
                    nudges=0 if resumed else summary.since_reset,
                    escalated=summary.escalated and not resumed,
                    away=_upcoming_away(pair, now, view.names_in(pair)) if pair else "",
                    checkins=latest,
                    risk=score,
                    label=risk_label(score),
                )
            )
        return sort_health(rows, sort)

    async def _round(self, round_: Round | int | None) -> Round:
        if isinstance(round_, Round):
            return round_
        if isinstance(round_, int):
            found = await self._store.rounds.get(round_)
            if found is None:
                raise UserFacingError("There is no such round.")
            return found
        rounds = await self._store.rounds.all()
        running = [r for r in rounds if r.state is RoundState.RUNNING]
        started = [r for r in rounds if r.state in (RoundState.RUNNING, RoundState.ENDED)]
        if not (running or started):
            raise UserFacingError("No round has started yet, so there is no pair health to show.")
        return (running or started)[-1]


def live_pair(partnership: Partnership, people: dict[int, Participant]) -> LivePair:
    """A :class:`LivePair` view of any partnership (for health, which shows every state)."""
    members = []
    for member in partnership.members:
        if member.left_at is None:
            person = people.get(member.participant_id)
            members.append(
                LiveMember(
                    member.participant_id,
                    person.name if person else None,
                    person.timezone if person else None,
                )
            )
    return LivePair(
        partnership.id,
        partnership.name,
        partnership.channel_id or 0,
        partnership.created_at,
        tuple(members),
        partnership.state,
    )


def sort_health(rows: list[PairHealth], sort: HealthSort = "risk") -> list[PairHealth]:
    if sort == "name":
        return sorted(rows, key=lambda row: row.name.lower())
    if sort == "quiet":
        return sorted(rows, key=lambda row: (-(row.days_since_contact or 10**6), row.name))
    return sorted(rows, key=lambda row: (-row.risk, row.name.lower()))


def health_csv(rows: Sequence[PairHealth]) -> str:
    """``/pair health`` as CSV, for when there are more pairs than an embed holds."""
    return csv_text(
        HEALTH_COLUMNS,
        [
            (
                row.name,
                row.state,
                "; ".join(row.members),
                round(row.risk, 2),
                row.label,
                row.last_contact,
                row.days_since_contact,
                round(row.contacts_per_fortnight, 2),
                row.nudges,
                row.escalated,
                row.away,
                "; ".join(row.checkins),
            )
            for row in rows
        ],
    )


def _latest_checkins(
    checkins: list[CheckIn], people: dict[int, Participant]
) -> tuple[tuple[str, ...], int]:
    """Each member's latest check-in answer ("Ana: great") and how many say not working."""
    latest: dict[int, CheckIn] = {}
    for checkin in checkins:
        if checkin.rating is not None:
            latest[checkin.participant_id] = checkin
    asked = max((c.sequence for c in checkins), default=0)
    lines = []
    for member_id in sorted({c.participant_id for c in checkins}):
        person = people.get(member_id)
        name = person.name if person else f"member {member_id}"
        answer = latest.get(member_id)
        if answer is None:
            lines.append(f"{name}: not answered")
        else:
            rating = (answer.rating or "").replace("_", " ")
            stale = "" if answer.sequence == asked else f" (check-in {answer.sequence})"
            lines.append(f"{name}: {rating}{stale}")
    not_working = sum(1 for c in latest.values() if c.rating == "not_working")
    return tuple(lines), not_working


def _upcoming_away(pair: PairActivity, now: datetime, names: dict[int, str]) -> str:
    """Current and upcoming away periods only ("Bo away until 3 March 2027")."""
    if not any(m.away for m in pair.members):
        return away_summary(pair, now, names)
    current = PairActivity(
        partnership_id=pair.partnership_id,
        started_at=min(pair.started_at, now),
        members=tuple(
            MemberActivity(m.member_id, m.timezone, None, tuple(a for a in m.away if a.end > now))
            for m in pair.members
        ),
    )
    return away_summary(current, now, names)
