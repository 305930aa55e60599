from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.domain.contact import (
    AwayPeriod,
    Escalate,
    MemberActivity,
    NoAction,
    NudgeRules,
    PairActivity,
    SendNudge,
    WaitForWindow,
    away_summary,
    contact_resumed,
    contacts_per_fortnight,
    decide,
    is_away,
    next_common_window,
    risk_label,
    risk_score,
)

RULES = NudgeRules()
NOW = datetime(2027, 1, 20, 12, 0, tzinfo=UTC)  # a Wednesday, winter in the north
ANA, BO = 1, 2


def ago(days: float = 0, hours: float = 0) -> datetime:
    return NOW - timedelta(days=days, hours=hours)


def member(
    member_id: int,
    last: datetime | None,
    *,
    tz: str = "UTC",
    away: tuple[AwayPeriod, ...] = (),
) -> MemberActivity:
    return MemberActivity(member_id=member_id, timezone=tz, last_contact=last, away=away)


def pair(
    *members: MemberActivity,
    started: datetime | None = None,
    last_nudge: datetime | None = None,
    nudges: int = 0,
    escalated: bool = False,
) -> PairActivity:
    return PairActivity(
        partnership_id=7,
        started_at=started or ago(60),
        members=members,
        last_nudge_at=last_nudge,
        nudges_since_contact=nudges,
        escalated=escalated,
    )


def both_last(at: datetime | None, **kwargs: object) -> PairActivity:
    return pair(member(ANA, at), member(BO, at), **kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------- settings


def test_rules_defaults_and_validation() -> None:
    assert RULES.model_dump() == {
        "quiet_after_days": 14,
        "nudge_min_gap_days": 7,
        "daytime_start_hour": 9,
        "daytime_end_hour": 18,
        "escalate_after_nudges": 2,
    }
    with pytest.raises(ValidationError):
        NudgeRules(daytime_start_hour=18, daytime_end_hour=9)
    with pytest.raises(ValidationError):
        RULES.quiet_after_days = 3  # type: ignore[misc]


def test_values_reject_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        member(ANA, datetime(2027, 1, 1))
    with pytest.raises(ValueError):
        decide(both_last(ago(1)), datetime(2027, 1, 1))
    with pytest.raises(ValueError):
        AwayPeriod(start=ago(1), end=ago(2))


# ------------------------------------------------------------- quiet boundary


@pytest.mark.parametrize(
    ("silence", "expected"),
    [
        (timedelta(days=13, hours=23, minutes=59), NoAction("in_touch")),
        (timedelta(days=13, hours=23), NoAction("in_touch")),
        (timedelta(days=14), SendNudge("quiet", (ANA, BO), (ANA, BO), 14)),
        (timedelta(days=20, hours=5), SendNudge("quiet", (ANA, BO), (ANA, BO), 20)),
    ],
)
def test_quiet_boundary(silence: timedelta, expected: object) -> None:
    assert decide(both_last(NOW - silence), NOW, RULES) == expected


@pytest.mark.parametrize(
    ("started_days_ago", "expected"),
    [
        (13.99, NoAction("in_touch")),
        (14, SendNudge("quiet", (ANA, BO), (ANA, BO), 14)),
    ],
)
def test_new_partnership_counts_its_start_as_contact(
    started_days_ago: float, expected: object
) -> None:
    assert decide(both_last(None, started=ago(started_days_ago)), NOW) == expected


def test_contact_before_the_partnership_started_does_not_count() -> None:
    assert decide(both_last(ago(40), started=ago(5)), NOW) == NoAction("in_touch")


# ---------------------------------------------------------------- one-sided


@pytest.mark.parametrize(
    ("bo_silence", "expected"),
    [
        (timedelta(days=13, hours=23), NoAction("in_touch")),
        (timedelta(days=14), SendNudge("one_sided", (BO,), (BO,), 14)),
    ],
)
def test_one_sided_boundary(bo_silence: timedelta, expected: object) -> None:
    p = pair(member(ANA, ago(2)), member(BO, NOW - bo_silence))
    assert decide(p, NOW) == expected


def test_one_sided_when_silent_member_never_wrote() -> None:
    p = pair(member(ANA, ago(1)), member(BO, None), started=ago(30))
    assert decide(p, NOW) == SendNudge("one_sided", (BO,), (BO,), 30)


# -------------------------------------------------------------------- away


def away(start: datetime, end: datetime, note: str | None = None) -> tuple[AwayPeriod, ...]:
    return (AwayPeriod(start=start, end=end, note=note),)


@pytest.mark.parametrize(
    ("ana_away", "bo_away", "bo_last"),
    [
        ((), away(ago(3), ago(-3)), ago(30)),  # quiet pair, Bo away: nothing at all
        (away(ago(3), ago(-3)), (), ago(30)),  # quiet pair, Ana away
        (away(ago(1), ago(-1)), (), ago(30)),  # Ana (the active one) away: no one-sided
        ((), away(ago(1), ago(-1)), ago(30)),  # Bo (the silent one) away
        ((), away(NOW, ago(-1)), ago(30)),  # start is inclusive
    ],
)
def test_no_nudge_while_anyone_is_away(
    ana_away: tuple[AwayPeriod, ...], bo_away: tuple[AwayPeriod, ...], bo_last: datetime
) -> None:
    ana_last = ago(30) if not ana_away or bo_away else ago(1)
    p = pair(member(ANA, ana_last, away=ana_away), member(BO, bo_last, away=bo_away))
    assert decide(p, NOW) == NoAction("away")


def test_away_end_is_exclusive() -> None:
    p = pair(member(ANA, ago(40)), member(BO, ago(40), away=away(ago(20), ago(14))))
    assert is_away(p.members[1], ago(14, hours=-0.0001)) is False
    assert is_away(p.members[1], ago(14, hours=0.0001)) is True
    assert decide(p, NOW) == SendNudge("quiet", (ANA, BO), (ANA, BO), 14)


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        (timedelta(days=13, hours=23), NoAction("in_touch")),
        (timedelta(days=14), SendNudge("quiet", (ANA, BO), (ANA, BO), 14)),
    ],
)
def test_quiet_clock_restarts_when_an_away_period_ends(
    returned: timedelta, expected: object
) -> None:
    # Both silent for 40 days, but Bo was away until `returned` ago: days away don't count.
    p = pair(member(ANA, ago(40)), member(BO, ago(40), away=away(ago(30), NOW - returned)))
    assert decide(p, NOW) == expected


