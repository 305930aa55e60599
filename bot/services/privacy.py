"""People own their data: the privacy notice, a person's export, their erasure, the pairs
the matcher keeps apart for people who were erased, and the daily purge.

An erasure ends a live partnership first (the partners who stay are told kindly, the
pair's case opens for a rematch: :meth:`PairService.end_for_erasure`), then removes, in one
transaction, every row that names the person (:meth:`PrivacyRepository.erase`). What must
outlive them keeps nothing that names them: "never pair these two again" as a keyed hash
of the pair, a round's figures as rows that count without them, the audit entry by a
reference only the key and their id can recompute.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.clock import Clock
from bot.content import PrivacyNotice
from bot.domain.applications import called
from bot.domain.privacy import PrivacyRules, erasure_reference, pair_token
from bot.posts._text import plural
from bot.posts.privacy import ErasureNotice
from bot.services.agenda import Agenda
from bot.services.changes import Changes
from bot.services.errors import UserFacingError
from bot.services.pairs import PairService
from bot.services.ports import DiscordError, DiscordPort
from bot.store import Scheduled, Store
from bot.store.effects import NO_ACTOR, Audit, Effect, Enqueue
from bot.store.models import LIVE_STATES, member_subject, utc_text
from bot.store.privacy import PrivacyKeyMissing

log = logging.getLogger(__name__)

Requester = Literal["member", "coordinator", "command line"]
ABOUT = (
    "Everything the ILN partnership bot holds about you. Times are UTC (ISO 8601); ids are "
    "Discord ids. The bot never stores what anyone writes in Discord, so your messages are "
    "not here: they are in Discord, and yours."
)
# How the summary names each table's rows, in the order it tells them (a table not listed
# here comes last, by its own name); None for a table that holds one row per person.
ROWS_CALLED: dict[str, tuple[str, str | None]] = {
    "participants": ("Your name, e-mail and settings", None),
    "applications": ("application", "applications"),
    "contact_events": (
        "time you posted in your space or logged contact (when, never what)",
        "times you posted in your space or logged contact (when, never what)",
    ),
    "checkins": ("check-in question or answer", "check-in questions and answers"),
    "feedback": ("end-of-round feedback", "end-of-round feedbacks"),
    "away_periods": ("period of time away", "periods of time away"),
    "case_events": ("message to or from the coordinators", "messages to or from the coordinators"),
    "unmatched_answers": ("answer after matching", "answers after matching"),
    "waitlist": ("On the list for the next round", None),
    "desk_posts": ("#welcometomydesk post", "#welcometomydesk posts"),
    "private_threads": ("A private thread for the bot's messages to you", None),
    "match_pins": ("pairing a coordinator pinned", "pairings coordinators pinned"),
    "match_forbids": ("pairing a coordinator ruled out", "pairings coordinators ruled out"),
}
SUMMARY_LINES = 15
CHOICES_SHOWN = 25  # Discord's most autocomplete choices


@dataclass(frozen=True)
class PersonalData:
    """A person's export: the JSON file, and the short summary that goes with it."""

    summary: tuple[str, ...]
    document: bytes


@dataclass(frozen=True)
class Erasure:
    """What an erasure did, for the person or coordinator who asked."""

    reference: str
    ended: int
    rows: dict[str, int]


