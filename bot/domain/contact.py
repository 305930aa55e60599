"""Contact rules: when to nudge a pair, when to escalate to coordinators, pair health.

The program asks partners to be in touch at least once a fortnight. This module decides,
from plain values, what the bot should do about a pair right now. It never reads the clock
(``now`` is a parameter) and never talks to Discord or the database.

Precise rules (decisions where the program rules were silent are marked *Decision*):

Contact clock
    A member's *contact anchor* is ``max(last_contact, started_at)`` (``started_at`` when the
    member has never written): contact from before the partnership started does not count,
    and a partnership younger than ``quiet_after_days`` counts its start as the last contact.

Away periods pause the clock (*Decision*)
    If **any** member is away at ``now``, nothing is decided for the pair: no nudge (to
    anyone, not even the partner who is at home, since asking them to reach an absent
    partner is pointless) and no escalation. After an away period of any member ends, every
    member's silence is counted from ``max(contact anchor, end of the latest away period of
    any member that has ended by now)``. So quiet days are never days when the pair could
    not talk, and a returning pair gets a full ``quiet_after_days`` before a nudge.

Silence
    A member is *silent* when ``now - silence_start >= quiet_after_days`` exactly (13 days
    23 hours is not silent; 14 days is). All members silent = a **quiet** pair (nudge to
    everyone); some silent, others not = **one-sided** (a gentle mention of the silent
    ones only). Because the pause is pair-wide, a non-silent member next to a silent one
    has really written within ``quiet_after_days``.

Contact resets everything (*Decision*)
    "Nudges since the last contact" are counted until **every** member has been in touch
    after the last nudge, i.e. ``min(contact anchors) > last_nudge_at``. Then the pair's
    ``nudges_since_contact`` and ``escalated`` are treated as 0/False regardless of what the
    store passed in (the store should reset them too; :func:`contact_resumed` tells it when).
    So a partner who keeps writing does not shield a silent partner from escalation.

Nudge gap and escalation
    At most one nudge per ``nudge_min_gap_days`` (measured exactly from ``last_nudge_at``).
    A nudge counts as *unanswered* once that gap has passed without contact resuming. With
    ``escalate_after_nudges`` unanswered nudges (and the pair still silent) the decision is
    :class:`Escalate`, exactly once; afterwards (*Decision*) the bot stops nudging the pair
    (coordinators own it now) until contact resumes and the cycle starts anew. Escalation
    goes to coordinators, so it ignores the daytime window.

Daytime window
    A nudge is only sent when ``now`` is within ``[daytime_start_hour, daytime_end_hour)``
    local time for **all** recipients; otherwise :class:`WaitForWindow` carries the next
    instant inside everyone's window. *Decision*: if the recipients' windows have no common
    instant in the next 48 hours (e.g. Auckland and London), the first recipient's window
    (in ``PairActivity.members`` order) is used instead; the store should order members
    deterministically (e.g. mentor first / by member id).

One post a day
    A nudge never goes out inside one of the pair's ``quiet`` windows: a day that already
    carries one of its dated posts (a topic, an ask, the end reminder), or its last week
    before the close. It waits for the first daytime instant after the window, so a pair
    hears from the bot at most once a day and nothing but the close in its last week.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.domain.calendar import format_local_date
from bot.domain.zones import zone as zone_named

__all__ = [
    "AwayPeriod",
    "Decision",
    "Escalate",
    "MemberActivity",
    "NoAction",
    "NoActionReason",
    "NudgeRules",
    "PairActivity",
    "RiskLabel",
    "SendNudge",
    "WaitForWindow",
    "away_summary",
    "contact_resumed",
    "contacts_per_fortnight",
    "decide",
    "is_away",
    "next_check_at",
    "next_common_window",
    "risk_label",
    "risk_score",
    "silence_starts",
    "silent_from",
]

_DAY = timedelta(days=1)
_EPSILON = timedelta(microseconds=1)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")


@dataclass(frozen=True, slots=True)
class AwayPeriod:
    """A member's away period, the half-open interval ``[start, end)`` of aware instants."""

    start: datetime
    end: datetime
    note: str | None = None

    def __post_init__(self) -> None:
        _require_aware(self.start, "AwayPeriod.start")
        _require_aware(self.end, "AwayPeriod.end")
        if self.end <= self.start:
            raise ValueError("AwayPeriod.end must be after start")

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True, slots=True)
class MemberActivity:
    """What the contact rules need to know about one partner."""

    member_id: int
    timezone: str
    last_contact: datetime | None
    away: tuple[AwayPeriod, ...] = ()

    def __post_init__(self) -> None:
        if self.last_contact is not None:
            _require_aware(self.last_contact, "MemberActivity.last_contact")
        zone_named(self.timezone)  # fail fast on an unknown zone


