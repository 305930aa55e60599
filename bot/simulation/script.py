"""What the simulated partners do: deterministic for a seed.

Each partnership gets a role:

* ``chatty``: both write every 1–4 days for the whole round (most pairs);
* ``quiet``: both write in the first two weeks, then fall silent, so the bot nudges them
  and, when the nudges go unanswered, alerts the coordinators;
* ``quiet_resumes``: like ``quiet``, but the pair picks up again after the coordinators'
  alert, which starts the nudge cycle over;
* ``one_sided``: one partner keeps writing, the other stops after the first week;
* ``away``: chatty, but one partner records three weeks away with ``/away`` (the pair is
  silent meanwhile, and the contact rules must not nudge it), then both resume.

Partners react to the bot: they answer check-ins (the one-sided pair's active partner
says "not working") and answer the one-month reminder, so both closes appear: a space is
left open only when every partner chose "keep in touch". Applicants left without a
partner answer the bot's message in turn: keep me on the list, talk to a coordinator, I
would join a trio.

A scripted coordinator works every case: takes it a couple of hours after it opens (or
opens again) and marks it handled a day later.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from bot.store.models import CheckinRating, EndChoice, Partnership

Role = Literal["chatty", "quiet", "quiet_resumes", "one_sided", "away"]
SPECIAL_ROLES: tuple[Role, ...] = ("quiet", "one_sided", "away", "quiet_resumes", "quiet")

QUIET_FROM_DAY = 14
ONE_SIDED_FROM_DAY = 7
# Later events sit at a share of the round's length, so a shorter round still shows them
# (for the default four months: resume on day 50, away declared on day 30 for days 38-58).
RESUME_SHARE = 0.42
AWAY_DECLARED_SHARE = 0.25
AWAY_FIRST_SHARE = 0.32
AWAY_LAST_SHARE = 0.48
END_PATTERNS: tuple[tuple[EndChoice, EndChoice], ...] = (
    ("keep_in_touch", "keep_in_touch"),
    ("wrap_up", "wrap_up"),
    ("keep_in_touch", "wrap_up"),
)
NOT_WORKING_COMMENT = "My partner has not replied since our first week."


@dataclass(frozen=True)
class Message:
    at: datetime
    partnership_id: int
    member_id: int


@dataclass(frozen=True)
class DeclareAway:
    at: datetime
    member_id: int
    first_day: str
    last_day: str
    note: str


@dataclass(frozen=True)
class AnswerCheckin:
    at: datetime
    partnership_id: int
    member_id: int
    sequence: int
    rating: CheckinRating
    comment: str | None


@dataclass(frozen=True)
class ChooseEnd:
    at: datetime
    partnership_id: int
    member_id: int
    choice: EndChoice


@dataclass(frozen=True)
class OptIntoCheckinDms:
    at: datetime
    member_id: int


@dataclass(frozen=True)
class AnswerUnmatched:
    at: datetime
    round_id: int
    member_id: int
    choice: Literal["keep", "trio", "talk"]


@dataclass(frozen=True)
class TakeCase:
    at: datetime
    case_id: int


@dataclass(frozen=True)
class HandleCase:
    at: datetime
    case_id: int
    note: str


Action = (
    Message
    | DeclareAway
    | AnswerCheckin
    | ChooseEnd
    | OptIntoCheckinDms
    | AnswerUnmatched
    | TakeCase
    | HandleCase
)
UNMATCHED_ANSWERS: tuple[Literal["keep", "trio", "talk"], ...] = ("keep", "talk", "trio")
TAKE_AFTER = timedelta(hours=2)
HANDLE_AFTER = timedelta(days=1)
HANDLED_NOTE = "Wrote to the partners; they will tell us if it does not improve."


def unmatched_answer(number: int, round_id: int, member_id: int, at: datetime) -> AnswerUnmatched:
    """The ``number``-th applicant left without a partner answers an hour after being told."""
    choice = UNMATCHED_ANSWERS[number % len(UNMATCHED_ANSWERS)]
    return AnswerUnmatched(_minute(at + timedelta(hours=1)), round_id, member_id, choice)


def coordinator_works(case_id: int, at: datetime) -> list[Action]:
    """The scripted coordinator's part in a case that just opened."""
    return [
        TakeCase(_minute(at + TAKE_AFTER), case_id),
        HandleCase(_minute(at + HANDLE_AFTER), case_id, HANDLED_NOTE),
    ]