def test_old_away_period_before_last_contact_is_irrelevant() -> None:
    p = pair(member(ANA, ago(15)), member(BO, ago(15), away=away(ago(40), ago(30))))
    assert decide(p, NOW) == SendNudge("quiet", (ANA, BO), (ANA, BO), 15)


def test_upcoming_away_does_not_block_a_nudge_now() -> None:
    p = pair(member(ANA, ago(15)), member(BO, ago(15), away=away(ago(-2), ago(-9))))
    assert decide(p, NOW) == SendNudge("quiet", (ANA, BO), (ANA, BO), 15)


# --------------------------------------------------------------- daytime window


def test_nudge_waits_when_it_is_night_for_a_recipient() -> None:
    # 12:00 UTC is 21:00 in Tokyo; 09:00 JST is 00:00 UTC.
    p = pair(member(ANA, ago(20), tz="Asia/Tokyo"), member(BO, ago(20)))
    assert decide(p, NOW) == WaitForWindow(datetime(2027, 1, 21, 0, tzinfo=UTC))


def test_nudge_at_3am_local_waits_until_the_common_window() -> None:
    # London 12:00 (GMT) / Los Angeles 04:00 (PST): common window is 17:00-18:00 UTC.
    p = pair(
        member(ANA, ago(20), tz="Europe/London"),
        member(BO, ago(20), tz="America/Los_Angeles"),
    )
    assert decide(p, NOW) == WaitForWindow(NOW.replace(hour=17))
    at_open = NOW.replace(hour=17)
    assert isinstance(decide(p, at_open), SendNudge)
    assert isinstance(decide(p, at_open.replace(minute=59)), SendNudge)
    # 18:00 London is outside (end exclusive): next common instant is tomorrow 17:00 UTC.
    assert decide(p, NOW.replace(hour=18)) == WaitForWindow(datetime(2027, 1, 21, 17, tzinfo=UTC))


