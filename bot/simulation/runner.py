"""A whole round on a virtual clock, through the real services and a real SQLite file.

The coordinators' steps happen as they would in Discord (create the round, open and close
applications, import the form export, match, confirm, start); the partners follow
:mod:`bot.simulation.script`; the bot's part is nothing but ``program.run_due()``.

The clock jumps from one instant to the next that matters: whichever comes first of what
the program says is next due (:meth:`Program.next_due`: the planners' own agendas and the
outbox) and the next partner action other than a message. So every post goes out at its
due time, exactly as the live waker would send it. Partners' messages need no wake-up of
their own: they are handed to the contact service with their own time, as ``on_message``
would, before the wake-up that follows them.
"""

from __future__ import annotations

import heapq
import itertools
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path

from bot.clock import ManualClock
from bot.config import Config
from bot.domain.applications import (
    ApplicationsCsvError,
    PastPartnership,
    parse_history_csv,
)
from bot.domain.calendar import add_months
from bot.domain.matching import MatchResult
from bot.domain.zones import zone as zone_named
from bot.posts import DirectTarget, Post, Receipt, Work
from bot.posts._text import plural
from bot.posts.away import NoChangesButton
from bot.posts.base import CaseTarget, SpaceTarget
from bot.posts.cases import OpenCase
from bot.posts.checkins import CheckinButton, CheckinPrompt
from bot.posts.contact import Nudge
from bot.posts.events import EventNote, EventReminder
from bot.posts.outreach import UnmatchedNotice
from bot.posts.topics import CohortThread, TopicPost
from bot.services.changes import Change, RoundChanged
from bot.services.errors import UserFacingError
from bot.services.matching import CsvRejected
from bot.services.program import Program, ProgramContent
from bot.simulation.community import (
    CommunityAction,
    CommunityScript,
    ConsentToFeature,
    EventHappens,
    MarkInterested,
    PostDesk,
    ScheduleEvent,
)
from bot.simulation.recorder import RecordingDiscord, TimelineEvent, moment_text
from bot.simulation.script import (
    Action,
    AnswerCheckin,
    AnswerUnmatched,
    Cast,
    ChooseEnd,
    DeclareAway,
    HandleCase,
    Message,
    OptIntoCheckinDms,
    PartnerScript,
    TakeCase,
    coordinator_works,
    unmatched_answer,
)
from bot.store import Store
from bot.store.models import Partnership, Round, RoundState

DEFAULT_START = date(2027, 3, 1)
COORDINATOR_ID = 2  # the simulated coordinator who runs the round's commands
OPEN_DAYS_BEFORE = 21
CLOSE_DAYS_BEFORE = 7
# Ends the loop even if something never settles; a healthy round is done a day after its end.
GRACE = timedelta(days=14)

_MENTION = re.compile(r"<@(\d+)>")
_ROLE_MENTION = re.compile(r"<@&\d+>")
_ONLY_MENTIONS = re.compile(r"^(?:<@\d+>|,|and|\s)+$")
_RELATIVE = re.compile(r"\s*\(<t:\d+:R>\)")
_TIMESTAMP = re.compile(r"<t:(\d+):([A-Za-z])>")
_CHANNEL = re.compile(r"<#(\d+)>")


