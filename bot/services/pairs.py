"""Coordinators act on a running round's partnerships: end one early, find someone a new
partner (``/pair rematch``), make a partnership by hand (``/pair add``), note something.

New partnerships are proposed and checked by the round's own matcher
(:func:`bot.domain.matching.match`) with the same hard rules, history and forbids, so a
rematch can never pair people the matcher would refuse, and a coordinator who overrides
the rules says why.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.clock import Clock
from bot.domain.applications import Application
from bot.domain.matching import MatchSettings, ProposedPair, match
from bot.posts._text import mentions
from bot.posts.base import PrivateTarget, SpaceTarget
from bot.posts.pairs import PairEnded
from bot.posts.privacy import PartnerErased
from bot.posts.spaces import OpenSpace
from bot.services.cases import CaseService, clean_text
from bot.services.changes import Changes
from bot.services.errors import UserFacingError
from bot.services.history import past_partners
from bot.services.rounds import RoundService, describe_state
from bot.services.spaces import space_name
from bot.store import Scheduled, Store
from bot.store.effects import Audit, Effect, Enqueue, SetPartnershipState
from bot.store.models import (
    LIVE_STATES,
    Partnership,
    Round,
    RoundState,
    UnmatchedChoice,
)
from bot.store.partnerships import NewPartnership

PROPOSALS_SHOWN = 5
REASON_LIMIT = 500
NOTE_LIMIT = 1000
CHOICES_SHOWN = 25  # Discord's most autocomplete choices
_MENTION = re.compile(r"^<@!?(\d+)>$")
_PAIR_ID = re.compile(r"^#?(\d+)$")
# Who is offered first: those who said they would take part now.
ANSWER_TIER: dict[UnmatchedChoice | None, int] = {
    "trio": 0,
    "keep": 0,
    None: 1,
    "talk": 2,
}
ANSWER_WORDS: dict[UnmatchedChoice | None, str] = {
    "trio": "would join a trio",
    "keep": "asked to stay on the list",
    "talk": "asked to talk to a coordinator",
    None: "has not answered",
    "withdrawn": "withdrew",
}
PAIRED_BY_HAND = "paired by a coordinator"
DESPITE = "pinned by a coordinator despite: "


@dataclass(frozen=True)
class Proposal:
    """A possible new partner, with the matcher's reasons."""

    member_id: int
    name: str
    answer: UnmatchedChoice | None
    wishes_met: int
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Rematch:
    member_id: int
    name: str
    partnership: Partnership
    proposals: list[Proposal]


@dataclass(frozen=True)
class _Candidate:
    member_id: int
    application: Application
    applied_to: int  # the round of the application (an earlier one, for the waitlist)