@dataclass(frozen=True)
class Cast:
    """Who plays which part; the runner and the tests read it."""

    roles: dict[int, Role]
    silent_member: dict[int, int]  # one-sided pair -> the partner who stops writing
    away_member: int | None
    away_first_day: date | None
    away_last_day: date | None
    dm_opt_in: tuple[int, ...]  # members who ask for check-in DMs
    dms_closed: tuple[int, ...]  # ...of whom these do not accept DMs


class PartnerScript:
    def __init__(
        self,
        seed: int,
        starts_on: date,
        ends_on: date,
        partnerships: Sequence[Partnership],
    ) -> None:
        self._rng = random.Random(seed)
        self._start = datetime.combine(starts_on, time(0), tzinfo=UTC)
        self._end = datetime.combine(ends_on, time(0), tzinfo=UTC)
        self._starts_on = starts_on
        self._partnerships = {p.id: p for p in partnerships}
        length = (ends_on - starts_on).days
        self._resume_day = round(length * RESUME_SHARE)
        self._away_declared_day = round(length * AWAY_DECLARED_SHARE)
        self._away_first_day = round(length * AWAY_FIRST_SHARE)
        self._away_last_day = round(length * AWAY_LAST_SHARE)
        self.cast = self._cast(sorted(self._partnerships))

    # Casting --------------------------------------------------------------------------------

    def _cast(self, ids: list[int]) -> Cast:
        shuffled = ids[:]
        self._rng.shuffle(shuffled)
        # The first pair stays chatty so even a tiny round shows a normal partnership.
        roles: dict[int, Role] = {pid: "chatty" for pid in shuffled}
        for pid, role in zip(shuffled[1:], SPECIAL_ROLES, strict=False):
            roles[pid] = role
        silent = {
            pid: self._rng.choice(self._partnerships[pid].member_ids)
            for pid, role in roles.items()
            if role == "one_sided"
        }
        away_pair = next((pid for pid, role in roles.items() if role == "away"), None)
        away_member = (
            None
            if away_pair is None
            else self._rng.choice(self._partnerships[away_pair].member_ids)
        )
        chatty_members = [
            m
            for pid in sorted(roles)
            if roles[pid] == "chatty"
            for m in self._partnerships[pid].member_ids
        ]
        opted = tuple(sorted(self._rng.sample(chatty_members, min(2, len(chatty_members)))))
        return Cast(
            roles=roles,
            silent_member=silent,
            away_member=away_member,
            away_first_day=None if away_member is None else self._day(self._away_first_day),
            away_last_day=None if away_member is None else self._day(self._away_last_day),
            dm_opt_in=opted,
            dms_closed=opted[:1],
        )

    # The plan made up front ----------------------------------------------------------------

    def initial_actions(self, now: datetime) -> list[Action]:
        """Everything partners do on their own initiative, in no particular order."""
        actions: list[Action] = [OptIntoCheckinDms(now, m) for m in self.cast.dm_opt_in]
        for pid in sorted(self._partnerships):
            for member_id in self._partnerships[pid].member_ids:
                actions.extend(self._messages(pid, member_id))
        if self.cast.away_member is not None:
            assert self.cast.away_first_day and self.cast.away_last_day
            actions.append(
                DeclareAway(
                    at=self._at_day(self._away_declared_day, 14),
                    member_id=self.cast.away_member,
                    first_day=self.cast.away_first_day.isoformat(),
                    last_day=self.cast.away_last_day.isoformat(),
                    note="at a conference, then on leave",
                )
            )
        return actions

    def _messages(self, partnership_id: int, member_id: int) -> list[Message]:
        writing = self._writing_periods(partnership_id, member_id)
        messages = []
        at = self._start + timedelta(hours=self._rng.uniform(2, 48))
        while at < self._end:
            if any(start <= at < stop for start, stop in writing):
                messages.append(Message(_minute(at), partnership_id, member_id))
            at += timedelta(days=self._rng.uniform(1, 4))
        return messages

    def _writing_periods(self, pid: int, member_id: int) -> list[tuple[datetime, datetime]]:
        """The spans in which a member writes, by the pair's role."""
        role = self.cast.roles[pid]
        whole = (self._start, self._end)
        if role == "quiet":
            return [(self._start, self._day_at(QUIET_FROM_DAY))]
        if role == "quiet_resumes":
            return [
                (self._start, self._day_at(QUIET_FROM_DAY)),
                (self._day_at(self._resume_day), self._end),
            ]
        if role == "one_sided" and self.cast.silent_member[pid] == member_id:
            return [(self._start, self._day_at(ONE_SIDED_FROM_DAY))]
        if role == "away":
            # Both are silent from a day before the away period until a day after it.
            return [
                (self._start, self._day_at(self._away_first_day - 1)),
                (self._day_at(self._away_last_day + 2), self._end),
            ]
        return [whole]

    def describe(self, pid: int, names: dict[int, str]) -> str:
        """The pair's part in a few words, starting with its role."""
        role = self.cast.roles[pid]
        if role == "quiet":
            return f"quiet: both stop writing after day {QUIET_FROM_DAY}"
        if role == "quiet_resumes":
            return (
                f"quiet_resumes: both stop writing after day {QUIET_FROM_DAY}, "
                f"write again from day {self._resume_day}"
            )
        if role == "one_sided":
            silent = self.cast.silent_member[pid]
            name = names.get(silent, silent)
            return f"one_sided: {name} stops writing after day {ONE_SIDED_FROM_DAY}"
        if role == "away":
            member = self.cast.away_member
            return (
                f"away: {names.get(member or 0, member)} away {self.cast.away_first_day} to "
                f"{self.cast.away_last_day}, the pair silent meanwhile"
            )
        return "chatty: both write every 1 to 4 days"

    # Reactions ------------------------------------------------------------------------------

    def react(
        self, kind: str, partnership_id: int | None, sequence: int | None, at: datetime
    ) -> list[Action]:
        """What partners do after the bot posted something of ``kind`` in their space."""
        if partnership_id is None or partnership_id not in self._partnerships:
            return []
        if kind == "checkin_prompt" and sequence is not None:
            return self._checkin_answers(partnership_id, sequence, at)
        if kind == "end_reminder":
            return self._end_choices(partnership_id, at)
        return []

    def _checkin_answers(self, pid: int, sequence: int, at: datetime) -> list[Action]:
        role = self.cast.roles[pid]
        answers: list[Action] = []
        for member_id in self._partnerships[pid].member_ids:
            when = _minute(at + timedelta(hours=self._rng.uniform(2, 30)))
            if role in ("quiet", "quiet_resumes") or self.cast.silent_member.get(pid) == member_id:
                continue  # silent partners do not answer check-ins either
            if self._is_away(member_id, when):
                continue
            if role == "one_sided":
                answers.append(
                    AnswerCheckin(
                        when, pid, member_id, sequence, "not_working", NOT_WORKING_COMMENT
                    )
                )
                continue
            rating: CheckinRating = "great" if self._rng.random() < 0.7 else "ok"
            answers.append(AnswerCheckin(when, pid, member_id, sequence, rating, None))
        return answers

    def _end_choices(self, pid: int, at: datetime) -> list[Action]:
        """Chatty pairs answer the reminder: in turn both keep in touch, both wrap up, or
        they disagree (which archives the space, as one "keep" is not enough)."""
        if self.cast.roles[pid] != "chatty":
            return []
        chatty = sorted(p for p, role in self.cast.roles.items() if role == "chatty")
        members = self._partnerships[pid].member_ids
        pattern = END_PATTERNS[chatty.index(pid) % len(END_PATTERNS)]
        return [
            ChooseEnd(_minute(at + timedelta(hours=self._rng.uniform(4, 96))), pid, member, choice)
            for member, choice in zip(members, pattern, strict=False)
        ]

    # Dates ----------------------------------------------------------------------------------

    def _is_away(self, member_id: int, at: datetime) -> bool:
        if member_id != self.cast.away_member:
            return False
        return self._day_at(self._away_first_day - 1) <= at < self._day_at(self._away_last_day + 2)

    def _day(self, day: int) -> date:
        return self._starts_on + timedelta(days=day)

    def _day_at(self, day: int) -> datetime:
        return self._start + timedelta(days=day)

    def _at_day(self, day: int, hour: int) -> datetime:
        return self._start + timedelta(days=day, hours=hour)


def _minute(moment: datetime) -> datetime:
    """Partners act on whole minutes, which keeps the timeline readable."""
    return moment.replace(second=0, microsecond=0)