class SimulationInputError(Exception):
    """Input the user must fix; ``lines`` are printed as they are."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class SimulationInput:
    applicants_csv: str
    history_csv: str | None
    start: date
    seed: int
    config: Config
    db_path: Path | None = None


@dataclass
class Summary:
    applicants: int = 0
    pairs: int = 0
    unmatched: list[tuple[str, list[str]]] = field(default_factory=list)
    wishes_stated: int = 0
    wishes_satisfied: int = 0
    past_pairs: int = 0
    posts: Counter[str] = field(default_factory=Counter)
    nudges: Counter[str] = field(default_factory=Counter)
    alerts: Counter[str] = field(default_factory=Counter)
    checkin_answers: Counter[str] = field(default_factory=Counter)
    partner_messages: int = 0
    events_scheduled: int = 0
    members_reminded: int = 0
    desks_shared: int = 0
    cases_opened: int = 0
    cases_reopened: int = 0
    cases_handled: int = 0
    unmatched_answers: Counter[str] = field(default_factory=Counter)
    kept_open: int = 0
    archived: int = 0
    wakeups: int = 0
    # The bot's posts the partners of a partnership got (in their space or by direct
    # message, not the coordinators' side): the mean over every partnership, and the most.
    posts_per_pair: float = 0.0
    most_posts_per_pair: int = 0


@dataclass(frozen=True)
class SimulationProgress:
    """How far a running simulation has come: its virtual clock between ``begins`` (the
    first instant it simulates) and ``ends`` (the end of the round's last day)."""

    now: datetime
    begins: datetime
    ends: datetime
    wakeups: int
    posts: int


ProgressSink = Callable[[SimulationProgress], None]


@dataclass
class SimulationResult:
    round: Round
    events: list[TimelineEvent]
    space_names: dict[int, str]
    summary: Summary
    cast: Cast
    partnerships: list[Partnership]


class Timeline:
    """Every event, in the order it happened, stamped with the virtual clock."""

    def __init__(self, clock: ManualClock) -> None:
        self._clock = clock
        self.events: list[TimelineEvent] = []

    def add(self, kind: str, detail: str, partnership: int | None = None) -> None:
        self.events.append(TimelineEvent(self._clock.now(), kind, partnership, detail))

    def record(self, event: TimelineEvent) -> None:
        self.events.append(event)


async def simulate(
    given: SimulationInput, progress: ProgressSink | None = None
) -> SimulationResult:
    """Run a whole round; raises :class:`SimulationInputError` for input to fix.
    ``progress`` hears after every instant the clock stops at."""
    history = _parse_history(given.history_csv)
    with _database(given.db_path) as path:
        store = await Store.open(path, scratch=True)
        try:
            return await Simulation(given, store, history, progress).run()
        finally:
            await store.close()


def _parse_history(text: str | None) -> list[PastPartnership]:
    if text is None:
        return []
    try:
        return parse_history_csv(text)
    except ApplicationsCsvError as error:
        raise SimulationInputError(["history file has problems:", *error.problems]) from None


@contextmanager
def _database(path: Path | None) -> Iterator[Path]:
    if path is not None:
        if path.exists():
            raise SimulationInputError([f"{path} already exists; choose a new file for --db"])
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="iln-simulate-") as folder:
        yield Path(folder) / "simulation.sqlite3"