def test_window_follows_dst() -> None:
    # In July London is BST (+1) and LA is PDT (-7): common window is 16:00-17:00 UTC.
    now = datetime(2027, 7, 14, 12, tzinfo=UTC)
    p = PairActivity(
        partnership_id=1,
        started_at=now - timedelta(days=60),
        members=(
            member(ANA, now - timedelta(days=20), tz="Europe/London"),
            member(BO, now - timedelta(days=20), tz="America/Los_Angeles"),
        ),
    )
    assert decide(p, now) == WaitForWindow(now.replace(hour=16))


def test_one_sided_window_only_considers_the_recipient() -> None:
    # Ana (active) is in Tokyo at 21:00; Bo (silent, the only recipient) is in London at noon.
    p = pair(member(ANA, ago(1), tz="Asia/Tokyo"), member(BO, ago(20), tz="Europe/London"))
    assert decide(p, NOW) == SendNudge("one_sided", (BO,), (BO,), 20)


@pytest.mark.parametrize(
    ("zones", "expected"),
    [
        # Auckland (NZDT +13) 09-18 = 20:00-05:00 UTC; London 09-18 UTC: no overlap at all.
        (("Europe/London", "Pacific/Auckland"), NOW),  # falls back to London: open now
        (("Pacific/Auckland", "Europe/London"), NOW.replace(hour=20)),  # Auckland first
    ],
)
def test_no_common_window_falls_back_to_first_recipient(
    zones: tuple[str, str], expected: datetime
) -> None:
    assert next_common_window(zones, NOW, RULES) == expected
    p = pair(member(ANA, ago(20), tz=zones[0]), member(BO, ago(20), tz=zones[1]))
    got = decide(p, NOW)
    assert got == (
        WaitForWindow(expected) if expected > NOW else SendNudge("quiet", (ANA, BO), (ANA, BO), 20)
    )


def test_window_end_hour_24() -> None:
    rules = NudgeRules(daytime_start_hour=20, daytime_end_hour=24)
    assert next_common_window(["UTC"], NOW.replace(hour=23, minute=59), rules) == NOW.replace(
        hour=23, minute=59
    )
    assert next_common_window(["UTC"], NOW, rules) == NOW.replace(hour=20)


# ------------------------------------------------------------------ nudge gap


@pytest.mark.parametrize(
    ("since_nudge", "expected"),
    [
        (timedelta(days=6, hours=23, minutes=59), NoAction("nudge_gap")),
        (timedelta(days=7), SendNudge("quiet", (ANA, BO), (ANA, BO), 21)),
    ],
)
def test_seven_day_gap_between_nudges(since_nudge: timedelta, expected: object) -> None:
    p = both_last(ago(21), last_nudge=NOW - since_nudge, nudges=1)
    assert decide(p, NOW) == expected


# ----------------------------------------------------------------- escalation


def test_escalates_after_exactly_two_unanswered_nudges() -> None:
    one = both_last(ago(28), last_nudge=ago(7), nudges=1)
    assert decide(one, NOW) == SendNudge("quiet", (ANA, BO), (ANA, BO), 28)
    two = both_last(ago(28), last_nudge=ago(7), nudges=2)
    assert decide(two, NOW) == Escalate(
        days_since_contact=28, nudges=2, away_summary="no one away", silent_members=(ANA, BO)
    )


def test_second_nudge_gets_its_gap_to_be_answered_before_escalation() -> None:
    p = both_last(ago(28), last_nudge=ago(6), nudges=2)
    assert decide(p, NOW) == NoAction("nudge_gap")


def test_escalates_only_once() -> None:
    p = both_last(ago(40), last_nudge=ago(20), nudges=2, escalated=True)
    assert decide(p, NOW) == NoAction("already_escalated")
    assert decide(p, NOW + timedelta(days=30)) == NoAction("already_escalated")


def test_escalation_ignores_the_daytime_window() -> None:
    p = pair(
        member(ANA, ago(28), tz="Asia/Tokyo"),
        member(BO, ago(28)),
        last_nudge=ago(7),
        nudges=2,
    )
    assert isinstance(decide(p, NOW), Escalate)


def test_escalation_paused_while_away() -> None:
    p = pair(
        member(ANA, ago(28)),
        member(BO, ago(28), away=away(ago(1), ago(-5))),
        last_nudge=ago(7),
        nudges=2,
    )
    assert decide(p, NOW) == NoAction("away")


