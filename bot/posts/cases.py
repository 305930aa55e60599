"""Cases: the coordinators' one place per partnership or person in trouble.

A case has a *card* in the coordinators' channel (who, which pair, contact in days, the
latest check-in answers, a jump link to the space, what happened, the notes; buttons Take
it, Mark handled and Open the pair) and a *thread* started from that card, where every
new event is a short follow-up. The card is edited whenever the case changes; nothing
about a case is ever posted twice in the channel itself.

Whatever happens in a case is queued with :func:`on_case`: the case's opening (queued
under the same key every time, so it happens once), the event's follow-up in the thread
(recording the event, and opening or reopening the case row, in the same transaction as
the queueing) and the card's refresh. The coordinators' channel is private to the
coordinator role, so a case thread, which inherits it, is too.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

from pydantic import model_validator

from bot.domain.checkins import RATING_LABELS
from bot.posts import limits
from bot.posts._text import EMBED_COLOUR, discord_time, full_name, plural, preferred_name
from bot.posts.base import (
    ActionContext,
    CaseTarget,
    DirectTarget,
    Post,
    PrivateTarget,
    Receipt,
    RenderContext,
    Work,
)
from bot.services.ports import ButtonSpec, Draft
from bot.store import Scheduled
from bot.store.effects import Effect, RecordCaseEvent, SetCaseThread
from bot.store.models import (
    Case,
    CaseEvent,
    Partnership,
    member_subject,
    pair_subject,
    subject_parts,
)

CONTACT_WINDOW_DAYS = 28
EVENTS_SHOWN = 6
NOTES_SHOWN = 3
COMMENT_SHOWN = 200
COLOURS = {"open": 0xE8A33D, "taken": EMBED_COLOUR, "handled": 0x3BA55D}
# Events that come from a person, not a coordinator: the case's coordinator is pinged.
FROM_PEOPLE = frozenset({"message", "talk", "withdraw"})
PAIR_STATES = {
    "confirmed": "confirmed, no space yet",
    "active": "active",
    "member_left": "a partner left",
    "ended": "ended",
}


@dataclass(frozen=True)
class CaseButton(ButtonSpec):
    """Take it, Mark handled or Open the pair, on case ``case_id``'s card."""

    case_id: int
    action: Literal["take", "handle", "pair"]


def case_marker(subject: str) -> str:
    """The card's footer, by which a card sent before a crash is found again."""
    return f"ILN case {subject}"


def thread_name(case: Case) -> str:
    return f"Case {case.id} · {case.title}"[:100]


def new_event_key(subject: str, kind: str) -> str:
    """The key of a coordinator's or a person's event (each one is new)."""
    return f"case:{subject}:{kind}:{secrets.token_hex(6)}"


def on_case(
    post: Post,
    subject: str,
    kind: str,
    summary: str,
    now: datetime,
    *,
    recorded: Sequence[Effect] = (),
    actor_id: int | None = None,
    member_id: int | None = None,
    body: str | None = None,
    reopens: bool = True,
    title: str | None = None,
) -> list[Scheduled]:
    """Queue ``post`` as the follow-up of an event in the case about ``subject``: the case
    opens when it has no thread yet, records the event, and its card is refreshed."""
    event = RecordCaseEvent(
        subject, kind, summary, post.key, actor_id, member_id, body, reopens, title
    )
    return [
        Scheduled(OpenCase(subject=subject), now),
        Scheduled(CaseCard(subject=subject, after=post.key), now),
        Scheduled(post, now, (*recorded, event)),
    ]


def follow_up(
    subject: str,
    kind: str,
    summary: str,
    now: datetime,
    *,
    actor_id: int | None = None,
    member_id: int | None = None,
    body: str | None = None,
    reopens: bool = False,
    title: str | None = None,
    recorded: Sequence[Effect] = (),
) -> tuple[str, list[Scheduled]]:
    """An event told by a plain follow-up (a coordinator's step, a person's message):
    its key (the event's), and what to queue."""
    post = CaseFollowUp(target=CaseTarget(subject=subject), key_name=new_event_key(subject, kind))
    items = on_case(
        post,
        subject,
        kind,
        summary,
        now,
        recorded=recorded,
        actor_id=actor_id,
        member_id=member_id,
        body=body,
        reopens=reopens,
        title=title,
    )
    return post.key, items


