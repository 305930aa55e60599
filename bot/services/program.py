"""The program's services wired together, and the one idempotent run the scheduler wakes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bot.clock import Clock
from bot.config import Config
from bot.content import Messages, TopicBank, default_data_dir, load_messages, load_topics
from bot.services import contact_posts, lifecycle_posts
from bot.services.availability import AwayService
from bot.services.checkins import CheckinService
from bot.services.closing import ClosingService
from bot.services.contact import ContactLog, ContactPlanner, Departures, HealthReport
from bot.services.errors import UserFacingError
from bot.services.lifecycle import LifecyclePlanner
from bot.services.matching import MatchingService
from bot.services.outbox import Dispatcher
from bot.services.ports import DiscordPort
from bot.services.render import RenderContext, TemplateRenderer
from bot.services.rounds import RoundService
from bot.services.spaces import SpaceService
from bot.services.topics import TopicService
from bot.store import NewPost, Store
from bot.store.models import OutboxItem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProgramContent:
    messages: Messages
    topics: TopicBank

    @classmethod
    def load(cls, data_dir: Path | None = None) -> ProgramContent:
        folder = data_dir or default_data_dir()
        return cls(load_messages(folder / "messages.toml"), load_topics(folder / "topics"))


class Program:
    def __init__(
        self,
        config: Config,
        store: Store,
        clock: Clock,
        port: DiscordPort,
        content: ProgramContent,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.port = port
        self.content = content
        self.rounds = RoundService(store, clock, config.round, content.topics)
        self.matching = MatchingService(store, clock, self.rounds, config.matching)
        self.spaces = SpaceService(store, clock, port, config.discord.space_mode)
        self.lifecycle = LifecyclePlanner(store, clock, port, self.spaces, config.round)
        self.closing = ClosingService(store, clock)
        self.topics = TopicService(store, clock, self.rounds, self.lifecycle)
        self.contact_log = ContactLog(store, clock, config, port)
        self.contact_planner = ContactPlanner(store, clock, config, self.contact_log)
        self.pair_health = HealthReport(store, clock, config, self.contact_log)
        self.departures = Departures(store, clock, self.contact_log)
        self.away = AwayService(store, clock, config)
        self.checkins = CheckinService(store, clock, config)
        context = RenderContext(store, clock, content.messages, port, config.round)
        renderer = TemplateRenderer(context, lifecycle_posts.TEMPLATES, contact_posts.TEMPLATES)
        self.dispatcher = Dispatcher(store, clock, port, renderer)
        self.dispatcher.on_delivered(self._after_delivery)

    async def run_due(self) -> None:
        """Plan everything that has fallen due and deliver it. Safe to call at any time,
        as often as wanted: what was done is in the store and is not done again."""
        await self.lifecycle.plan()
        await self.contact_planner.plan()
        await self.dispatcher.deliver_due()

    async def waitlist(self, user_id: int, on: bool) -> bool:
        """Join or leave the waitlist for the next round; False when nothing changed."""
        if not await self.port.set_waitlist_role(user_id, on):
            raise UserFacingError("I could not find you on the server; please try again.")
        if on:
            return await self.store.people.join_waitlist(user_id, self.clock.now())
        return await self.store.people.leave_waitlist(user_id)

    async def report_missing_permissions(self, missing: list[str]) -> None:
        """Say once, in the log and the coordinators' channel, what the bot cannot do."""
        if not missing:
            return
        for problem in missing:
            log.error("missing permission: %s", problem)
        now = self.clock.now()
        await self.store.outbox.enqueue(
            [
                NewPost(
                    key="setup:missing_permissions:" + ",".join(sorted(missing)),
                    kind="coordinator_alert",
                    target={"to": "coordinators"},
                    payload={"template": "missing_permissions", "problems": missing},
                    due_at=now,
                )
            ],
            now,
        )

    async def _after_delivery(self, item: OutboxItem, message_id: int) -> None:
        if item.kind in ("topic", "cohort_thread"):
            await self.store.topics.mark_posted(int(item.payload["topic_id"]), self.clock.now())