class Simulation:
    def __init__(
        self,
        given: SimulationInput,
        store: Store,
        history: list[PastPartnership],
        progress: ProgressSink | None = None,
    ):
        self._given = given
        self._store = store
        self._history = history
        self._progress = progress
        # Times inside the timeline's texts read in the program's zone, as the CLI shows them.
        self._zone: tzinfo = zone_named(given.config.program.timezone)
        first_wakeup = datetime.combine(given.start, time(9), tzinfo=UTC)
        self.clock = ManualClock(first_wakeup - timedelta(days=OPEN_DAYS_BEFORE))
        self._begins = self.clock.now()
        self.timeline = Timeline(self.clock)
        self.summary = Summary()
        self._pair_posts: Counter[int] = Counter()  # partnership -> the bot's posts to it
        self._names: dict[int, str] = {}
        self._messages: list[tuple[datetime, int, Message]] = []
        self._actions: list[tuple[datetime, int, Action | CommunityAction]] = []
        self._order = itertools.count()
        self._spaces: dict[int, int] = {}  # partnership -> its space, once it has one
        self._due: datetime | None = None  # what the program said after the last wake-up
        self._script: PartnerScript | None = None
        self._community: CommunityScript | None = None
        self._events: dict[int, int] = {}  # topic position -> its live discussion
        self._desks: dict[int, int] = {}  # member -> their desk post
        self._round: Round | None = None
        self._port: RecordingDiscord | None = None
        self._program: Program | None = None
        self._worked: set[tuple[int, datetime]] = set()  # (case, open since) being worked
        self._told = 0  # applicants told they have no partner
        self._ended: bool | None = None  # the round's end, as last read (None: read again)

    # The round, step by step ---------------------------------------------------------------

    async def run(self) -> SimulationResult:
        await self._applications()
        await self._match()
        await self._start()
        await self._until_closed()
        return await self._result()

    async def _applications(self) -> None:
        program = self._connect()
        round_ = await program.rounds.create(
            self._round_name(),
            self._given.start,
            self._given.config.round.round_weeks,
            COORDINATOR_ID,
        )
        self._round = round_
        self.timeline.add("round_created", f"{round_.name}: {round_.starts_on} to {round_.ends_on}")
        await program.rounds.open_applications(COORDINATOR_ID)
        await program.run_due()
        try:
            report = await program.matching.import_csv(self._given.applicants_csv, COORDINATOR_ID)
        except CsvRejected as rejected:
            raise SimulationInputError(
                ["applicants file has problems:", *rejected.problems]
            ) from None
        applications = await self._store.people.applications(round_.id)
        self._names = {a.discord_id: a.name for a in applications}
        self._names[COORDINATOR_ID] = "the coordinator"
        self.summary.applicants = len(applications)
        self.timeline.add("applicants_imported", f"{report.added} applications")
        await self._store_history()

    async def _store_history(self) -> None:
        """Past partnerships become ended partnerships of ended past rounds, so the real
        matcher keeps them apart through ``store.partnerships.past_pairs()``, as it would
        in production. Pairs with someone who did not apply cannot be re-matched anyway
        (and have no participant row), so they are left out."""
        kept = [
            past
            for past in self._history
            if past.member_a in self._names and past.member_b in self._names
        ]
        labels = sorted({past.round for past in kept})
        now = self.clock.now()
        for index, label in enumerate(labels):
            starts_on = add_months(self._given.start, -4 * (len(labels) - index))
            past_round = await self._store.rounds.create(
                label, starts_on, add_months(starts_on, 4) - timedelta(days=1), now
            )
            await self._store.rounds.set_state(
                past_round.id, RoundState.DRAFT, RoundState.ENDED, now
            )
            for number, past in enumerate(p for p in kept if p.round == label):
                pid = await self._store.partnerships.create(
                    past_round.id,
                    f"past-{number}",
                    (past.member_a, past.member_b),
                    score=0,
                    reasons=(),
                    now=now,
                )
                await self._store.partnerships.set_state(pid, "ended", now)
        self.summary.past_pairs = len(kept)
        if kept:
            self.timeline.add(
                "history_loaded",
                f"{len(kept)} past partnerships from {len(labels)} earlier rounds, kept apart",
            )

    async def _match(self) -> None:
        program = self._require_program()
        self.clock.set(self._day_before(CLOSE_DAYS_BEFORE))
        await program.rounds.close_applications(COORDINATOR_ID)
        self.timeline.add("applications_closed", f"{self.summary.applicants} applications")
        try:
            _, result = await program.matching.run(COORDINATOR_ID)
        except UserFacingError as error:
            raise SimulationInputError([f"cannot match: {error}"]) from None
        self._report_match(result)
        await program.matching.confirm(COORDINATOR_ID)

    def _report_match(self, result: MatchResult) -> None:
        metrics = result.metrics
        self.summary.pairs = metrics.pairs
        self.summary.wishes_stated = metrics.wishes_stated
        self.summary.wishes_satisfied = metrics.wishes_satisfied
        self.timeline.add(
            "matched",
            f"{metrics.pairs} partnerships for {metrics.matched} of "
            f"{metrics.matched + metrics.unmatched} applicants, "
            f"mean score {metrics.mean_score:.2f}",
        )
        for person in result.unmatched:
            name = self._names.get(person.discord_id, str(person.discord_id))
            self.summary.unmatched.append((name, person.reasons))
            self.timeline.add("unmatched", f"{name}: {'; '.join(person.reasons)}")

    async def _start(self) -> None:
        """Start the day before, so every space has its intro before the first topic
        (which reaches the easternmost partners on the previous UTC day)."""
        round_ = self._require_round()
        self.clock.set(datetime.combine(round_.starts_on - timedelta(days=1), time(9), UTC))
        partnerships = await self._store.partnerships.for_round(round_.id)
        self._script = PartnerScript(
            self._given.seed, round_.starts_on, round_.ends_on, partnerships
        )
        self._require_port().refuse_direct_messages(self._script.cast.dms_closed)
        program = self._require_program()
        await program.rounds.start(COORDINATOR_ID)
        self.timeline.add("round_started", f"{round_.name}, {len(partnerships)} partnerships")
        for partnership in partnerships:
            self.timeline.add(
                "scripted", self._script.describe(partnership.id, self._names), partnership.id
            )
        for action in self._script.initial_actions(self.clock.now()):
            self._schedule(action)
        members = sorted({m for p in partnerships for m in p.member_ids})
        self._community = CommunityScript(self._given.seed, members)
        topics = await self._store.topics.for_round(round_.id)
        for community in self._community.initial_actions(
            self.clock.now(), [t.due_on for t in topics]
        ):
            self._schedule(community)
        await self._wake()

    async def _until_closed(self) -> None:
        round_ = self._require_round()
        give_up = datetime.combine(round_.ends_on, time(0), UTC) + GRACE
        while (moment := await self._next_instant()) is not None:
            if moment > give_up:
                self.timeline.add("gave_up", "the round did not close within two weeks")
                break
            self.clock.set(moment)
            await self._wake()
        kept, archived = self.summary.kept_open, self.summary.archived
        self.timeline.add("round_closed", f"{plural(kept, 'space')} kept open, {archived} archived")

    async def _wake(self) -> None:
        """Partners act; then, when that or the clock made anything due, the bot does it,
        as the live waker would."""
        acted = await self._act_until(self.clock.now())
        program = self._require_program()
        # Only partners change what is due between two wake-ups; when none acted, what the
        # program said last time still holds.
        due = await program.next_due() if acted or self._due is None else self._due
        if due is not None and due <= self.clock.now():
            await program.run_due()
            self.summary.wakeups += 1
            due = await program.next_due()
        self._due = due
        if self._progress is not None:
            self._report_progress(self._progress)

    def _report_progress(self, sink: ProgressSink) -> None:
        ends = datetime.combine(self._require_round().ends_on + timedelta(days=1), time(0), UTC)
        posts = sum(self.summary.posts.values())
        sink(SimulationProgress(self.clock.now(), self._begins, ends, self.summary.wakeups, posts))

    # The clock ------------------------------------------------------------------------------

    async def _next_instant(self) -> datetime | None:
        """When to wake next: the program's next due instant or the next partner action;
        None once the round has ended and nothing is left to do."""
        now = self.clock.now()
        due = self._due
        if await self._settled() and await self._round_ended():
            return None
        candidates = [moment for moment in (due,) if moment is not None]
        if self._actions:
            candidates.append(self._actions[0][0])
        if not candidates:
            raise SimulationInputError(["the round has nothing left to do but has not ended"])
        return max(min(candidates), now)

    async def _settled(self) -> bool:
        """Nothing is left of the round: no partner action and no post to deliver (the
        desk forum's fortnightly feature goes on after a round, so it does not count)."""
        return not self._actions and await self._store.outbox.next_due_at() is None

    async def _round_ended(self) -> bool:
        """Whether the round has ended, read again only after it changed."""
        if self._ended is None:
            round_ = await self._store.rounds.get(self._require_round().id)
            self._ended = round_ is not None and round_.state is RoundState.ENDED
        return self._ended

    def _on_change(self, change: Change) -> None:
        if isinstance(change, RoundChanged):
            self._ended = None

    # Partners -------------------------------------------------------------------------------

    def _schedule(self, action: Action | CommunityAction) -> None:
        if isinstance(action, Message):
            heapq.heappush(self._messages, (action.at, next(self._order), action))
        else:
            heapq.heappush(self._actions, (action.at, next(self._order), action))

    async def _act_until(self, moment: datetime) -> bool:
        """Partners do everything they planned up to ``moment``; whether any did."""
        acted = False
        while True:
            head = min(
                (queue[0] for queue in (self._messages, self._actions) if queue),
                default=None,
                key=lambda entry: (entry[0], entry[1]),
            )
            if head is None or head[0] > moment:
                return acted
            acted = True
            if isinstance(head[2], Message):
                heapq.heappop(self._messages)
            else:
                heapq.heappop(self._actions)
            await self._perform(head[2])

    async def _perform(self, action: Action | CommunityAction) -> None:
        program = self._require_program()
        match action:
            case (
                ScheduleEvent()
                | MarkInterested()
                | EventHappens()
                | PostDesk()
                | ConsentToFeature()
            ):
                await self._community_acts(action)
            case Message(at=at, partnership_id=pid, member_id=member):
                await self._message(pid, member, at)
            case DeclareAway(member_id=member, first_day=first, last_day=last, note=note):
                await program.away.add(member, first, last, note)
            case AnswerCheckin():
                await program.checkins.answer(
                    action.member_id,
                    action.partnership_id,
                    action.sequence,
                    action.rating,
                    action.comment,
                )
                self.summary.checkin_answers[action.rating] += 1
                self.timeline.add(
                    "checkin_answered",
                    f"{self._name(action.member_id)}: {action.rating.replace('_', ' ')}",
                    action.partnership_id,
                )
            case ChooseEnd(partnership_id=pid, member_id=member, choice=choice):
                await self._store.partnerships.set_end_choice(pid, member, choice)
                self.timeline.add(
                    "end_choice", f"{self._name(member)}: {choice.replace('_', ' ')}", pid
                )
            case OptIntoCheckinDms(member_id=member):
                await program.checkins.set_dm_opt_in(member, True)
            case AnswerUnmatched(round_id=round_id, member_id=member, choice=choice):
                if choice == "talk":
                    await program.outreach.talk(
                        round_id, member, self._name(member), "Is there a place next round?"
                    )
                else:
                    await program.outreach.answer(round_id, member, choice)
                self.summary.unmatched_answers[choice] += 1
                self.timeline.add("unmatched_answered", f"{self._name(member)}: {choice}")
            case TakeCase(case_id=case_id):
                try:
                    case = await program.cases.take(case_id, COORDINATOR_ID)
                except UserFacingError:
                    return  # handled meanwhile, or already theirs
                self.timeline.add(
                    "case_taken", f"case {case.id}: {case.title}", case.partnership_id
                )
            case HandleCase(case_id=case_id, note=note):
                try:
                    case = await program.cases.handle(case_id, COORDINATOR_ID, note)
                except UserFacingError:
                    return
                self.summary.cases_handled += 1
                self.timeline.add(
                    "case_handled", f"case {case.id}: {case.title}", case.partnership_id
                )

    async def _community_acts(self, action: CommunityAction) -> None:
        """The cohort beyond the partnerships: live discussions and desks."""
        program, port = self._require_program(), self._require_port()
        match action:
            case ScheduleEvent(topic_position=position):
                await self._schedule_event(position)
            case MarkInterested(topic_position=position, member_ids=members):
                discord_id = await self._discord_event(position)
                if discord_id is not None:
                    for member in members:
                        port.mark_interested(discord_id, member)
                    self.timeline.add(
                        "event_interest", f"{len(members)} members pressed Interested"
                    )
            case EventHappens(topic_position=position, state=state):
                discord_id = await self._discord_event(position)
                if discord_id is not None:
                    port.set_event_state(discord_id, state)
                    await program.events.discord_status(discord_id, state)
            case PostDesk(at=at, member_id=member):
                thread = self._desks[member] = port.open_desk_post(member, at)
                await program.desks.posted(thread, member, at)
                self.summary.desks_shared += 1
                self.timeline.add("desk_shared", f"{self._name(member)} shared their desk")
            case ConsentToFeature(member_id=member, caption=caption):
                await program.desks.consent(self._desks[member], member, caption)
                self.timeline.add("desk_consented", f"{self._name(member)}: “{caption}”")

    async def _schedule_event(self, position: int) -> None:
        """The coordinator takes the program's first suggestion for the topic."""
        program = self._require_program()
        topic = await program.events.topic(str(position))
        suggestions = await program.events.suggestions(topic)
        if not suggestions:
            return
        zone, _ = await program.events.zone_of(COORDINATOR_ID)
        best = suggestions[0]
        local = best.starts_at.astimezone(zone_named(zone))
        try:
            planned = await program.events.schedule(
                str(position),
                f"{local:%Y-%m-%d %H:%M}",
                None,
                str(self._require_port().voice_channel),
                COORDINATOR_ID,
            )
        except UserFacingError as error:
            self.timeline.add("event_refused", str(error))
            return
        event = planned.event
        self._events[position] = event.id
        self.summary.events_scheduled += 1
        self.timeline.add(
            "event_planned",
            f"{topic.title} at {moment_text(event.starts_at, self._zone)}, the hour that suits "
            f"{best.suits} of {best.of} partners",
        )
        assert self._community is not None
        for follow_up in self._community.after_scheduling(
            position, self.clock.now(), event.starts_at, event.ends_at
        ):
            self._schedule(follow_up)

    async def _discord_event(self, position: int) -> int | None:
        event_id = self._events.get(position)
        event = await self._store.events.get(event_id) if event_id is not None else None
        return None if event is None else event.discord_event_id

    async def _message(self, partnership_id: int, member_id: int, at: datetime) -> None:
        """A partner writes, if their space is open (it is not before the round or once
        it is closed)."""
        channel_id = self._spaces.get(partnership_id)
        if channel_id is None:
            partnership = await self._store.partnerships.get(partnership_id)
            if partnership is None or partnership.channel_id is None:
                return
            channel_id = self._spaces[partnership_id] = partnership.channel_id
        port = self._require_port()
        if not port.is_open(channel_id):
            return
        message_id = port.post_as_member(channel_id, member_id, at)
        await self._require_program().contact_log.record_message(
            channel_id, member_id, message_id, at
        )
        self.summary.partner_messages += 1

    # What the bot did -----------------------------------------------------------------------

    def _connect(self) -> Program:
        port = RecordingDiscord(
            self.clock,
            self._on_port_event,
            guild_id=self._given.config.discord.guild_id,
            zone=self._zone,
        )
        program = Program(self._given.config, self._store, self.clock, port, ProgramContent.load())
        program.dispatcher.on_done(self._done)
        program.changes.subscribe(self._on_change)
        self._port, self._program = port, program
        return program

    def _on_port_event(self, event: TimelineEvent) -> None:
        if event.kind == "space_kept_open":
            self.summary.kept_open += 1
        elif event.kind == "space_archived":
            self.summary.archived += 1
        self.timeline.record(replace(event, detail=self._readable(event.detail)))

    async def _done(self, work: Work, receipt: Receipt) -> None:
        if isinstance(work, OpenCase):
            case = await self._store.cases.by_subject(work.subject)
            if case is not None:
                self.summary.cases_opened += 1
                self.timeline.add(
                    "case_opened", f"case {case.id}: {case.title}", case.partnership_id
                )
        if not isinstance(work, Post) or receipt.message_id is None:
            return  # spaces opened and closed are reported by the recorder
        if isinstance(work.target, CaseTarget):
            await self._work_case(work.target.subject)
        if isinstance(work, UnmatchedNotice):
            self._schedule(
                unmatched_answer(self._told, work.round_id, work.target.user_id, self.clock.now())
            )
            self._told += 1
        kind = _timeline_kind(work)
        self.summary.posts[kind] += 1
        if isinstance(work, EventReminder):
            draft = self._require_port().message(receipt.message_id).draft
            self.summary.members_reminded += len(draft.mention_ids)
        if isinstance(work, Nudge):
            self.summary.nudges[work.tone] += 1
        if kind == "coordinator_alerted":
            self.summary.alerts[work.kind] += 1
        self.timeline.add(kind, self._describe(work, receipt.message_id), work.partnership_id)
        if work.partnership_id is not None and isinstance(work.target, SpaceTarget | DirectTarget):
            self._pair_posts[work.partnership_id] += 1
        if self._script is not None:
            reacting, sequence = work.kind, None
            if isinstance(work, CheckinPrompt):
                sequence = work.sequence
            elif isinstance(work, TopicPost):
                draft = self._require_port().message(receipt.message_id).draft
                asked = [b.sequence for b in draft.buttons if isinstance(b, CheckinButton)]
                if asked:  # a topic that carries the check-in is answered as one
                    reacting, sequence = "checkin_prompt", asked[0]
            for action in self._script.react(
                reacting, work.partnership_id, sequence, self.clock.now()
            ):
                self._schedule(action)

    async def _work_case(self, subject: str) -> None:
        """The scripted coordinator takes up a case that is open and not yet worked on."""
        case = await self._store.cases.by_subject(subject)
        if case is None or case.state != "open" or (case.id, case.opened_at) in self._worked:
            return
        if any(worked == case.id for worked, _ in self._worked):
            self.summary.cases_reopened += 1
            self.timeline.add("case_reopened", f"case {case.id}: {case.title}", case.partnership_id)
        self._worked.add((case.id, case.opened_at))
        for action in coordinator_works(case.id, self.clock.now()):
            self._schedule(action)

    def _describe(self, work: Post, message_id: int) -> str:
        message = self._require_port().message(message_id)
        draft = message.draft
        if not draft.content and draft.embeds:  # the weekly digest
            return str(draft.embeds[0].get("title", ""))
        if isinstance(work, TopicPost | CohortThread) and draft.embeds:
            title = str(draft.embeds[0].get("title", ""))
            asks = [
                name
                for name, button in (
                    ("availability ask", NoChangesButton),
                    ("check-in", CheckinButton),
                )
                if any(isinstance(b, button) for b in draft.buttons)
            ]
            return f"{title} (with the {' and the '.join(asks)})" if asks else title
        if isinstance(work, Nudge):
            recipients = ", ".join(self._name(m) for m in work.recipients)
            return f"{work.tone} nudge to {recipients} after {work.days} days"
        if isinstance(work, EventReminder):
            _, _, text = draft.content.partition("Reminder: ")
            return f"to {len(draft.mention_ids)} interested members: {self._readable(text)}"
        lines = draft.content.splitlines()
        if len(lines) > 1 and _ONLY_MENTIONS.match(lines[0]):
            lines = lines[1:]  # "<@1> and <@2>" above the text itself
        text = self._readable("\n".join(lines))
        if isinstance(work.target, DirectTarget):
            place = (
                "direct message"
                if message.channel_id != work.target.fallback_channel_id
                else "in the space, DMs closed"
            )
            text = f"({place}) {text}"
        return text

    def _readable(self, text: str) -> str:
        """One line, with names for mentions."""
        text = _ROLE_MENTION.sub("@waitlist", text)
        text = _RELATIVE.sub("", text)
        text = _TIMESTAMP.sub(lambda found: moment_text(_stamp(found), self._zone), text)
        text = _CHANNEL.sub(lambda found: self._channel_name(int(found[1])), text)
        text = _MENTION.sub(lambda found: self._name(int(found[1])), text)
        return " ".join(text.split())

    def _channel_name(self, channel_id: int) -> str:
        channel = self._require_port().channels.get(channel_id)
        return f"#{channel.name}" if channel else "#channel"

    def _name(self, member_id: int) -> str:
        return self._names.get(member_id, f"member {member_id}")

    async def _result(self) -> SimulationResult:
        round_ = await self._store.rounds.get(self._require_round().id)
        assert round_ is not None
        partnerships = await self._store.partnerships.for_round(round_.id)
        by_channel = {p.channel_id: p.id for p in partnerships if p.channel_id}
        events = [
            event
            if event.partnership is not None or event.channel_id not in by_channel
            else TimelineEvent(
                event.at, event.kind, by_channel[event.channel_id], event.detail, event.channel_id
            )
            for event in self.timeline.events
        ]
        assert self._script is not None
        if partnerships:
            self.summary.posts_per_pair = sum(self._pair_posts.values()) / len(partnerships)
            self.summary.most_posts_per_pair = max(self._pair_posts.values(), default=0)
        return SimulationResult(
            round=round_,
            events=events,
            space_names={p.id: p.name for p in partnerships},
            summary=self.summary,
            cast=self._script.cast,
            partnerships=partnerships,
        )

    # Small helpers --------------------------------------------------------------------------

    def _round_name(self) -> str:
        start = self._given.start
        name = f"{start.year}{'A' if start.month < 7 else 'B'}"
        return f"{name}-sim" if name in {past.round for past in self._history} else name

    def _day_before(self, days: int) -> datetime:
        return datetime.combine(self._given.start - timedelta(days=days), time(9), UTC)

    def _require_round(self) -> Round:
        assert self._round is not None, "the round is created first"
        return self._round

    def _require_program(self) -> Program:
        assert self._program is not None, "the program is connected first"
        return self._program

    def _require_port(self) -> RecordingDiscord:
        assert self._port is not None, "the program is connected first"
        return self._port


def _timeline_kind(work: Post) -> str:
    """A post's kind in the timeline: the work's own name, but a live discussion's notes by
    what they tell (``event_scheduled``, ``event_moved``, ``event_cancelled`` in the
    announcements channel; ``event_started``, ``event_ended`` in the thread)."""
    if isinstance(work, EventNote):
        if work.place == "announcements" or work.note in ("started", "ended"):
            return f"event_{work.note}"
        return "event_thread_note"
    return work.event


def _stamp(found: re.Match[str]) -> datetime:
    """The moment a Discord timestamp (``<t:UNIX:style>``) stands for."""
    return datetime.fromtimestamp(int(found[1]), UTC)