def _with_partnership(cls: type, data: Any) -> Any:
    """Work about a partnership's case carries its id, as all work about a partnership
    does (the outbox keeps it in its own column)."""
    if isinstance(data, dict) and data.get("partnership_id") is None:
        subject = data.get("subject")
        target = data.get("target")
        if subject is None and target is not None:
            subject = CaseTarget.model_validate(target).subject
        if isinstance(subject, str):
            data = {**data, "partnership_id": subject_parts(subject)[0]}
    return data


class OpenCase(Work):
    """The case's card in the coordinators' channel and its thread (adopting either when a
    crash left it behind); recorded with the case once Discord has them."""

    kind: Literal["open_case"] = "open_case"
    event: ClassVar[str] = "case_opened"
    subject: str

    with_partnership_id = model_validator(mode="before")(_with_partnership)

    @property
    def key(self) -> str:
        return f"case:{self.subject}:open"

    async def perform(self, context: ActionContext, nonce: str) -> Receipt | None:
        case = await context.render.store.cases.by_subject(self.subject)
        if case is None:
            return None
        if case.thread_id is not None:
            return Receipt(case.thread_id, case.thread_id)
        draft = limits.fit(await case_card(context.render, case))
        thread_id, card_id = await context.render.port.open_case(
            thread_name(case), case_marker(self.subject), draft, nonce
        )
        return Receipt(card_id, thread_id)

    def effects(self, receipt: Receipt, now: datetime) -> Sequence[Effect]:
        assert receipt.channel_id is not None
        return (SetCaseThread(self.subject, receipt.channel_id),)


class CaseCard(Work):
    """The card shown again as the case stands now, after ``after`` (the event's key)."""

    kind: Literal["case_card"] = "case_card"
    event: ClassVar[str] = "case_updated"
    subject: str
    after: str

    with_partnership_id = model_validator(mode="before")(_with_partnership)

    @property
    def key(self) -> str:
        return f"case:{self.subject}:card:{self.after}"

    async def perform(self, context: ActionContext, nonce: str) -> Receipt | None:
        case = await context.render.store.cases.by_subject(self.subject)
        if case is None or case.thread_id is None:
            return None  # the case opens with its card as it stands then
        draft = limits.fit(await case_card(context.render, case))
        await context.render.port.edit_case_card(case.thread_id, draft)
        return Receipt(case.thread_id, case.thread_id)


class CaseFollowUp(Post):
    """One event of a case, told in its thread: what the event's summary says, and what a
    person sent (or a coordinator answered), quoted."""

    kind: Literal["case_follow_up"] = "case_follow_up"
    event: ClassVar[str] = "case_follow_up"
    target: CaseTarget
    key_name: str

    with_partnership_id = model_validator(mode="before")(_with_partnership)

    @property
    def key(self) -> str:
        return self.key_name

    async def render(self, context: RenderContext) -> Draft | None:
        event = await context.store.cases.event(self.key)
        if event is None:
            return None
        text = event.summary
        if event.body:
            text += "\n>>> " + event.body
        if event.kind in FROM_PEOPLE:
            return await for_case(context, self.target, Draft(content=text), event.actor_id)
        return Draft(content=text)