@dataclass(frozen=True, slots=True)
class PairActivity:
    """A partnership's contact state as the store sees it."""

    partnership_id: int
    started_at: datetime
    members: tuple[MemberActivity, ...]
    last_nudge_at: datetime | None = None
    nudges_since_contact: int = 0
    escalated: bool = False
    # When no nudge may reach the pair: its days with other posts and its last week.
    quiet: tuple[tuple[datetime, datetime], ...] = ()

    def __post_init__(self) -> None:
        _require_aware(self.started_at, "PairActivity.started_at")
        if self.last_nudge_at is not None:
            _require_aware(self.last_nudge_at, "PairActivity.last_nudge_at")
        if not self.members:
            raise ValueError("PairActivity needs at least one member")
        if self.nudges_since_contact < 0:
            raise ValueError("nudges_since_contact must be >= 0")


class NudgeRules(BaseModel):
    """Settings for nudges and escalation (embedded in the app's TOML config)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    quiet_after_days: int = Field(
        default=14, ge=1, description="Days without contact before a member counts as silent."
    )
    nudge_min_gap_days: int = Field(
        default=7, ge=0, description="Minimum days between two nudges to the same pair."
    )
    daytime_start_hour: int = Field(
        default=9, ge=0, le=23, description="Start of the local daytime window (inclusive)."
    )
    daytime_end_hour: int = Field(
        default=18,
        ge=1,
        le=24,
        description="End of the local daytime window (exclusive); 24 means midnight.",
    )
    escalate_after_nudges: int = Field(
        default=2,
        ge=1,
        description="Unanswered nudges after which coordinators are told (once).",
    )

    @model_validator(mode="after")
    def _window_is_ordered(self) -> NudgeRules:
        if self.daytime_end_hour <= self.daytime_start_hour:
            raise ValueError("daytime_end_hour must be after daytime_start_hour (no wrap)")
        return self


NoActionReason = Literal["away", "in_touch", "already_escalated", "nudge_gap"]


@dataclass(frozen=True, slots=True)
class NoAction:
    """Nothing to do now. ``reason`` is a stable code for logs and tests."""

    reason: NoActionReason


@dataclass(frozen=True, slots=True)
class SendNudge:
    """Send a nudge now. ``recipients`` are the members to mention."""

    kind: Literal["quiet", "one_sided"]
    recipients: tuple[int, ...]
    silent_members: tuple[int, ...]
    days_quiet: int


@dataclass(frozen=True, slots=True)
class Escalate:
    """Tell coordinators (once) that nudges went unanswered.

    ``days_since_contact`` counts whole days since the most recent contact of the silent
    members (for a quiet pair: since anyone wrote; one-sided: since the silent one wrote).
    """

    days_since_contact: int
    nudges: int
    away_summary: str
    silent_members: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class WaitForWindow:
    """A nudge is due but it is night for a recipient; try again at ``next_at`` (UTC)."""

    next_at: datetime


Decision = NoAction | SendNudge | Escalate | WaitForWindow


# --------------------------------------------------------------------------- helpers


def is_away(member: MemberActivity, at: datetime) -> bool:
    """Whether ``member`` is inside one of their away periods at ``at``."""
    _require_aware(at, "at")
    return any(period.covers(at) for period in member.away)


def _contact_anchor(member: MemberActivity, started_at: datetime) -> datetime:
    if member.last_contact is None:
        return started_at
    return max(member.last_contact, started_at)


def _pause_end(pair: PairActivity, now: datetime) -> datetime | None:
    """End of the latest away period (of any member) that has ended by ``now``."""
    ends = [p.end for m in pair.members for p in m.away if p.end <= now]
    return max(ends, default=None)


def silence_starts(pair: PairActivity, now: datetime) -> dict[int, datetime]:
    """When each member's silence began, as of ``now``: their last contact, but never before
    the partnership started nor before the latest time away that has ended."""
    pause = _pause_end(pair, now)
    starts: dict[int, datetime] = {}
    for member in pair.members:
        anchor = _contact_anchor(member, pair.started_at)
        starts[member.member_id] = anchor if pause is None else max(anchor, pause)
    return starts


def contact_resumed(pair: PairActivity) -> bool:
    """Whether every member has been in touch since the last nudge.

    When true, ``nudges_since_contact`` and ``escalated`` no longer apply; the store should
    reset them (``decide`` already treats them as reset).
    """
    if pair.last_nudge_at is None:
        return False
    oldest = min(_contact_anchor(m, pair.started_at) for m in pair.members)
    return oldest > pair.last_nudge_at


def _whole_days(delta: timedelta) -> int:
    return max(0, delta // _DAY)


def _local_windows(zone: str, now: datetime, rules: NudgeRules) -> list[tuple[datetime, datetime]]:
    """The member's daytime windows around ``now`` (yesterday to +3 days), as UTC intervals."""
    tz = zone_named(zone)
    today = now.astimezone(tz).date()
    windows: list[tuple[datetime, datetime]] = []
    for offset in range(-1, 4):
        day = today + timedelta(days=offset)
        start = datetime.combine(day, time(rules.daytime_start_hour), tzinfo=tz)
        if rules.daytime_end_hour == 24:
            end = datetime.combine(day + _DAY, time(0), tzinfo=tz)
        else:
            end = datetime.combine(day, time(rules.daytime_end_hour), tzinfo=tz)
        start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
        if end_utc > start_utc:
            windows.append((start_utc, end_utc))
    return windows


