"""A whole round on a virtual clock, through the real services and a real SQLite file.

The coordinators' steps happen as they would in Discord (create the round, open and close
applications, import the form export, match, confirm, start); the partners follow
:mod:`bot.simulation.script`; the bot's part is nothing but ``program.run_due()``.

The clock jumps from one interesting instant to the next: the next outbox post, the next
post of the round's calendar, the next partner action other than a message, and the next
moment the contact rules could ask for something (:class:`ContactWakeups`; every hour on
the hour while that is unclear, like the live scheduler's wake-ups). So every post goes
out at its due time, or within the hour for a nudge. Partners' messages need no wake-up of
their own: they are handed to the contact service with their own time, as ``on_message``
would, before the wake-up that follows them.
"""

from __future__ import annotations

import heapq
import itertools
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from bot.clock import ManualClock
from bot.config import Config
from bot.domain.applications import (
    ApplicationsCsvError,
    PastPartnership,
    parse_history_csv,
)
from bot.domain.calendar import (
    add_months,
    availability_dates,
    checkin_dates,
    end_reminder_date,
    post_instant,
)
from bot.domain.contact import Decision, NoAction, WaitForWindow
from bot.domain.matching import MatchResult
from bot.services.errors import UserFacingError
from bot.services.matching import CsvRejected
from bot.services.program import Program, ProgramContent
from bot.simulation.recorder import RecordingDiscord, TimelineEvent
from bot.simulation.script import (
    Action,
    AnswerCheckin,
    Cast,
    ChooseEnd,
    DeclareAway,
    Message,
    OptIntoCheckinDms,
    PartnerScript,
)
from bot.store import Store
from bot.store.models import OutboxItem, Partnership, Round, RoundState

DEFAULT_START = date(2027, 3, 1)
COORDINATOR_ID = 2  # the simulated coordinator who runs the round's commands
OPEN_DAYS_BEFORE = 21
CLOSE_DAYS_BEFORE = 7
TICK = timedelta(hours=1)
MAX_RUNS_PER_WAKEUP = 3
# Ends the loop even if something never settles; a healthy round is done a day after its end.
GRACE = timedelta(days=14)

# Outbox kinds and the timeline kinds they become.
POST_EVENTS: dict[str, str] = {
    "announcement": "applications_announced",
    "intro": "intro_posted",
    "topic": "topic_posted",
    "cohort_thread": "cohort_thread_opened",
    "end_reminder": "end_reminder_posted",
    "closing": "closing_posted",
    "nudge": "nudge_posted",
    "escalation": "coordinator_alerted",
    "checkin_alert": "coordinator_alerted",
    "partner_left": "coordinator_alerted",
    "away_noted": "away_noted",
    "welcome_back": "welcome_back_posted",
    "availability_ask": "availability_asked",
    "checkin_prompt": "checkin_sent",
    "checkin_dm": "checkin_dm_sent",
}
_MENTION = re.compile(r"<@(\d+)>")
_ROLE_MENTION = re.compile(r"<@&\d+>")
_ONLY_MENTIONS = re.compile(r"^(?:<@\d+>|,|and|\s)+$")


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
    kept_open: int = 0
    archived: int = 0
    wakeups: int = 0


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


async def simulate(given: SimulationInput) -> SimulationResult:
    """Run a whole round; raises :class:`SimulationInputError` for input to fix."""
    history = _parse_history(given.history_csv)
    with _database(given.db_path) as path:
        store = await Store.open(path)
        try:
            return await Simulation(given, store, history).run()
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