class PairService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        rounds: RoundService,
        settings: MatchSettings,
        changes: Changes,
        cases: CaseService,
    ) -> None:
        self._store = store
        self._clock = clock
        self._rounds = rounds
        self._settings = settings
        self._changes = changes
        self._cases = cases

    # Naming pairs and people ----------------------------------------------------------------

    async def find_pair(self, text: str) -> Partnership:
        """A partnership by id (``12``, ``#12``) or space name, the current round's first."""
        wanted = text.strip()
        found: Partnership | None = None
        if match_id := _PAIR_ID.match(wanted):
            found = await self._store.partnerships.get(int(match_id[1]))
        else:
            round_ = await self._rounds.current_or_latest()
            named = [
                p
                for p in await self._store.partnerships.for_round(round_.id)
                if p.name.lower() == wanted.lower()
            ]
            found = named[0] if named else None
        if found is None:
            raise UserFacingError(
                f"I could not find a partnership called {wanted[:100]!r}. Pick one from the "
                "list that appears as you type."
            )
        return found

    async def find_member(self, text: str) -> int:
        """A person by Discord id, mention or (unique) name."""
        wanted = text.strip()
        if wanted.isdigit():
            return int(wanted)
        if mention := _MENTION.match(wanted):
            return int(mention[1])
        people = await self._store.people.search(wanted, 5) if wanted else []
        exact = [p for p in people if p.name.lower() == wanted.lower()]
        if len(exact) == 1 or len(people) == 1:
            return (exact or people)[0].discord_id
        if not people:
            raise UserFacingError(
                f"I could not find anyone called {wanted[:100]!r}. Pick a person from the "
                "list that appears as you type."
            )
        raise UserFacingError(
            f"Several people match {wanted[:100]!r}: "
            + ", ".join(p.name for p in people)
            + ". Pick one from the list."
        )

    async def pair_choices(self, typed: str) -> list[tuple[str, str]]:
        """Autocomplete: the current round's partnerships whose name contains ``typed``."""
        try:
            round_ = await self._rounds.current_or_latest()
        except UserFacingError:
            return []
        text = typed.strip().lower()
        return [
            (f"{p.name} ({p.state.replace('_', ' ')})"[:100], str(p.id))
            for p in await self._store.partnerships.for_round(round_.id)
            if text in p.name.lower()
        ][:CHOICES_SHOWN]

    async def member_choices(self, typed: str, which: str) -> list[tuple[str, str]]:
        """Autocomplete: ``partnered`` (members of the round's live partnerships) or
        ``available`` (applicants without a partnership, and the waitlist)."""
        try:
            round_ = await self._rounds.current_or_latest()
        except UserFacingError:
            return []
        if which == "partnered":
            live = await self._store.partnerships.for_round(round_.id, list(LIVE_STATES))
            ids = {m.participant_id: p.name for p in live for m in p.members if m.left_at is None}
            labels = {m: f" ({name})" for m, name in ids.items()}
        else:
            candidates = await self._candidates(round_, exclude=set())
            labels = {c.member_id: " (no partner)" for c in candidates}
        people = await self._store.people.participants(list(labels))
        text = typed.strip().lower()
        choices = sorted(
            (f"{person.name}{labels[member]}"[:100], str(member))
            for member, person in people.items()
            if text in person.name.lower()
        )
        return choices[:CHOICES_SHOWN]

    # Ending ---------------------------------------------------------------------------------

    async def end(self, pair_text: str, reason: str, actor_id: int) -> Partnership:
        """End a partnership early: a kind notice in its space (never the reason), then the
        space is archived on the usual terms; its partners stay past partners."""
        partnership = await self.find_pair(pair_text)
        if partnership.state == "ended":
            raise UserFacingError(f"**{partnership.name}** has ended already.")
        cleaned = clean_text(reason, what="reason", limit=REASON_LIMIT, required=True)
        effects = self._ending(partnership, actor_id)
        effects.append(Audit(actor_id, "pair.end", {"pair": partnership.name, "reason": cleaned}))
        effects += await self._cases.events_for_pair(
            partnership.id, "ended", f"<@{actor_id}> ended this partnership", actor_id, cleaned
        )
        await self._store.outbox.record(effects, self._clock.now())
        self._changes.partnership(partnership.id)
        return partnership

    def _ending(self, partnership: Partnership, actor_id: int) -> list[Effect]:
        now = self._clock.now()
        effects: list[Effect] = [SetPartnershipState(partnership.id, "ended")]
        if partnership.channel_id is not None:
            notice = PairEnded(
                partnership_id=partnership.id,
                target=SpaceTarget(channel_id=partnership.channel_id),
            )
            effects.append(Enqueue((Scheduled(notice, now),)))
        return effects

    def end_for_erasure(self, partnership: Partnership, member_id: int) -> list[Effect]:
        """A live partnership whose partner ``member_id`` asked to be erased ends at once:
        the partners who stay are told kindly, never why (in the space, which is then
        archived, or privately while it is not open yet), and the pair's case opens so a
        coordinator finds them someone new. Nothing here names the erased partner."""
        now = self._clock.now()
        staying = tuple(m for m in partnership.current_member_ids if m != member_id)
        if partnership.channel_id is not None:
            space = SpaceTarget(channel_id=partnership.channel_id)
            notices = [PartnerErased(partnership_id=partnership.id, target=space)]
        else:
            notices = [
                PartnerErased(partnership_id=partnership.id, target=PrivateTarget(user_id=m))
                for m in staying
            ]
        summary = "A partner asked for their data to be erased, so this partnership has ended"
        if staying:
            summary += f"; {mentions(staying)} may need a new partner (`/pair rematch`)"
        return [
            SetPartnershipState(partnership.id, "ended"),
            Enqueue(tuple(Scheduled(notice, now) for notice in notices)),
            *self._cases.opened_for_pair(partnership.id, "erased", summary),
        ]

    # Notes ----------------------------------------------------------------------------------

    async def note(self, pair_text: str, text: str, actor_id: int) -> Partnership:
        partnership = await self.find_pair(pair_text)
        cleaned = clean_text(text, what="note", limit=NOTE_LIMIT, required=True)
        assert cleaned is not None
        effects: list[Effect] = [Audit(actor_id, "pair.note", {"pair": partnership.name})]
        effects += await self._cases.events_for_pair(
            partnership.id, "note", f"Note from <@{actor_id}>", actor_id, cleaned
        )
        await self._store.cases.add_note(
            partnership.id, actor_id, cleaned, (), effects, self._clock.now()
        )
        return partnership

    # Rematching -----------------------------------------------------------------------------

    async def rematch(self, member_text: str) -> Rematch:
        """New partners for ``member`` from this round's applicants without a partner and the
        waitlist, best first: those who said they would take part now, then by the
        matcher's own order (stated wishes met, then shared interests and hours)."""
        round_ = await self._running_round()
        member = await self.find_member(member_text)
        partnership = await self._live_partnership(round_, member)
        if partnership is None:
            raise UserFacingError(
                f"<@{member}> has no partnership in {round_.name} to replace; to pair them "
                "with someone, use `/pair add`."
            )
        own = await self._application(round_, member)
        exclude = {member, *partnership.member_ids}
        candidates = await self._candidates(round_, exclude)
        answers = await self._store.cases.unmatched_answers(round_.id)
        inputs = await self._rules([member, *(c.member_id for c in candidates)])
        judged = await asyncio.to_thread(
            lambda: [(c, self._judge(own, c.application, round_, inputs)) for c in candidates]
        )
        people = await self._store.people.participants([c.member_id for c in candidates])
        proposals = []
        for candidate, pair in judged:
            if pair is None:
                continue
            answer = answers.get(candidate.member_id)
            proposals.append(
                Proposal(
                    member_id=candidate.member_id,
                    name=people[candidate.member_id].name
                    if candidate.member_id in people
                    else candidate.application.name,
                    answer=answer.answer if answer else None,
                    wishes_met=pair.wishes_met,
                    score=pair.score,
                    reasons=tuple(pair.reasons),
                )
            )
        proposals.sort(
            key=lambda p: (ANSWER_TIER.get(p.answer, 3), -p.wishes_met, -p.score, p.name)
        )
        person = await self._store.people.participant(member)
        return Rematch(
            member_id=member,
            name=person.name if person else own.name,
            partnership=partnership,
            proposals=proposals[:PROPOSALS_SHOWN],
        )

    async def make(
        self,
        first: int,
        second: int,
        actor_id: int,
        *,
        override: str | None = None,
        replacing_for: int | None = None,
    ) -> Partnership:
        """A new partnership in the running round, its space opened with intros. With
        ``replacing_for`` (a rematch) that member's current partnership ends; otherwise
        (``/pair add``) neither may be in a live partnership, though a member whose
        partner left may be."""
        round_ = await self._running_round()
        if first == second:
            raise UserFacingError("Choose two different people.")
        override = clean_text(
            override, what="reason to override", limit=REASON_LIMIT, required=False
        )
        apps = {m: await self._application(round_, m) for m in (first, second)}
        replaced = await self._replaced(round_, (first, second), replacing_for)
        inputs = await self._rules([first, second])
        pair = await asyncio.to_thread(self._judge, apps[first], apps[second], round_, inputs)
        overridden = None
        if pair is None:
            pair = await asyncio.to_thread(
                self._judge, apps[first], apps[second], round_, inputs, pinned=True
            )
            assert pair is not None, "a pin is always a pair"
            if override is None:
                raise UserFacingError(
                    f"<@{first}> and <@{second}> cannot be partners under the program's "
                    f"rules: {_breaks(pair)}. To pair them anyway, run the command again "
                    "with `override` and your reason."
                )
            overridden = _breaks(pair)
        for member, application in apps.items():
            if await self._store.people.application(round_.id, member) is None:
                # From the waitlist: their latest application joins this round.
                await self._store.people.save_applications(
                    round_.id, [application], self._clock.now()
                )
        people = await self._store.people.participants([first, second])
        members = tuple(sorted((first, second)))
        taken = await self._store.partnerships.names_in_round(round_.id)
        name = _unused(
            space_name([people[m].name if m in people else str(m) for m in members]), taken
        )
        now = self._clock.now()
        reasons = tuple(pair.reasons)
        detail: dict[str, object] = {"round": round_.name, "pair": list(members)}
        if overridden is not None:
            detail["override"] = override
            detail["rules"] = overridden
        action = "pair.rematch" if replacing_for is not None else "pair.add"
        case_effects: list[Effect] = []
        for old in replaced:
            case_effects += self._ending(old, actor_id)
            case_effects += await self._cases.events_for_pair(
                old.id,
                "rematched",
                f"<@{actor_id}> paired <@{first}> with <@{second}> in a new partnership, "
                f"**{name}**; this one ends",
                actor_id,
                None,
            )

        def then(ids: list[int]) -> Sequence[Effect]:
            [new_id] = ids
            return [
                Enqueue((Scheduled(OpenSpace(partnership_id=new_id), now),)),
                Audit(actor_id, action, {**detail, "partnership": new_id}),
                *case_effects,
            ]

        [new_id] = await self._store.partnerships.create_many(
            round_.id,
            [NewPartnership(name, members, pair.score, reasons)],
            now,
            then,
        )
        for old in replaced:
            self._changes.partnership(old.id)
        self._changes.partnership(new_id)
        created = await self._store.partnerships.get(new_id)
        assert created is not None
        return created

    # Reading --------------------------------------------------------------------------------

    async def _running_round(self) -> Round:
        round_ = await self._rounds.current()
        if round_.state is not RoundState.RUNNING:
            raise UserFacingError(
                f"Round **{round_.name}** is {describe_state(round_.state)}; partnerships "
                "are changed by hand only while it runs (before that, use `/match pin`)."
            )
        return round_

    async def _live_partnership(self, round_: Round, member: int) -> Partnership | None:
        live = [
            p
            for p in await self._store.partnerships.for_member(member)
            if p.round_id == round_.id
            and p.state in LIVE_STATES
            and any(m.participant_id == member and m.left_at is None for m in p.members)
        ]
        return live[-1] if live else None

    async def _replaced(
        self, round_: Round, members: tuple[int, int], replacing_for: int | None
    ) -> list[Partnership]:
        """The partnerships the new one replaces; refuses what would leave someone in two."""
        replaced = []
        for member in members:
            current = await self._live_partnership(round_, member)
            if current is None:
                continue
            if member == replacing_for or current.state == "member_left":
                replaced.append(current)
                continue
            raise UserFacingError(
                f"<@{member}> is already in **{current.name}**. End it first with "
                "`/pair end`, or use `/pair rematch` to replace it."
            )
        return replaced

    async def _application(self, round_: Round, member: int) -> Application:
        application = await self._store.people.application(round_.id, member)
        if application is not None:
            return application
        latest = await self._store.people.latest_application(member)
        if latest is None:
            raise UserFacingError(
                f"<@{member}> has never applied, so I do not know enough to pair them."
            )
        return latest[1]

    async def _candidates(self, round_: Round, exclude: set[int]) -> list[_Candidate]:
        """Applicants of the round without a live partnership (and who did not withdraw),
        then people on the waitlist with an application from an earlier round."""
        live = await self._store.partnerships.for_round(round_.id, list(LIVE_STATES))
        partnered = {m.participant_id for p in live for m in p.members if m.left_at is None}
        answers = await self._store.cases.unmatched_answers(round_.id)
        withdrawn = {m for m, a in answers.items() if a.answer == "withdrawn"}
        skip = exclude | partnered | withdrawn
        found = [
            _Candidate(a.discord_id, a, round_.id)
            for a in await self._store.people.applications(round_.id)
            if a.discord_id not in skip
        ]
        seen = {c.member_id for c in found} | skip
        for entry in await self._store.people.waitlist():
            if entry.discord_id in seen:
                continue
            latest = await self._store.people.latest_application(entry.discord_id)
            if latest is not None:
                found.append(_Candidate(entry.discord_id, latest[1], latest[0]))
                seen.add(entry.discord_id)
        return found

    async def _rules(
        self, members: Sequence[int]
    ) -> tuple[set[frozenset[int]], set[frozenset[int]]]:
        past = await past_partners(self._store, members)
        forbidden = {
            frozenset((p.member_a, p.member_b)) for p in await self._store.coordination.forbids()
        }
        return past, forbidden

    def _judge(
        self,
        first: Application,
        second: Application,
        round_: Round,
        rules: tuple[set[frozenset[int]], set[frozenset[int]]],
        *,
        pinned: bool = False,
    ) -> ProposedPair | None:
        """The two as the matcher sees them: their pair, or None when the hard rules
        forbid it (``pinned``: as a coordinator's pin, with the rules it breaks noted)."""
        past, forbidden = rules
        result = match(
            [first, second],
            past_pairs=past,
            forbidden=forbidden,
            pins=[(first.discord_id, second.discord_id)] if pinned else [],
            settings=self._settings,
            reference_date=round_.starts_on,
        )
        return result.pairs[0] if result.pairs else None


def _breaks(pair: ProposedPair) -> str:
    """The hard rules a pinned pair breaks, as the matcher noted them."""
    for note in pair.coordinator_notes:
        if note.startswith(DESPITE):
            return note.removeprefix(DESPITE)
    return "none"


def answer_words(answer: UnmatchedChoice | None) -> str:
    return ANSWER_WORDS[answer]


def _unused(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3``... whichever the round does not have yet."""
    number = 1
    found = name
    while found in taken:
        number += 1
        found = f"{name}-{number}"
    return found
