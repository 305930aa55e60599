"""A crash at every step: the bot dies (no graceful shutdown) after each database write and
after each Discord answer of opening the spaces, posting a topic and closing the round; it
is restarted, the coordinator repeats what they were doing, and the server must then hold
exactly what a run without a crash leaves: every channel, post and permission once.

The figure is printed: ``crash_points=N survived=N lost=0 doubled=0``.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest

from bot.client import ILNBot
from bot.clock import ManualClock
from bot.services.errors import UserFacingError
from bot.store import db as store_db
from tests.e2e.harness import Iln
from tests.e2e.people import confirmed_round, crowd
from tests.emulator.state import discord_time
from tests.helpers import START

Phase = Callable[[Iln], Awaitable[None]]
IDS = re.compile(r"(\d{15,20})")
Snapshot = Counter[tuple[Any, ...]]


class Crash(BaseException):
    """The process dies here; a BaseException, so no ``except Exception`` catches it."""


class Injector:
    """Counts database writes and Discord answers, and crashes at the chosen one (the one
    of the world being run: see :data:`CURRENT`)."""

    def __init__(self) -> None:
        self.armed = False
        self.target: tuple[str, int] | None = None
        self.counts: Counter[str] = Counter()

    def arm(self, target: tuple[str, int] | None) -> None:
        self.armed, self.target, self.counts = True, target, Counter()

    def disarm(self) -> None:
        self.armed = False

    def happened(self, kind: str) -> None:
        if not self.armed:
            return
        self.counts[kind] += 1
        if self.target == (kind, self.counts[kind]):
            self.armed = False
            raise Crash(f"after {kind} {self.counts[kind]}")

    def trace(self, bot: ILNBot) -> None:
        """Count every answer Discord gives this bot (so a crash follows a request that
        Discord carried out, before the bot could record it)."""

        async def answered(session: object, context: object, params: Any) -> None:
            if params.response.status < 300:
                self.happened("discord")

        trace = bot.http.http_trace
        assert isinstance(trace, aiohttp.TraceConfig)
        trace.on_request_end.append(answered)


CURRENT: list[Injector] = [Injector()]


@contextlib.contextmanager
def counting_writes() -> Any:
    """Every committed write of the store reports to the current injector, after it
    committed."""
    database = store_db.Database
    write, returning, transaction = database.write, database.write_returning, database.transaction

    async def counted_write(self: Any, *args: Any) -> Any:
        result = await write(self, *args)
        CURRENT[0].happened("db")
        return result

    async def counted_returning(self: Any, *args: Any) -> Any:
        result = await returning(self, *args)
        CURRENT[0].happened("db")
        return result

    @contextlib.asynccontextmanager
    async def counted_transaction(self: Any) -> AsyncIterator[Any]:
        async with transaction(self) as tx:
            yield tx
        CURRENT[0].happened("db")

    database.write = counted_write  # type: ignore[method-assign]
    database.write_returning = counted_returning  # type: ignore[method-assign]
    database.transaction = counted_transaction  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        database.write, database.write_returning = write, returning  # type: ignore[method-assign]
        database.transaction = transaction  # type: ignore[method-assign]


async def _again(action: Awaitable[object]) -> None:
    """A coordinator repeats a command: "already done" is fine."""
    with contextlib.suppress(UserFacingError):
        await action


async def open_spaces(iln: Iln) -> None:
    await _again(iln.program.rounds.start(0))
    await iln.run_due()


async def post_a_topic(iln: Iln) -> None:
    topics = await iln.program.store.topics.for_round(1)
    second = next(t for t in topics if t.position == 2)
    when = datetime.combine(second.due_on, datetime.min.time(), iln.clock.now().tzinfo)
    iln.clock.set(max(iln.clock.now(), when + timedelta(hours=12)))
    await iln.run_due()


async def close_the_round(iln: Iln) -> None:
    await _again(iln.program.rounds.end(0))
    await iln.run_due()


PHASES: list[tuple[str, Phase]] = [
    ("open the spaces", open_spaces),
    ("post a topic", post_a_topic),
    ("close the round", close_the_round),
]


def snapshot(iln: Iln) -> Snapshot:
    """What people can see on the server, without ids or times: channels, their
    permissions, and the bot's posts (a post that is there twice counts twice)."""
    driver = iln.driver
    guild = driver.guild
    names = {member.id: member.name for member in guild.members.values()}
    names |= {role.id: f"@{role.name}" for role in guild.roles.values()}
    seen: Snapshot = Counter()
    channels = {c.id: c for c in driver.channels()}
    names |= {channel_id: f"#{channel.name}" for channel_id, channel in channels.items()}

    def readable(text: str) -> str:
        """Ids differ from one server to the next: name what they point at."""
        return IDS.sub(lambda found: str(names.get(int(found[1]), "?")), text)

    for channel in driver.channels():
        parent = channels[channel.parent_id].name if channel.parent_id in channels else None
        seen[("channel", channel.type, channel.name, parent, channel.topic)] += 1
        for target, overwrite in channel.overwrites.items():
            who = names.get(target, target)
            seen[("overwrite", channel.name, who, overwrite.allow, overwrite.deny)] += 1
        for message in driver.messages(channel):
            if message.author.id == driver.bot.id:
                embeds = tuple(
                    readable(f"{e.get('title')}|{e.get('description')}") for e in message.embeds
                )
                content = readable(message.content)
                seen[("post", channel.name, content, embeds, message.pinned)] += 1
    for role in guild.roles.values():
        seen[("role", role.name)] += 1
    return seen