class ContactWakeups:
    """When the contact rules could next want something, so the clock need not stop every
    hour of a four-month round.

    After each wake-up the rules' own dry run (``ContactPlanner.scan_quiet``) says where
    each pair stands; this turns that into the earliest instant it could change, always
    erring early: a pair in touch cannot need a nudge before its quietest member's last
    message plus ``quiet_after_days`` (the rules only count from later anchors); one waiting
    for daytime gets its window; one within the nudge gap waits for the gap; an escalated
    one waits for contact, so for its partners' next scripted message; an away one waits
    for the end of the time away. Whatever is not clear is asked again on the next hour.
    """

    def __init__(self, config: Config) -> None:
        self._quiet_after = timedelta(days=config.nudges.quiet_after_days)
        self._gap = timedelta(days=config.nudges.nudge_min_gap_days)
        self._members: dict[int, tuple[int, ...]] = {}
        self._last_message: dict[tuple[int, int], datetime] = {}
        self._upcoming: dict[int, list[datetime]] = defaultdict(list)
        self._last_nudge: dict[int, datetime] = {}
        self._away_ends: list[datetime] = []
        self._start = datetime.min.replace(tzinfo=UTC)
        self._hints: list[datetime | None] = []

    def started(self, partnerships: list[Partnership], round_start: datetime) -> None:
        self._members = {p.id: p.member_ids for p in partnerships}
        self._start = round_start

    def will_write(self, messages: list[Message]) -> None:
        for message in messages:
            self._upcoming[message.partnership_id].append(message.at)
        for times in self._upcoming.values():
            times.sort()

    def wrote(self, partnership_id: int, member_id: int, at: datetime) -> None:
        self._last_message[(partnership_id, member_id)] = at

    def nudged(self, partnership_id: int, at: datetime) -> None:
        self._last_nudge[partnership_id] = at

    def away_until(self, ends_at: datetime) -> None:
        self._away_ends.append(ends_at)

    def decided(self, decisions: dict[int, Decision], now: datetime) -> None:
        self._hints = [self._hint(pid, decision, now) for pid, decision in decisions.items()]

    def next_wakeup(self, now: datetime, next_hour: datetime) -> datetime:
        hints = [next_hour if hint is None or hint <= now else hint for hint in self._hints]
        return min(hints, default=next_hour)

    def _hint(self, pid: int, decision: Decision, now: datetime) -> datetime | None:
        """The earliest change for one pair; None for "ask again next hour"."""
        if isinstance(decision, WaitForWindow):
            return decision.next_at
        if not isinstance(decision, NoAction):
            return None
        if decision.reason == "in_touch":
            return self._quietest(pid) + self._quiet_after
        if decision.reason == "nudge_gap" and pid in self._last_nudge:
            return self._last_nudge[pid] + self._gap
        if decision.reason == "already_escalated":
            upcoming = (at for at in self._upcoming[pid] if at > now)
            return next(upcoming, datetime.max.replace(tzinfo=UTC))
        if decision.reason == "away":
            return min((end for end in self._away_ends if end > now), default=None)
        return None

    def _quietest(self, pid: int) -> datetime:
        return (
            min(
                self._last_message.get((pid, member), self._start)
                for member in self._members.get(pid, ())
            )
            if self._members.get(pid)
            else self._start
        )


