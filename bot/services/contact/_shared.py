"""What more than one part of contact (or another service) needs: when a partnership's
contact clock starts, who may act for it, and a round's partnerships as the rules see them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time

from bot.domain.contact import AwayPeriod, MemberActivity, PairActivity
from bot.services.errors import UserFacingError
from bot.services.zones import MemberZones
from bot.store import Store
from bot.store.activity import NO_NUDGES, LivePair
from bot.store.models import AwayRecord, Partnership, Round


@dataclass(frozen=True)
class RoundView:
    """A running round's live partnerships with everything the planner reads about them."""

    round: Round
    partnerships: list[LivePair]
    names: dict[int, str]  # by member
    zones: dict[int, str]  # by member
    pairs: dict[int, PairActivity]
    away: dict[int, list[AwayRecord]]  # by member

    def names_in(self, pair: PairActivity) -> dict[int, str]:
        """The display names of one pair's members."""
        return {m.member_id: self.names[m.member_id] for m in pair.members}


def started_at(round_: Round, partnership: Partnership | LivePair) -> datetime:
    """When a partnership's contact clock starts: the round's first day (UTC midnight), or
    the partnership's confirmation when it joined later."""
    round_start = datetime.combine(round_.starts_on, time(0), tzinfo=UTC)
    return max(round_start, partnership.created_at)


def require_member(partnership: Partnership | None, user_id: int) -> Partnership:
    """The partnership, when ``user_id`` is one of its current members."""
    if partnership is None or user_id not in partnership.member_ids:
        raise UserFacingError(
            "Sorry, this belongs to another partnership, so only its partners can use it."
        )
    member = next(m for m in partnership.members if m.participant_id == user_id)
    if member.left_at is not None:
        raise UserFacingError("You have left this partnership, so this is no longer yours.")
    return partnership


async def round_view(
    store: Store, member_zones: MemberZones, round_: Round, partnerships: list[LivePair]
) -> RoundView:
    """Read what the contact rules need about ``partnerships`` of ``round_``."""
    activity = store.activity
    ids = [p.id for p in partnerships]
    names: dict[int, str] = {}
    zones: dict[int, str] = {}
    for p in partnerships:
        for m in p.members:
            names[m.participant_id] = m.name or f"member {m.participant_id}"
            zones[m.participant_id] = member_zones.named(m.timezone)
    member_ids = sorted(zones)
    last = await activity.last_contacts(ids)
    starts = {p.id: started_at(round_, p) for p in partnerships}
    away: dict[int, list[AwayRecord]] = defaultdict(list)
    for period in await activity.away_periods(member_ids, min(starts.values())):
        away[period.participant_id].append(period)
    summaries = await activity.nudge_summaries(ids)
    pairs = {}
    for p in partnerships:
        summary = summaries.get(p.id, NO_NUDGES)
        members = tuple(
            MemberActivity(
                member_id=m.participant_id,
                timezone=zones[m.participant_id],
                last_contact=last.get((p.id, m.participant_id)),
                away=tuple(
                    AwayPeriod(a.starts_at, a.ends_at, a.note)
                    for a in away.get(m.participant_id, ())
                ),
            )
            for m in p.members
        )
        if not members:
            continue
        pairs[p.id] = PairActivity(
            partnership_id=p.id,
            started_at=starts[p.id],
            members=members,
            last_nudge_at=summary.last_nudge_at,
            nudges_since_contact=summary.since_reset,
            escalated=summary.escalated,
        )
    return RoundView(round_, partnerships, names, zones, pairs, away)
