"""The store: SQLite is the source of truth for the whole program."""

from __future__ import annotations

from pathlib import Path

from bot.store.activity import ActivityRepository
from bot.store.cases import CaseRepository
from bot.store.coordination import CoordinationRepository
from bot.store.db import Database
from bot.store.desks import DeskRepository
from bot.store.effects import Scheduled
from bot.store.events import EventRepository
from bot.store.outbox import OutboxRepository
from bot.store.partnerships import PartnershipRepository
from bot.store.people import PeopleRepository
from bot.store.privacy import PrivacyRepository
from bot.store.reports import ReportRepository
from bot.store.rounds import RoundRepository, TopicRepository

__all__ = ["Scheduled", "Store"]


class Store:
    """The database and one repository per area of the program."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.rounds = RoundRepository(db)
        self.topics = TopicRepository(db)
        self.people = PeopleRepository(db)
        self.partnerships = PartnershipRepository(db)
        self.activity = ActivityRepository(db)
        self.outbox = OutboxRepository(db)
        self.coordination = CoordinationRepository(db)
        self.reports = ReportRepository(db)
        self.events = EventRepository(db)
        self.desks = DeskRepository(db)
        self.cases = CaseRepository(db)
        self.privacy = PrivacyRepository(db)

    @classmethod
    async def open(cls, path: Path | str, *, migrate: bool = True, scratch: bool = False) -> Store:
        db = await Database.open(path, scratch=scratch)
        if migrate:
            await db.migrate()
        return cls(db)

    async def close(self) -> None:
        await self.db.close()
