"""Applications and matching for the current round: import, apply, preview, run, confirm."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from bot.clock import Clock
from bot.domain.applications import (
    Application,
    ApplicationsCsvError,
    called,
    parse_applications_csv,
)
from bot.domain.matching import MatchInputError, MatchResult, MatchSettings, match
from bot.services.errors import UserFacingError
from bot.services.history import past_partners
from bot.services.outreach import notices
from bot.services.rounds import RoundService, describe_state
from bot.services.spaces import space_name, unique_names
from bot.store import Store
from bot.store.effects import Audit, Enqueue
from bot.store.models import MatchPair, Round, RoundState
from bot.store.partnerships import NewPartnership

EDITABLE_STATES = (RoundState.DRAFT, RoundState.APPLICATIONS_OPEN, RoundState.APPLICATIONS_CLOSED)

# rustworkx holds the GIL while it solves (measured: a 2.3 s solve in a worker thread held
# the event loop for 2.3 s), and a round whose linear programme HiGHS cannot settle is
# solved on every pair (half a minute or more at 2,000 applicants). From this many
# applicants the matcher runs in a process of its own, started afresh so the few hundred
# MiB it needs go back to the system when it ends; below it a worker thread is enough (a
# solve takes well under a second) and spares the process start (about a second).
PROCESS_FROM_APPLICANTS = 300

_HEAR = "Run `/notify-me on` and you will be mentioned when"


@dataclass(frozen=True)
class ImportReport:
    added: int
    updated: int


class MatchingService:
    def __init__(
        self, store: Store, clock: Clock, rounds: RoundService, settings: MatchSettings
    ) -> None:
        self._store = store
        self._clock = clock
        self._rounds = rounds
        self._settings = settings
        # One proposal at a time: each may need a few hundred MiB while it is computed.
        self._matcher = asyncio.Lock()

    # Applications ---------------------------------------------------------------------------

    async def import_csv(self, text: str, actor_id: int) -> ImportReport:
        """All rows or none: an invalid file raises with every problem listed."""
        round_ = await self._editable_round()
        try:
            applications = parse_applications_csv(text)
        except ApplicationsCsvError as error:
            raise CsvRejected(error.problems) from None
        counts = await self._store.people.save_applications(
            round_.id, applications, self._clock.now()
        )
        await self._store.coordination.audit(
            actor_id, "applicants.import", {"round": round_.name, **counts}, self._clock.now()
        )
        return ImportReport(added=counts["added"], updated=counts["updated"])

    async def open_round(self) -> Round:
        """The round taking applications; otherwise an applicant-facing refusal that says
        how they will hear when applications open."""
        round_ = await self._applicants_round()
        if round_.state is RoundState.DRAFT:
            raise UserFacingError(
                f"Applications for **{round_.name}** are not open yet. {_HEAR} they open."
            )
        if round_.state is not RoundState.APPLICATIONS_OPEN:
            raise UserFacingError(
                f"Applications for **{round_.name}** are closed (the round is "
                f"{describe_state(round_.state)}). {_HEAR} the next round opens."
            )
        return round_

    async def _applicants_round(self) -> Round:
        """The current round, or the refusal an applicant (not a coordinator) should read."""
        try:
            return await self._rounds.current()
        except UserFacingError:
            raise UserFacingError(
                f"There is no round open for applications yet. {_HEAR} the next one opens."
            ) from None

    async def submit(self, application: Application) -> bool:
        """Save an applicant's own application; True when it replaced an earlier one."""
        round_ = await self.open_round()
        counts = await self._store.people.save_applications(
            round_.id, [application], self._clock.now()
        )
        return counts["updated"] == 1

    async def application_of(self, user_id: int) -> tuple[Round, Application | None]:
        round_ = await self._applicants_round()
        return round_, await self._store.people.application(round_.id, user_id)

    # Coordinators' constraints ---------------------------------------------------------------

    async def pin(self, first: int, second: int, actor_id: int) -> None:
        round_ = await self._editable_round()
        pair = _pair(first, second)
        applicants = {a.discord_id for a in await self._store.people.applications(round_.id)}
        missing = [m for m in (pair.member_a, pair.member_b) if m not in applicants]
        if missing:
            raise UserFacingError(
                "Both people must have applied to this round; no application from "
                + ", ".join(f"<@{m}>" for m in missing)
                + "."
            )
        for existing in await self._store.coordination.pins(round_.id):
            taken = {existing.member_a, existing.member_b} & {pair.member_a, pair.member_b}
            if taken and existing != pair:
                raise UserFacingError(
                    f"<@{taken.pop()}> is already pinned to someone else in this round."
                )
        await self._store.coordination.pin(round_.id, pair)
        await self._store.coordination.audit(
            actor_id,
            "match.pin",
            {"round": round_.name, "pair": [pair.member_a, pair.member_b]},
            self._clock.now(),
        )

    async def unpin(self, first: int, second: int, actor_id: int) -> None:
        round_ = await self._editable_round()
        pair = _pair(first, second)
        audit = Audit(actor_id, "match.unpin", {"round": round_.name, "pair": _ids(pair)})
        if not await self._store.coordination.unpin(round_.id, pair, [audit], self._clock.now()):
            raise UserFacingError(
                f"<@{pair.member_a}> and <@{pair.member_b}> are not pinned in **{round_.name}**."
            )

    async def unforbid(self, first: int, second: int, actor_id: int) -> None:
        pair = _pair(first, second)
        audit = Audit(actor_id, "match.unforbid", {"pair": _ids(pair)})
        if not await self._store.coordination.unforbid(pair, [audit], self._clock.now()):
            raise UserFacingError(
                f"<@{pair.member_a}> and <@{pair.member_b}> are not on the forbid list."
            )

    async def constraint_choices(self, which: str, typed: str) -> list[tuple[str, str]]:
        """Autocomplete for ``/match unpin`` (the round's pins) and ``/match unforbid``."""
        if which == "pins":
            try:
                round_ = await self._rounds.current()
            except UserFacingError:
                return []
            pairs = await self._store.coordination.pins(round_.id)
        else:
            pairs = await self._store.coordination.forbids()
        people = await self._store.people.participants(
            [m for pair in pairs for m in (pair.member_a, pair.member_b)]
        )

        def name(member: int) -> str:
            return people[member].name if member in people else f"member {member}"

        text = typed.strip().lower()
        choices = [
            (f"{name(p.member_a)} & {name(p.member_b)}"[:100], f"{p.member_a}:{p.member_b}")
            for p in pairs
        ]
        return [c for c in choices if text in c[0].lower()][:25]

    async def forbid(self, first: int, second: int, reason: str | None, actor_id: int) -> None:
        pair = _pair(first, second)
        await self._store.coordination.forbid(pair, reason)
        await self._store.coordination.audit(
            actor_id, "match.forbid", {"pair": [pair.member_a, pair.member_b]}, self._clock.now()
        )

    # Matching ---------------------------------------------------------------------------------

    async def preview(self) -> tuple[Round, MatchResult]:
        """The proposal as it stands now; nothing is saved."""
        round_ = await self._editable_round()
        result, _ = await self._compute(round_)
        return round_, result

    async def run(self, actor_id: int) -> tuple[Round, MatchResult]:
        """Compute and save the proposal that `/match confirm` will store."""
        round_ = await self._editable_round()
        result, digest = await self._compute(round_)
        now = self._clock.now()
        await self._store.coordination.save_proposal(
            round_.id, digest, result.model_dump_json(), now
        )
        await self._store.coordination.audit(
            actor_id, "match.run", {"round": round_.name, "pairs": len(result.pairs)}, now
        )
        return round_, result

    async def saved_proposal(self) -> tuple[Round, MatchResult]:
        round_ = await self._rounds.current()
        saved = await self._store.coordination.proposal(round_.id)
        if saved is None:
            raise UserFacingError("No proposal has been made yet: run `/match run` first.")
        return round_, MatchResult.model_validate_json(saved[1])

    async def confirm(self, actor_id: int) -> tuple[Round, int]:
        """Store the saved proposal's partnerships; refused when its inputs have changed."""
        round_ = await self._editable_round()
        if round_.state is not RoundState.APPLICATIONS_CLOSED:
            raise UserFacingError(
                "Close applications first (`/round close-applications`), so nobody applies "
                "after the partnerships are fixed."
            )
        if await self._store.partnerships.for_round(round_.id):
            raise UserFacingError(f"Partnerships for **{round_.name}** are already confirmed.")
        saved = await self._store.coordination.proposal(round_.id)
        if saved is None:
            raise UserFacingError("No proposal to confirm: run `/match run` first.")
        if saved[0] != (await self._inputs(round_)).digest():
            raise UserFacingError(
                "Applications, pins or forbids changed since `/match run`. "
                "Run it again, check the preview, then confirm."
            )
        result = MatchResult.model_validate_json(saved[1])
        if not result.pairs:
            raise UserFacingError(
                "The saved proposal has no partnerships; see `/match unmatched` for why."
            )
        await self._store_partnerships(round_, result, actor_id)
        return round_, len(result.pairs)

    async def _store_partnerships(self, round_: Round, result: MatchResult, actor_id: int) -> None:
        """The partnerships, the messages to those left without a partner and the audit
        entry, in one transaction: a crash leaves all of them or none."""
        people = await self._store.people.participants(
            [m for pair in result.pairs for m in pair.members]
        )

        def called_by(member: int) -> str:
            person = people.get(member)
            return called(person.name, person.preferred_name) if person else str(member)

        names = unique_names(
            [space_name([called_by(m) for m in pair.members]) for pair in result.pairs]
        )
        now = self._clock.now()
        new = [
            NewPartnership(name, tuple(pair.members), pair.score, tuple(pair.reasons))
            for pair, name in zip(result.pairs, names, strict=True)
        ]
        audit = Audit(actor_id, "match.confirm", {"round": round_.name, "pairs": len(new)})
        told = tuple(notices(round_, result, now))
        await self._store.partnerships.create_many(
            round_.id, new, now, lambda ids: [Enqueue(told), audit]
        )

    async def _compute(self, round_: Round) -> tuple[MatchResult, str]:
        inputs = await self._inputs(round_)
        if len(inputs.applications) < 2:
            raise UserFacingError("At least two applications are needed to match anyone.")
        job = functools.partial(
            match,
            inputs.applications,
            past_pairs=inputs.past,
            forbidden=inputs.forbidden,
            pins=inputs.pins,
            settings=self._settings,
            reference_date=round_.starts_on,
        )
        try:
            async with self._matcher:
                result = await _off_the_event_loop(job, len(inputs.applications))
        except MatchInputError as error:
            raise UserFacingError("Cannot match: " + "; ".join(error.problems)) from None
        return result, inputs.digest()

    async def _inputs(self, round_: Round) -> MatchInputs:
        forbids = await self._store.coordination.forbids()
        applications = await self._store.people.applications(round_.id)
        return MatchInputs(
            applications=applications,
            past=await past_partners(self._store, (a.discord_id for a in applications)),
            forbidden={frozenset((p.member_a, p.member_b)) for p in forbids},
            pins=[(p.member_a, p.member_b) for p in await self._store.coordination.pins(round_.id)],
        )

    async def _editable_round(self) -> Round:
        round_ = await self._rounds.current()
        if round_.state not in EDITABLE_STATES:
            raise UserFacingError(
                f"Round **{round_.name}** is {describe_state(round_.state)}; applications and "
                "matching can only change before it starts."
            )
        return round_


