"""Cases as coordinators and people act on them: take, mark handled, list, a person's
message to the coordinators, and a coordinator's private answer.

What troubles open a case (an escalation, a "not working" check-in, a partner who left, a
post Discord refuses) is queued where the trouble is found, with
:func:`bot.posts.cases.on_case`; this service is for what people do.
"""

from __future__ import annotations

import logging

from bot.clock import Clock
from bot.posts.base import PrivateTarget
from bot.posts.cases import CaseReply, follow_up
from bot.services.errors import UserFacingError
from bot.store import Scheduled, Store
from bot.store.cases import CaseFilter
from bot.store.effects import Audit, Effect, Enqueue
from bot.store.models import LIVE_STATES, Case, member_subject, pair_subject, utc_text

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 1500  # leaves room for the quote and names in one Discord message
NOTE_LIMIT = 1000
PERSON_KINDS = ("message", "talk", "withdraw")
SUMMARIES = {
    "message": "{member} wrote to the coordinators",
    "talk": "{member} asked to talk to a coordinator (not matched this round)",
    "withdraw": "{member} asked to withdraw from the round",
}


def clean_text(text: str | None, *, what: str, limit: int, required: bool) -> str | None:
    """Text a person typed, trimmed; a polite refusal when it is empty or too long."""
    cleaned = (text or "").strip()
    if not cleaned:
        if required:
            raise UserFacingError(f"Please write your {what}; it cannot be empty.")
        return None
    if len(cleaned) > limit:
        raise UserFacingError(
            f"Please keep your {what} to {limit} characters (it is {len(cleaned)})."
        )
    return cleaned