class PrivacyService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        rules: PrivacyRules,
        notice: PrivacyNotice,
        port: DiscordPort,
        pairs: PairService,
        changes: Changes,
    ) -> None:
        self._store = store
        self._clock = clock
        self._rules = rules
        self._notice = notice
        self._port = port
        self._pairs = pairs
        self._changes = changes

    def notice(self) -> tuple[str, str]:
        """The privacy notice's title and text, with the configured periods."""
        return self._notice.title, self._notice.render(self._rules.periods())

    async def people_choices(self, typed: str) -> list[tuple[str, str]]:
        """Autocomplete for a coordinator naming a person: participants by name."""
        found = await self._store.people.search(typed.strip(), CHOICES_SHOWN)
        return [(person.name[:100], str(person.discord_id)) for person in found]

    # Export -------------------------------------------------------------------------------

    async def export(self, member_id: int) -> PersonalData:
        """Everything held about ``member_id``; a polite refusal when nothing is."""
        return await personal_data(self._store, self._rules, member_id, self._clock.now())

    # Erasure ------------------------------------------------------------------------------

    async def check_known(self, member_id: int) -> None:
        """A polite refusal, before any confirmation, when nothing is held about them."""
        await self.export(member_id)

    async def erase(self, member_id: int, requester: Requester, actor_id: int) -> Erasure:
        """Erase everything held about ``member_id`` (see the module's docstring);
        ``actor_id`` is the coordinator who did it for them (0 otherwise: the audit log
        never names the person)."""
        await self.check_known(member_id)
        try:
            key = await self._store.privacy.key(create=True)
        except PrivacyKeyMissing as missing:
            log.error("%s", missing)
            raise UserFacingError(
                "The bot cannot erase anything right now: its privacy key is missing. "
                "Nothing was changed; please tell a coordinator."
            ) from None
        assert key is not None
        now = self._clock.now()
        person = await self._store.people.participant(member_id)
        names = (
            (person.name, person.preferred_name or "", called(person.name, person.preferred_name))
            if person
            else ()
        )
        partnerships = await self._store.partnerships.for_member(member_id)
        never_again = {
            pair_token(key, member_id, other)
            for p in partnerships
            for other in p.member_ids
            if other != member_id
        }
        never_again |= {
            pair_token(key, f.member_a, f.member_b)
            for f in await self._store.coordination.forbids()
            if member_id in (f.member_a, f.member_b)
        }
        live = [p for p in partnerships if p.state in LIVE_STATES]
        effects: list[Effect] = []
        for partnership in live:
            effects += self._pairs.end_for_erasure(partnership, member_id)
        reference = erasure_reference(key, member_id)
        threads = await self._case_threads(member_id, [p.id for p in partnerships])
        notice = ErasureNotice(
            reference=reference,
            at=now,
            by_coordinator=requester == "coordinator",
            ended=len(live),
            threads=threads,
        )
        effects += [
            Audit(
                # A coordinator erasing themselves is not named by the record of it.
                NO_ACTOR if actor_id == member_id else actor_id,
                "privacy.erase",
                {"reference": reference, "asked_by": requester, "partnerships_ended": len(live)},
            ),
            Enqueue((Scheduled(notice, now),)),
        ]
        if await self._on_waitlist(member_id):
            await self._take_waitlist_role(member_id)
        rows = await self._store.privacy.erase(member_id, sorted(never_again), names, effects, now)
        for partnership in partnerships:
            self._changes.partnership(partnership.id)
        self._changes.member(member_id)
        log.info("erased a member on request (reference %s)", reference)
        return Erasure(reference, len(live), rows)

    async def _case_threads(
        self, member_id: int, partnership_ids: Sequence[int]
    ) -> tuple[int, ...]:
        cases = list((await self._store.cases.open_for_partnerships(partnership_ids)).values())
        own = await self._store.cases.by_subject(member_subject(member_id))
        if own is not None:
            cases.append(own)
        return tuple(sorted(c.thread_id for c in cases if c.thread_id is not None))

    async def _on_waitlist(self, member_id: int) -> bool:
        return any(e.discord_id == member_id for e in await self._store.people.waitlist())

    async def _take_waitlist_role(self, member_id: int) -> None:
        """The waitlist role would have them mentioned when the next round opens."""
        try:
            await self._port.set_waitlist_role(member_id, False)
        except DiscordError as error:
            log.warning("could not take the waitlist role from an erased member: %s", error)


async def personal_data(
    store: Store, rules: PrivacyRules, member_id: int, now: datetime
) -> PersonalData:
    """A person's export as of ``now`` (the bot's ``/privacy export``, and ``iln-bot
    privacy export`` from a database file); a polite refusal when nothing is held."""
    held = await store.privacy.held(member_id, internal=rules.export_internal_notes)
    if not held["tables"] and not held["cases"]:
        raise UserFacingError(
            "The bot holds nothing about you: no application, partnership, time away or "
            "message to the coordinators. There is nothing to send or erase."
        )
    summary = summarise(held)
    document = {
        "about": ABOUT,
        "discord_id": member_id,
        "generated_at": utc_text(now),
        "summary": list(summary),
        **held,
    }
    text = json.dumps(document, ensure_ascii=False, indent=2)
    return PersonalData(summary, text.encode("utf-8"))