class CaseReply(Post):
    """A coordinator's answer from a case, to the person privately (by direct message, or
    in a private thread of their own when they do not accept them)."""

    kind: Literal["case_reply"] = "case_reply"
    event: ClassVar[str] = "case_reply_sent"
    target: PrivateTarget
    subject: str
    event_key: str

    with_partnership_id = model_validator(mode="before")(_with_partnership)

    @property
    def key(self) -> str:
        return f"{self.event_key}:to:{self.target.user_id}"

    async def render(self, context: RenderContext) -> Draft | None:
        event = await context.store.cases.event(self.event_key)
        if event is None or not event.body:
            return None
        member = self.target.user_id
        person = await context.reads.participant(member)
        text = context.messages.cases.reply.format(
            member_name=preferred_name(person) if person else "there", reply=event.body
        )
        return Draft(content=f"<@{member}> {text}", mention_ids=(member,))


async def for_case(
    context: RenderContext, target: object, draft: Draft, actor_id: int | None = None
) -> Draft:
    """A follow-up that pings the case's coordinator, when someone has taken the case (and
    it is not what they did themselves)."""
    if not isinstance(target, CaseTarget):
        return draft
    case = await context.store.cases.by_subject(target.subject)
    if case is None or case.assignee_id is None or case.assignee_id == actor_id:
        return draft
    assignee = case.assignee_id
    # The ping on a line of its own: glued to the text, "@Cora **ana-and-bo** has had no
    # contact" reads as if the coordinator were the pair.
    return Draft(
        content="\n".join(part for part in (f"<@{assignee}>", draft.content) if part),
        embeds=draft.embeds,
        buttons=draft.buttons,
        mention_ids=(*draft.mention_ids, assignee),
    )


def failure_subject(work: Work) -> str | None:
    """The case a piece of work Discord keeps refusing belongs to; None for the case
    machinery itself and for the bot's own posts (both told plainly instead)."""
    target = getattr(work, "target", None)
    if isinstance(work, OpenCase | CaseCard) or isinstance(target, CaseTarget):
        return None
    if isinstance(work, CaseReply):
        return work.subject
    if work.partnership_id is not None:
        return pair_subject(work.partnership_id)
    if isinstance(target, DirectTarget | PrivateTarget):
        return member_subject(target.user_id)
    return None


# The card ---------------------------------------------------------------------------------


def state_line(case: Case) -> str:
    if case.state == "handled":
        assert case.handled_at is not None
        line = f"✅ **Handled** by <@{case.handled_by}> {discord_time(case.handled_at, 'R')}."
        if case.handled_note:
            line += f"\nNote: {case.handled_note}"
        return line
    since = f"{discord_time(case.opened_at)} ({discord_time(case.opened_at, 'R')})"
    if case.assignee_id is not None:
        assert case.taken_at is not None
        taken = discord_time(case.taken_at, "R")
        return f"🔵 **Taken** by <@{case.assignee_id}> {taken}. Open since {since}."
    return f"🟠 **Open**, nobody has taken it yet. Open since {since}."


def colour(case: Case) -> int:
    if case.state == "handled":
        return COLOURS["handled"]
    return COLOURS["taken" if case.assignee_id is not None else "open"]


async def case_card(context: RenderContext, case: Case) -> Draft:
    """The card as the case stands now."""
    fields: list[tuple[str, str]] = []
    if case.partnership_id is not None:
        partnership = await context.reads.partnership(case.partnership_id)
        if partnership is not None:
            fields += await _pair_fields(context, partnership)
    elif case.participant_id is not None:
        fields += await _person_fields(context, case.participant_id)
    events = await context.store.cases.events(case.id, EVENTS_SHOWN)
    if events:
        fields.append(("What happened", "\n".join(_event_line(e) for e in events)))
    if case.partnership_id is not None:
        notes = await context.store.cases.notes(case.partnership_id, NOTES_SHOWN)
        if notes:
            lines = [
                f"{discord_time(n.at, 'd')} <@{n.author_id}>: {limits.shorten(n.text, 300)}"
                for n in notes
            ]
            fields.append(("Coordinator notes", "\n".join(lines)))
    embed = {
        "title": f"Case {case.id} · {case.title}"[: limits.TITLE],
        "description": state_line(case),
        "color": colour(case),
        "fields": [
            {"name": name, "value": limits.shorten(value, limits.FIELD_VALUE), "inline": False}
            for name, value in fields
        ],
        "footer": {"text": case_marker(case.subject)},
    }
    buttons: list[ButtonSpec] = [CaseButton(case.id, "take"), CaseButton(case.id, "handle")]
    if case.partnership_id is not None:
        buttons.append(CaseButton(case.id, "pair"))
    return Draft(embeds=(embed,), buttons=tuple(buttons))