def test_escalation_configurable() -> None:
    p = both_last(ago(28), last_nudge=ago(7), nudges=2)
    assert isinstance(decide(p, NOW, NudgeRules(escalate_after_nudges=3)), SendNudge)


def test_one_sided_escalation_names_the_silent_partner_and_away_history() -> None:
    # Bo was away over New Year (local Auckland dates), came back, then stayed silent.
    bo_away = AwayPeriod(
        start=datetime(2026, 12, 23, 11, tzinfo=UTC),  # 24 Dec 00:00 NZDT
        end=datetime(2027, 1, 2, 11, tzinfo=UTC),  # 3 Jan 00:00 NZDT
        note="holidays",
    )
    p = pair(
        member(ANA, ago(1)),
        member(BO, ago(45), tz="Pacific/Auckland", away=(bo_away,)),
        last_nudge=ago(7),
        nudges=2,
    )
    got = decide(p, NOW, names={BO: "Bo"})
    assert got == Escalate(
        days_since_contact=45,
        nudges=2,
        away_summary="Bo was away 24 December 2026 – 2 January 2027 (holidays)",
        silent_members=(BO,),
    )


# ------------------------------------------------------------ contact resets


def test_contact_from_everyone_resets_nudges_and_escalation() -> None:
    # Escalated 20 days ago, then both wrote (15 days ago), then silence again.
    p = both_last(ago(15), last_nudge=ago(20), nudges=2, escalated=True)
    assert contact_resumed(p)
    assert decide(p, NOW) == SendNudge("quiet", (ANA, BO), (ANA, BO), 15)


def test_recent_contact_means_no_action_whatever_the_counters() -> None:
    p = both_last(ago(1), last_nudge=ago(8), nudges=2, escalated=True)
    assert decide(p, NOW) == NoAction("in_touch")


def test_one_partner_writing_does_not_reset_the_silent_partners_count() -> None:
    p = pair(member(ANA, ago(2)), member(BO, ago(30)), last_nudge=ago(7), nudges=2)
    assert not contact_resumed(p)
    assert decide(p, NOW) == Escalate(
        days_since_contact=30, nudges=2, away_summary="no one away", silent_members=(BO,)
    )


def test_contact_resumed_needs_a_nudge() -> None:
    assert not contact_resumed(both_last(ago(1)))


# -------------------------------------------------------------- away summary


def test_away_summary_current_and_upcoming() -> None:
    bo_now = AwayPeriod(
        start=datetime(2027, 1, 19, 23, tzinfo=UTC),
        end=datetime(2027, 3, 3, 23, tzinfo=UTC),  # 4 March 00:00 CET
    )
    ana_later = AwayPeriod(
        start=datetime(2027, 2, 10, tzinfo=UTC), end=datetime(2027, 2, 11, tzinfo=UTC)
    )
    p = pair(
        member(ANA, ago(20), away=(ana_later,)),
        member(BO, ago(20), tz="Europe/Berlin", away=(bo_now,)),
    )
    assert away_summary(p, NOW, {BO: "Bo"}) == (
        "Bo away until 3 March 2027; member 1 away on 10 February 2027"
    )


# ------------------------------------------------------------------ health


def test_risk_score_orders_pairs_by_health() -> None:
    healthy = both_last(ago(2))
    quiet = both_last(ago(14))
    nudged = both_last(ago(28), last_nudge=ago(7), nudges=1)
    escalated = both_last(ago(40), last_nudge=ago(20), nudges=2, escalated=True)
    scores = [
        risk_score(healthy, NOW),
        risk_score(quiet, NOW),
        risk_score(nudged, NOW),
        risk_score(escalated, NOW),
        risk_score(escalated, NOW, not_working_checkins=2),
    ]
    assert scores == sorted(scores)
    assert len(set(scores)) == len(scores)
    assert [risk_label(s) for s in scores] == ["ok", "watch", "at risk", "at risk", "at risk"]
    assert scores[-1] == pytest.approx(1.0)
    assert 0 <= scores[0] < 0.25