class Simulation:
    def __init__(self, given: SimulationInput, store: Store, history: list[PastPartnership]):
        self._given = given
        self._store = store
        self._history = history
        first_wakeup = datetime.combine(given.start, time(9), tzinfo=UTC)
        self.clock = ManualClock(first_wakeup - timedelta(days=OPEN_DAYS_BEFORE))
        self.timeline = Timeline(self.clock)
        self.summary = Summary()
        self._names: dict[int, str] = {}
        self._messages: list[tuple[datetime, int, Message]] = []
        self._actions: list[tuple[datetime, int, Action]] = []
        self._calendar: list[datetime] = []
        self._order = itertools.count()
        self._script: PartnerScript | None = None
        self._round: Round | None = None
        self._port: RecordingDiscord | None = None
        self._program: Program | None = None
        self._contact = ContactWakeups(given.config)
        self._deliveries = 0

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
        actions = self._script.initial_actions(self.clock.now())
        for action in actions:
            self._schedule(action)
        self._contact.will_write([a for a in actions if isinstance(a, Message)])
        await self._wake()
        self._calendar = sorted(await self._calendar_instants(), reverse=True)
        self._contact.started(
            await self._store.partnerships.for_round(round_.id),
            datetime.combine(round_.starts_on, time(0), UTC),
        )

    async def _until_closed(self) -> None:
        round_ = self._require_round()
        give_up = datetime.combine(round_.ends_on, time(0), UTC) + GRACE
        while not await self._finished():
            moment = await self._next_instant()
            if moment > give_up:
                self.timeline.add("gave_up", "the round did not close within two weeks")
                break
            self.clock.set(moment)
            await self._wake()
        self.timeline.add(
            "round_closed",
            f"{self.summary.kept_open} spaces kept open, {self.summary.archived} archived",
        )

    async def _wake(self) -> None:
        """Partners act, then the bot runs; again at once while it posted something, since
        some steps follow a post (a space closes once its closing message is out)."""
        await self._act_until(self.clock.now())
        program = self._require_program()
        for _ in range(MAX_RUNS_PER_WAKEUP):
            before = self._deliveries
            await program.run_due()
            if self._deliveries == before:
                break
        self.summary.wakeups += 1
        self._contact.decided(await program.contact_planner.scan_quiet(), self.clock.now())

    async def _finished(self) -> bool:
        round_ = await self._store.rounds.get(self._require_round().id)
        if round_ is None or round_.state is not RoundState.ENDED:
            return False
        live = await self._store.partnerships.for_round(round_.id, ["confirmed", "active"])
        return not live and await self._store.outbox.next_due_at() is None

    # The clock ------------------------------------------------------------------------------

    async def _next_instant(self) -> datetime:
        now = self.clock.now()
        hour = now.replace(minute=0, second=0, microsecond=0)
        candidates = [self._contact.next_wakeup(now, hour + TICK)]
        due = await self._store.outbox.next_due_at()
        if due is not None:
            candidates.append(max(due, now))
        while self._calendar and self._calendar[-1] <= now:
            self._calendar.pop()
        if self._calendar:
            candidates.append(self._calendar[-1])
        if self._actions:
            candidates.append(self._actions[0][0])
        return max(min(candidates), now)

    async def _calendar_instants(self) -> set[datetime]:
        """When the round's scheduled posts fall due, per partnership: only for waking up
        on time; the planners alone decide what is posted."""
        round_ = self._require_round()
        schedule = self._given.config.round
        days = {t.due_on for t in await self._store.topics.for_round(round_.id)}
        days |= set(availability_dates(round_.starts_on, round_.ends_on, schedule))
        days |= set(checkin_dates(round_.starts_on, round_.ends_on, schedule))
        days |= {end_reminder_date(round_.starts_on, round_.ends_on, schedule), round_.ends_on}
        people = await self._store.people.applications(round_.id)
        zones = {a.discord_id: a.timezone for a in people}
        instants = set()
        for partnership in await self._store.partnerships.for_round(round_.id):
            member_zones = [zones.get(m, "UTC") for m in partnership.member_ids]
            instants |= {post_instant(d, schedule.post_hour, member_zones) for d in days}
        return instants

    # Partners -------------------------------------------------------------------------------

    def _schedule(self, action: Action) -> None:
        if isinstance(action, Message):
            heapq.heappush(self._messages, (action.at, next(self._order), action))
        else:
            heapq.heappush(self._actions, (action.at, next(self._order), action))

    async def _act_until(self, moment: datetime) -> None:
        while True:
            head = min(
                (queue[0] for queue in (self._messages, self._actions) if queue),
                default=None,
                key=lambda entry: (entry[0], entry[1]),
            )
            if head is None or head[0] > moment:
                return
            if isinstance(head[2], Message):
                heapq.heappop(self._messages)
            else:
                heapq.heappop(self._actions)
            await self._perform(head[2])

    async def _perform(self, action: Action) -> None:
        program = self._require_program()
        match action:
            case Message(at=at, partnership_id=pid, member_id=member):
                await self._message(pid, member, at)
            case DeclareAway(member_id=member, first_day=first, last_day=last, note=note):
                period = await program.away.add(member, first, last, note)
                self._contact.away_until(period.ends_at)
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

    async def _message(self, partnership_id: int, member_id: int, at: datetime) -> None:
        partnership = await self._store.partnerships.get(partnership_id)
        if partnership is None or partnership.state != "active" or not partnership.channel_id:
            return
        port = self._require_port()
        message_id = port.post_as_member(partnership.channel_id, member_id, at)
        await self._require_program().contact_log.record_message(
            partnership.channel_id, member_id, message_id, at
        )
        self.summary.partner_messages += 1
        self._contact.wrote(partnership_id, member_id, at)

    # What the bot did -----------------------------------------------------------------------

    def _connect(self) -> Program:
        port = RecordingDiscord(
            self.clock, self._on_port_event, guild_id=self._given.config.discord.guild_id
        )
        program = Program(self._given.config, self._store, self.clock, port, ProgramContent.load())
        program.dispatcher.on_delivered(self._delivered)
        self._port, self._program = port, program
        return program

    def _on_port_event(self, event: TimelineEvent) -> None:
        if event.kind == "space_kept_open":
            self.summary.kept_open += 1
        elif event.kind == "space_archived":
            self.summary.archived += 1
        self.timeline.record(replace(event, detail=self._readable(event.detail)))

    async def _delivered(self, item: OutboxItem, message_id: int) -> None:
        kind = POST_EVENTS.get(item.kind, f"{item.kind}_posted")
        self._deliveries += 1
        self.summary.posts[kind] += 1
        if item.kind == "nudge":
            self._contact.nudged(int(item.payload["partnership_id"]), self.clock.now())
            self.summary.nudges[str(item.payload.get("kind"))] += 1
        if kind == "coordinator_alerted":
            self.summary.alerts[item.kind] += 1
        self.timeline.add(kind, self._describe(item, message_id), item.partnership_id)
        if self._script is not None:
            sequence = item.payload.get("sequence")
            for action in self._script.react(
                item.kind,
                item.partnership_id,
                None if sequence is None else int(sequence),
                self.clock.now(),
            ):
                self._schedule(action)

    def _describe(self, item: OutboxItem, message_id: int) -> str:
        message = self._require_port().message(message_id)
        post = message.post
        if item.kind in ("topic", "cohort_thread") and post.embeds:
            return str(post.embeds[0].get("title", ""))
        if item.kind == "nudge":
            recipients = ", ".join(self._name(int(m)) for m in item.payload["recipients"])
            return f"{item.payload['kind']} nudge to {recipients} after {item.payload['days']} days"
        lines = post.content.splitlines()
        if len(lines) > 1 and _ONLY_MENTIONS.match(lines[0]):
            lines = lines[1:]  # "<@1> and <@2>" above the text itself
        text = self._readable("\n".join(lines))
        if item.target.get("to") == "dm":
            place = (
                "direct message"
                if message.channel_id != item.target.get("fallback_channel_id")
                else "in the space, DMs closed"
            )
            text = f"({place}) {text}"
        return text[:117] + "..." if len(text) > 120 else text

    def _readable(self, text: str) -> str:
        """One line, with names for mentions."""
        text = _ROLE_MENTION.sub("@waitlist", text)
        text = _MENTION.sub(lambda found: self._name(int(found[1])), text)
        return " ".join(text.split())

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