async def run_through(
    make_iln: Callable[..., Awaitable[Iln]], upto: int, crash_at: tuple[str, int] | None
) -> tuple[Snapshot, Counter[str], bool]:
    """The phases before ``upto`` cleanly, then phase ``upto`` with a crash armed; after a
    crash the bot restarts and the coordinator repeats the phase. Returns what the server
    holds, what was counted, and whether the crash happened."""
    injector = CURRENT[0] = Injector()
    clock = ManualClock(START)
    with discord_time(lambda: clock.now().timestamp()):
        iln = await make_iln(clock=clock)
        iln.on_new_bot = injector.trace
        await iln.start()
        await confirmed_round(iln, crowd(4))
        for _, phase in PHASES[:upto]:
            await phase(iln)
        _, phase = PHASES[upto]
        injector.arm(crash_at)
        crashed = False
        try:
            await phase(iln)
        except Crash:
            crashed = True
        injector.disarm()
        if crashed:
            await iln.crash()
            await iln.start()
            await phase(iln)
        seen = snapshot(iln)
        await iln.stop()
    return seen, injector.counts, crashed


async def test_a_crash_at_every_step_loses_nothing_and_doubles_nothing(
    make_iln: Callable[..., Awaitable[Iln]], capsys: pytest.CaptureFixture[str]
) -> None:
    points = survived = lost = doubled = 0
    failures: list[str] = []
    with counting_writes():
        for upto, (name, _) in enumerate(PHASES):
            reference, counts, _ = await run_through(make_iln, upto, None)
            for kind, total in sorted(counts.items()):
                for index in range(1, total + 1):
                    result, _, crashed = await run_through(make_iln, upto, (kind, index))
                    assert crashed, f"{name}: no crash after {kind} {index} of {total}"
                    points += 1
                    missing, extra = reference - result, result - reference
                    lost += sum(missing.values())
                    doubled += sum(extra.values())
                    if missing or extra:
                        failures.append(f"{name}, after {kind} {index}: -{missing} +{extra}")
                    else:
                        survived += 1
    with capsys.disabled():
        print(f"\ncrash_points={points} survived={survived} lost={lost} doubled={doubled}")
    assert points >= 30
    assert not failures, "\n".join(failures)