async def _off_the_event_loop(job: functools.partial[MatchResult], applicants: int) -> MatchResult:
    """Run the matcher where it cannot stall the bot's event loop (see
    PROCESS_FROM_APPLICANTS)."""
    if applicants < PROCESS_FROM_APPLICANTS:
        return await asyncio.to_thread(job)
    # spawn, not fork: forking a process that runs threads (aiosqlite, the executor) can
    # copy a lock in a held state into the child.
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, job)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True)
class MatchInputs:
    """Everything a proposal depends on."""

    applications: list[Application]
    past: set[frozenset[int]]
    forbidden: set[frozenset[int]]
    pins: list[tuple[int, int]]

    def digest(self) -> str:
        """A fingerprint that changes whenever any input does."""
        hasher = hashlib.sha256()
        for application in self.applications:
            hasher.update(application.model_dump_json().encode())
        for group in (self.past, self.forbidden):
            hasher.update(repr(sorted(sorted(pair) for pair in group)).encode())
        hasher.update(repr(sorted(self.pins)).encode())
        return hasher.hexdigest()


class CsvRejected(UserFacingError):
    """An import that added nothing, with every problem of the file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("Nothing was imported. Please fix:\n" + "\n".join(problems))
        self.problems = problems


def _ids(pair: MatchPair) -> list[int]:
    return [pair.member_a, pair.member_b]


def _pair(first: int, second: int) -> MatchPair:
    try:
        return MatchPair.of(first, second)
    except ValueError:
        raise UserFacingError("Choose two different people.") from None