def summarise(held: dict[str, Any]) -> tuple[str, ...]:
    """A few readable lines about what an export holds."""
    lines = []
    for partnership in held["partnerships"]:
        partners = " and ".join(p["name"] or "a former member" for p in partnership["partners"])
        state = partnership["state"].replace("_", " ")
        lines.append(
            f"Partnership **{partnership['name']}** ({partnership['round']}, {state})"
            + (f" with {partners}" if partners else "")
        )
    order = list(ROWS_CALLED)
    tables = sorted(
        held["tables"].items(),
        key=lambda item: (order.index(item[0]) if item[0] in order else len(order), item[0]),
    )
    for table, rows in tables:
        if table in ("partnership_members", "cases"):
            continue  # told above and below
        one, many = ROWS_CALLED.get(table, (f"row in {table}", f"rows in {table}"))
        lines.append(one if many is None else f"{len(rows)} {one if len(rows) == 1 else many}")
    cases = held["cases"]
    if cases:
        events = sum(len(case["events"]) for case in cases)
        lines.append(
            f"{plural(len(cases), 'case')} with the coordinators ({plural(events, 'event')})"
        )
    if len(lines) > SUMMARY_LINES:
        lines = [*lines[: SUMMARY_LINES - 1], f"…and {len(lines) - SUMMARY_LINES + 1} more"]
    return tuple(lines)


class RetentionPlanner:
    """The purge, planned like the other dated work: it is next due when the first stored
    row's ``[privacy]`` period runs out (the store's ``PURGE_RULES`` say which rows, and
    from when), looked up again after each purge and once a day.

    A change (a round ended, time away declared, a case handled) is not listened for: every
    period is a day or more, so what a change makes purgeable is found by the next daily
    look, before its period is over; and a look costs a scan of the personal data, which a
    round of a thousand people changes many times a day."""

    LOOK_AGAIN = timedelta(days=1)

    def __init__(self, store: Store, rules: PrivacyRules) -> None:
        self._store = store
        self._rules = rules
        self._agenda: Agenda[str, None] = Agenda()
        self._looked_at: datetime | None = None

    def next_due(self) -> datetime | None:
        due = self.next_purge()
        if self._looked_at is None:
            return due
        daily = self._looked_at + self.LOOK_AGAIN
        return daily if due is None else min(due, daily)

    def next_purge(self) -> datetime | None:
        """When the first stored row's period runs out, as of the last look."""
        return self._agenda.next_at()

    async def plan(self, now: datetime) -> dict[str, int]:
        """Purge what is due, once; rows deleted per table (empty when nothing was due)."""
        if self._looked_at is None or now - self._looked_at >= self.LOOK_AGAIN:
            await self._look(now)
        if not self._agenda.pop_due(now):
            return {}
        purged = await self.purge(now)
        await self._look(now)
        return purged

    async def purge(self, now: datetime, *, dry_run: bool = False) -> dict[str, int]:
        """Rows per table that are past their period at ``now``, deleted unless
        ``dry_run``; nothing is written when nothing is due."""
        cutoffs = self._rules.cutoffs(now)
        counts = await self._store.privacy.purge(cutoffs, dry_run=True)
        if dry_run or not any(counts.values()):
            return counts
        counts = await self._store.privacy.purge(cutoffs)
        log.info(
            "purged what is past its retention period: %s",
            ", ".join(f"{table} {count}" for table, count in counts.items() if count),
        )
        return counts

    async def _look(self, now: datetime) -> None:
        self._looked_at = now
        moments = await self._store.privacy.purge_moments()
        due = [self._rules.runs_out(setting, moment) for setting, moment in moments]
        self._agenda.replace("purge", [(min(due), None)] if due else [])