class CaseService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def get(self, case_id: int) -> Case:
        case = await self._store.cases.get(case_id)
        if case is None:
            raise UserFacingError(f"There is no case {case_id}.")
        return case

    async def in_thread(self, channel_id: int | None) -> Case:
        """The case whose thread this is; a polite refusal anywhere else."""
        case = None if channel_id is None else await self._store.cases.by_thread(channel_id)
        if case is None:
            raise UserFacingError(
                "This works inside a case's thread: open the case from its card in the "
                "coordinators' channel, then use it there."
            )
        return case

    async def listed(self, which: CaseFilter, actor_id: int) -> list[Case]:
        return await self._store.cases.listed(which, actor_id)

    async def take(self, case_id: int, actor_id: int) -> Case:
        """Assign the case to ``actor_id`` (taking it over from another coordinator)."""
        case = await self.get(case_id)
        if case.state == "handled":
            raise UserFacingError(
                f"Case {case.id} is handled already; it opens again by itself when "
                "something new happens."
            )
        if case.assignee_id == actor_id:
            raise UserFacingError(f"You have case {case.id} already.")
        now = self._clock.now()
        summary = f"<@{actor_id}> took this case"
        if case.assignee_id is not None:
            summary += f" over from <@{case.assignee_id}>"
        _, items = follow_up(case.subject, "taken", summary, now, actor_id=actor_id)
        audit = Audit(actor_id, "case.take", {"case": case.id, "subject": case.subject})
        taken = await self._store.cases.change(
            case.id,
            "open",
            {"assignee_id": actor_id, "taken_at": utc_text(now)},
            items,
            [audit],
            now,
        )
        if not taken:
            raise UserFacingError(f"Case {case.id} changed meanwhile; please look again.")
        return await self.get(case.id)

    async def handle(self, case_id: int, actor_id: int, note: str | None) -> Case:
        """Mark the case handled, with an optional note; new trouble reopens it."""
        case = await self.get(case_id)
        if case.state == "handled":
            raise UserFacingError(f"Case {case.id} is handled already.")
        cleaned = clean_text(note, what="note", limit=NOTE_LIMIT, required=False)
        now = self._clock.now()
        _, items = follow_up(
            case.subject,
            "handled",
            f"<@{actor_id}> marked this case handled",
            now,
            actor_id=actor_id,
            body=cleaned,
        )
        audit = Audit(actor_id, "case.handle", {"case": case.id, "subject": case.subject})
        if not await self._store.cases.handle(case.id, actor_id, cleaned, items, [audit], now):
            raise UserFacingError(f"Case {case.id} changed meanwhile; please look again.")
        return await self.get(case.id)

    async def subject_for(self, user_id: int) -> str:
        """A partner's case is their partnership's (the newest live one); anyone else's is
        their own."""
        live = [
            p
            for p in await self._store.partnerships.for_member(user_id)
            if p.state in LIVE_STATES
            and any(m.participant_id == user_id and m.left_at is None for m in p.members)
        ]
        return pair_subject(live[-1].id) if live else member_subject(user_id)

    async def write(
        self, user_id: int, display_name: str, text: str | None, kind: str, *, required: bool
    ) -> Case:
        """A person writes to the coordinators (``kind``: message, talk or withdraw): the
        text goes to their case, which opens (or reopens) for it."""
        if kind not in PERSON_KINDS:
            raise ValueError(f"not something a person writes: {kind}")
        cleaned = clean_text(text, what="message", limit=MESSAGE_LIMIT, required=required)
        subject = await self.subject_for(user_id)
        now = self._clock.now()
        _, items = follow_up(
            subject,
            kind,
            SUMMARIES[kind].format(member=f"<@{user_id}>"),
            now,
            actor_id=user_id,
            member_id=user_id,
            body=cleaned,
            reopens=True,
            title=display_name,
        )
        await self._store.outbox.enqueue(items, now)
        log.info("member %s wrote to the coordinators (%s)", user_id, kind)
        case = await self._store.cases.by_subject(subject)
        assert case is not None
        return case

    async def people_of(self, case: Case) -> list[int]:
        """Who a case's answers may go to: the partnership's members, or the person."""
        if case.participant_id is not None:
            return [case.participant_id]
        assert case.partnership_id is not None
        partnership = await self._store.partnerships.get(case.partnership_id)
        return list(partnership.member_ids) if partnership else []

    async def reply(
        self, channel_id: int | None, actor_id: int, to: int | None, text: str | None
    ) -> tuple[Case, int]:
        """A coordinator's answer from the case's thread, to one of its people privately;
        ``to`` defaults to whoever last wrote in the case (or the person of a person's
        case)."""
        case = await self.in_thread(channel_id)
        member = await self.recipient(case, to)
        cleaned = clean_text(text, what="answer", limit=MESSAGE_LIMIT, required=True)
        now = self._clock.now()
        key, items = follow_up(
            case.subject,
            "reply",
            f"<@{actor_id}> answered <@{member}> privately",
            now,
            actor_id=actor_id,
            member_id=member,
            body=cleaned,
            recorded=(Audit(actor_id, "case.reply", {"case": case.id, "to": member}),),
        )
        reply = CaseReply(target=PrivateTarget(user_id=member), subject=case.subject, event_key=key)
        await self._store.outbox.enqueue([*items, Scheduled(reply, now)], now)
        return case, member

    async def recipient(self, case: Case, to: int | None) -> int:
        people = await self.people_of(case)
        if to is not None:
            if to not in people:
                raise UserFacingError(
                    f"<@{to}> is not part of case {case.id}; answer one of "
                    + ", ".join(f"<@{m}>" for m in people)
                    + "."
                )
            return to
        if len(people) == 1:
            return people[0]
        for event in reversed(await self._store.cases.events(case.id)):
            if event.kind in PERSON_KINDS and event.member_id in people:
                return event.member_id
        raise UserFacingError(
            "Nobody in this case has written to the coordinators yet, so say whom to answer "
            "with the `to` option."
        )

    def opened_for_pair(self, partnership_id: int, kind: str, summary: str) -> list[Effect]:
        """Something the coordinators must act on for a partnership, which opens (or
        reopens) its case: a partner's erasure, say, that leaves the other unpartnered."""
        _, items = follow_up(
            pair_subject(partnership_id), kind, summary, self._clock.now(), reopens=True
        )
        return [Enqueue(tuple(items))]

    async def events_for_pair(
        self, partnership_id: int, kind: str, summary: str, actor_id: int, body: str | None
    ) -> list[Effect]:
        """A coordinator's step on a partnership, told in its case when it has one."""
        case = await self._store.cases.by_subject(pair_subject(partnership_id))
        if case is None:
            return []
        _, items = follow_up(
            case.subject, kind, summary, self._clock.now(), actor_id=actor_id, body=body
        )
        return [Enqueue(tuple(items))]