def _intersect(
    a: Sequence[tuple[datetime, datetime]], b: Sequence[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for a_start, a_end in a:
        for b_start, b_end in b:
            start, end = max(a_start, b_start), min(a_end, b_end)
            if start < end:
                out.append((start, end))
    return out


def _earliest_at_or_after(
    windows: Iterable[tuple[datetime, datetime]], now: datetime, horizon: datetime
) -> datetime | None:
    candidates = [max(start, now) for start, end in windows if end > now]
    best = min(candidates, default=None)
    return best if best is not None and best < horizon else None


def next_common_window(zones: Sequence[str], now: datetime, rules: NudgeRules) -> datetime:
    """The earliest instant ``>= now`` inside every zone's daytime window.

    Returns ``now`` itself when it already is. Falls back to the first zone's window when
    the windows share no instant within the next 48 hours (see the module docstring).
    """
    _require_aware(now, "now")
    now = now.astimezone(UTC)
    if not zones:
        raise ValueError("next_common_window needs at least one zone")
    horizon = now + 2 * _DAY
    common = _local_windows(zones[0], now, rules)
    for zone in zones[1:]:
        common = _intersect(common, _local_windows(zone, now, rules))
    found = _earliest_at_or_after(common, now, horizon)
    if found is not None:
        return found
    fallback = _earliest_at_or_after(_local_windows(zones[0], now, rules), now, horizon)
    if fallback is None:  # pragma: no cover - a daily window always recurs within 48 h
        raise AssertionError("no daytime window within 48 hours")
    return fallback


# ----------------------------------------------------------------------- away summary


def _next_send(
    zones: Sequence[str],
    now: datetime,
    rules: NudgeRules,
    quiet: Sequence[tuple[datetime, datetime]],
) -> datetime:
    """The first instant from ``now`` inside every recipient's daytime and outside the
    pair's quiet windows."""
    at = next_common_window(zones, now, rules)
    for _ in range(len(quiet) + 1):
        ends = [end for start, end in quiet if start <= at < end]
        if not ends:
            return at
        at = next_common_window(zones, max(ends), rules)
    return at


def _describe_period(name: str, period: AwayPeriod, zone: str, now: datetime) -> str:
    tz = zone_named(zone)
    first = period.start.astimezone(tz).date()
    last = (period.end - _EPSILON).astimezone(tz).date()
    if period.covers(now):
        text = f"{name} away until {format_local_date(last)}"
    elif period.end <= now:
        text = f"{name} was away {_span(first, last)}"
    else:
        text = f"{name} away {_span(first, last)}"
    return f"{text} ({period.note})" if period.note else text


def _span(first: date, last: date) -> str:
    if first == last:
        return f"on {format_local_date(first)}"
    return f"{format_local_date(first)} – {format_local_date(last)}"


def away_summary(pair: PairActivity, now: datetime, names: Mapping[int, str] | None = None) -> str:
    """One line for coordinators about away periods relevant to the current silence.

    Lists (in time order) every period ending after the oldest member's last contact: past
    ones ("Bo was away 1 March 2027 – 3 March 2027"), current ("Bo away until 3 March 2027")
    and upcoming ones, with notes in parentheses. Dates are the member's local calendar
    days, the end being the last day away. Names come from ``names``; unknown ids show as
    "member <id>". Returns "no one away" when nothing is relevant.
    """
    names = names or {}
    since = min(_contact_anchor(m, pair.started_at) for m in pair.members)
    items = sorted(
        (
            (period.start, member.member_id, period, member.timezone)
            for member in pair.members
            for period in member.away
            if period.end > since
        ),
        key=lambda item: (item[0], item[1], item[2].end),
    )
    if not items:
        return "no one away"
    parts = [
        _describe_period(names.get(member_id, f"member {member_id}"), period, zone, now)
        for _, member_id, period, zone in items
    ]
    return "; ".join(parts)


# ---------------------------------------------------------------------------- decide


def decide(
    pair: PairActivity,
    now: datetime,
    rules: NudgeRules | None = None,
    *,
    names: Mapping[int, str] | None = None,
) -> Decision:
    """What to do about ``pair`` at ``now`` (see the module docstring for the exact rules).

    ``names`` maps member ids to display names for :attr:`Escalate.away_summary`.
    """
    _require_aware(now, "now")
    rules = rules or NudgeRules()
    if any(is_away(member, now) for member in pair.members):
        return NoAction("away")

    quiet_after = timedelta(days=rules.quiet_after_days)
    starts = silence_starts(pair, now)
    silent = tuple(m.member_id for m in pair.members if now - starts[m.member_id] >= quiet_after)
    if not silent:
        return NoAction("in_touch")

    resumed = contact_resumed(pair)
    nudges = 0 if resumed else pair.nudges_since_contact
    escalated = False if resumed else pair.escalated
    if escalated:
        return NoAction("already_escalated")

    gap = timedelta(days=rules.nudge_min_gap_days)
    gap_passed = pair.last_nudge_at is None or now - pair.last_nudge_at >= gap
    if not gap_passed:
        return NoAction("nudge_gap")

    if nudges >= rules.escalate_after_nudges:
        silent_contacts = [
            _contact_anchor(m, pair.started_at) for m in pair.members if m.member_id in silent
        ]
        return Escalate(
            days_since_contact=_whole_days(now - max(silent_contacts)),
            nudges=nudges,
            away_summary=away_summary(pair, now, names),
            silent_members=silent,
        )

    quiet = len(silent) == len(pair.members)
    recipients = tuple(m.member_id for m in pair.members) if quiet else silent
    zones = [m.timezone for m in pair.members if m.member_id in recipients]
    send_at = _next_send(zones, now, rules, pair.quiet)
    if send_at > now:
        return WaitForWindow(next_at=send_at)
    return SendNudge(
        kind="quiet" if quiet else "one_sided",
        recipients=recipients,
        silent_members=silent,
        days_quiet=min(_whole_days(now - starts[member_id]) for member_id in silent),
    )


# ------------------------------------------------------------------------ pair health

RiskLabel = Literal["ok", "watch", "at risk"]


def _effective_now(pair: PairActivity, now: datetime) -> datetime:
    """``now``, or the start of a current away period: silence does not grow while away."""
    current = [p.start for m in pair.members for p in m.away if p.covers(now)]
    return min([now, *current])


def risk_score(
    pair: PairActivity,
    now: datetime,
    rules: NudgeRules | None = None,
    *,
    not_working_checkins: int = 0,
) -> float:
    """A 0..1 score for sorting the coordinators' "pair health" view (higher = worse).

    Weighted sum of three capped components:

    * 0.5 × silence: the longest member silence (same clock as :func:`decide`, frozen while
      someone is away) relative to twice ``quiet_after_days`` (28 days silent = full);
    * 0.2 × unanswered nudges relative to ``escalate_after_nudges``; an escalated pair
      scores the full 0.2;
    * 0.3 × "not working" check-in answers, two or more = full.
    """
    _require_aware(now, "now")
    rules = rules or NudgeRules()
    if not_working_checkins < 0:
        raise ValueError("not_working_checkins must be >= 0")
    at = _effective_now(pair, now)
    starts = silence_starts(pair, at)
    longest = max(max(at - s, timedelta(0)) for s in starts.values())
    silence = min(1.0, longest / timedelta(days=2 * rules.quiet_after_days))
    resumed = contact_resumed(pair)
    nudges = 0 if resumed else pair.nudges_since_contact
    escalated = False if resumed else pair.escalated
    nudge_part = 1.0 if escalated else min(1.0, nudges / rules.escalate_after_nudges)
    checkin_part = min(1.0, not_working_checkins / 2)
    return round(0.5 * silence + 0.2 * nudge_part + 0.3 * checkin_part, 6)


def risk_label(score: float) -> RiskLabel:
    """Bucket a :func:`risk_score`: < 0.25 "ok", < 0.5 "watch", otherwise "at risk".

    With the defaults: 14 silent days alone is 0.25 ("watch"); a single "not working"
    check-in is 0.15; 28 silent days plus a nudge is 0.6 ("at risk").
    """
    if score < 0.25:
        return "ok"
    if score < 0.5:
        return "watch"
    return "at risk"


def contacts_per_fortnight(contact_days: int, started_at: datetime, now: datetime) -> float:
    """Average days in touch per 14 days since the partnership started, from the number of
    days with contact (a chat of thirty messages in one evening is one contact).

    The elapsed time is floored at 14 days so a pair in its first fortnight is not divided
    by a tiny number (one day in touch on day 1 is 1.0, not 14.0).
    """
    _require_aware(started_at, "started_at")
    _require_aware(now, "now")
    if contact_days < 0:
        raise ValueError("contact_days must be >= 0")
    fortnight = timedelta(days=14)
    elapsed = max(now - started_at, fortnight)
    return contact_days / (elapsed / fortnight)


# ------------------------------------------------------------------------ next check


def silent_from(starts: Mapping[int, datetime], rules: NudgeRules | None = None) -> datetime:
    """When the first member of a pair in touch turns silent, given when each member's
    silence began (:func:`silence_starts`, moved on by any contact since)."""
    rules = rules or NudgeRules()
    return min(starts.values()) + timedelta(days=rules.quiet_after_days)


def next_check_at(
    pair: PairActivity, decision: Decision, now: datetime, rules: NudgeRules | None = None
) -> datetime | None:
    """When :func:`decide` could next answer differently for ``pair``, given ``decision``
    (its answer at ``now``) and no new contact; None when only new contact can change it.

    Never later than the real change, sometimes earlier (then the next answer is simply
    the same again): a pair in touch is looked at when its quietest member would turn
    silent, one whose nudge gap runs is looked at when the gap ends, a pair with someone
    away when that time away ends. Nudges and escalations are due at once.
    """
    rules = rules or NudgeRules()
    match decision:
        case WaitForWindow(next_at=at):
            return at
        case SendNudge() | Escalate():
            return now
        case NoAction(reason="away"):
            ends = [p.end for m in pair.members for p in m.away if p.covers(now)]
            return min(ends, default=now)
        case NoAction(reason="in_touch"):
            return silent_from(silence_starts(pair, now), rules)
        case NoAction(reason="nudge_gap"):
            assert pair.last_nudge_at is not None
            return pair.last_nudge_at + timedelta(days=rules.nudge_min_gap_days)
        case NoAction(reason="already_escalated"):
            return None
    raise ValueError(f"unknown decision {decision!r}")