def _event_line(event: CaseEvent) -> str:
    return f"{discord_time(event.at, 'R')} {limits.shorten(event.summary, 160)}"


async def _pair_fields(context: RenderContext, partnership: Partnership) -> list[tuple[str, str]]:
    now = context.clock.now()
    people = await context.reads.people(partnership.member_ids)
    round_ = await context.reads.round(partnership.round_id)
    partners = []
    for member in partnership.members:
        person = people.get(member.participant_id)
        line = f"<@{member.participant_id}> {full_name(person, member.participant_id)}"
        if member.left_at is not None:
            line += f" (left {discord_time(member.left_at, 'R')})"
        partners.append(line)
    where = (
        context.port.channel_link(partnership.channel_id)
        if partnership.channel_id is not None
        else "no space yet"
    )
    pair = (
        f"**{partnership.name}**, round {round_.name if round_ else '?'}, "
        f"{PAIR_STATES.get(partnership.state, partnership.state)}\nSpace: {where}"
    )
    activity = context.store.activity
    last = await activity.last_contacts([partnership.id])
    contact = []
    for member_id in partnership.member_ids:
        name = preferred_name(people.get(member_id))
        when = last.get((partnership.id, member_id))
        contact.append(
            f"{name}: no contact yet"
            if when is None
            else f"{name}: last contact {plural((now - when).days, 'day')} ago"
        )
    days = (await activity.contact_days([partnership.id], now)).get(partnership.id, [])
    recent = sum(1 for day in days if day > now - timedelta(days=CONTACT_WINDOW_DAYS))
    contact.append(f"{plural(recent, 'day')} with contact in the last {CONTACT_WINDOW_DAYS} days")
    answers = {}
    for answer in await activity.checkins(partnership.id):
        if answer.rating is not None:
            answers[answer.participant_id] = answer  # the latest answered, by sequence
    checkins = []
    for member_id, answer in sorted(answers.items()):
        assert answer.rating is not None
        line = (
            f"{preferred_name(people.get(member_id))}: {RATING_LABELS[answer.rating]} "
            f"(check-in {answer.sequence})"
        )
        if answer.comment:
            line += f": “{limits.shorten(answer.comment, COMMENT_SHOWN)}”"
        checkins.append(line)
    return [
        ("Partners", "\n".join(partners)),
        ("Partnership", pair),
        ("Contact", "\n".join(contact)),
        ("Latest check-in answers", "\n".join(checkins) or "no answers yet"),
    ]


async def _person_fields(context: RenderContext, member_id: int) -> list[tuple[str, str]]:
    person = await context.reads.participant(member_id)
    lines = [f"<@{member_id}> {full_name(person, member_id)}"]
    latest = await context.store.people.latest_application(member_id)
    if latest is not None:
        round_ = await context.reads.round(latest[0])
        if round_ is not None:
            lines.append(f"Applied to round {round_.name}")
            answer = (await context.store.cases.unmatched_answers(round_.id)).get(member_id)
            if answer is not None:
                lines.append(f"Not matched; answered: {UNMATCHED_WORDS[answer.answer]}")
    partnerships = await context.store.partnerships.for_member(member_id)
    for partnership in partnerships[-3:]:
        state = PAIR_STATES.get(partnership.state, partnership.state)
        lines.append(f"Partnership {partnership.name}: {state}")
    return [("Person", "\n".join(lines))]


UNMATCHED_WORDS = {
    "keep": "keep me on the list for the next round",
    "trio": "I would join a trio",
    "talk": "talk to a coordinator",
    "withdrawn": "withdrew",
}