def test_risk_score_not_working_checkins_and_one_sided() -> None:
    base = risk_score(both_last(ago(1)), NOW)
    assert risk_score(both_last(ago(1)), NOW, not_working_checkins=1) == pytest.approx(base + 0.15)
    one_sided = pair(member(ANA, ago(1)), member(BO, ago(28)))
    assert risk_score(one_sided, NOW) == pytest.approx(0.5)


def test_risk_silence_frozen_while_away() -> None:
    p = pair(member(ANA, ago(28)), member(BO, ago(28), away=away(ago(14), ago(-14))))
    assert risk_score(p, NOW) == pytest.approx(risk_score(both_last(ago(14)), NOW))


@pytest.mark.parametrize(
    ("score", "label"), [(0.0, "ok"), (0.2499, "ok"), (0.25, "watch"), (0.5, "at risk")]
)
def test_risk_label_thresholds(score: float, label: str) -> None:
    assert risk_label(score) == label


@pytest.mark.parametrize(
    ("days", "started", "expected"),
    [
        (0, ago(28), 0.0),
        (4, ago(28), 2.0),
        (1, ago(1), 1.0),  # first fortnight: not divided by a tiny elapsed time
        (2, ago(42), 2 / 3),
        (1, ago(14), 1.0),
    ],
)
def test_contacts_per_fortnight(days: int, started: datetime, expected: float) -> None:
    assert contacts_per_fortnight(days, started, NOW) == pytest.approx(expected)


def test_contacts_per_fortnight_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError, match="contact_days"):
        contacts_per_fortnight(-1, ago(14), NOW)


# ---------------------------------------------------------------- properties

ZONES = ["UTC", "Europe/London", "Asia/Tokyo", "America/Los_Angeles", "Pacific/Auckland"]
hours = st.integers(min_value=0, max_value=24 * 60)


@st.composite
def away_periods(draw: st.DrawFn) -> tuple[AwayPeriod, ...]:
    periods = []
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        start = NOW + timedelta(hours=draw(st.integers(min_value=-24 * 40, max_value=24 * 10)))
        length = timedelta(hours=draw(st.integers(min_value=1, max_value=24 * 20)))
        periods.append(AwayPeriod(start=start, end=start + length))
    return tuple(periods)


@st.composite
def pairs(draw: st.DrawFn) -> PairActivity:
    members = tuple(
        MemberActivity(
            member_id=i,
            timezone=draw(st.sampled_from(ZONES)),
            last_contact=draw(st.none() | hours.map(lambda h: NOW - timedelta(hours=h))),
            away=draw(away_periods()),
        )
        for i in (ANA, BO)
    )
    last_nudge = draw(st.none() | hours.map(lambda h: NOW - timedelta(hours=h)))
    return PairActivity(
        partnership_id=1,
        started_at=NOW - timedelta(hours=draw(st.integers(min_value=0, max_value=24 * 120))),
        members=members,
        last_nudge_at=last_nudge,
        nudges_since_contact=draw(st.integers(min_value=0, max_value=3)),
        escalated=draw(st.booleans()),
    )


@settings(max_examples=300)
@given(pairs(), st.integers(min_value=0, max_value=24 * 60 - 1))
def test_never_nudges_an_away_member_or_a_pair_with_someone_away(
    p: PairActivity, minutes: int
) -> None:
    now = NOW + timedelta(minutes=minutes)
    got = decide(p, now)
    if any(is_away(m, now) for m in p.members):
        assert got == NoAction("away")
    if isinstance(got, SendNudge):
        assert not any(is_away(m, now) for m in p.members if m.member_id in got.recipients)
        assert got.days_quiet >= RULES.quiet_after_days


@settings(max_examples=300)
@given(pairs(), st.integers(min_value=0, max_value=24 * 60 - 1))
def test_never_nudges_within_the_gap_and_only_inside_windows(p: PairActivity, minutes: int) -> None:
    now = NOW + timedelta(minutes=minutes)
    got = decide(p, now)
    if isinstance(got, SendNudge | Escalate) and p.last_nudge_at is not None:
        assert now - p.last_nudge_at >= timedelta(days=RULES.nudge_min_gap_days)
    if isinstance(got, WaitForWindow):
        assert got.next_at > now
        assert got.next_at - now < timedelta(days=2)
        assert got.next_at.tzinfo is UTC
