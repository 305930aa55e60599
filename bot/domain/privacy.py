"""People own their data: how long the program keeps it, and what an erasure leaves behind.

Pure rules, no database and no clock: the ``[privacy]`` settings and the dates they give,
the keyed hashes that stand in for an erased person where the program must still
remember something (that two people are never to be paired again), and the redaction of
a person from text that names them.

Keyed hashes (*Decision*): every person is ``T(p) = HMAC-SHA256(key, "person:" + id)`` and
a pair the matcher must keep apart is stored as ``T(a) XOR T(b)``. That is a keyed hash
of the pair: symmetric, one value per pair, and without the key no value can be tied to a
person or to another value. It also lets the matcher test a round's ``n`` applicants
against ``r`` stored pairs in ``n * r`` steps, where hashing every candidate pair would
take ``n * n / 2`` HMACs (nine seconds for 2,000 applicants). An erasure's reference in
the audit log is a different keyed hash of the person (``"erasure:"``), so it cannot be
combined with the pairs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

DAY = timedelta(days=1)
PAST = timedelta(seconds=1)  # a row goes once its period is over, not on its last instant
ERASED = "[erased member]"
REFERENCE_LENGTH = 16  # hex characters of an erasure's reference


class PrivacyRules(BaseModel):
    """The ``[privacy]`` section: how long personal data is kept, and what an export holds.

    Each period counts from the end of the round the data belongs to (the day after its
    end date), once the round has ended: a round that runs late keeps its data until it
    is ended. Time away counts from the end of the person's last round (never while they
    are in one that has not ended), and a person's own case from when it was handled.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    contact_events_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="Who posted when in a space: long enough for the round's report.",
    )
    checkin_answers_days: int = Field(
        default=365,
        ge=1,
        le=3650,
        description="Check-in answers and end-of-round feedback: one year of comparisons.",
    )
    away_periods_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="Time away: only the round's nudges and escalations ever need it.",
    )
    cases_days: int = Field(
        default=365,
        ge=1,
        le=3650,
        description="Handled cases, their events and the coordinators' notes.",
    )
    unpartnered_applications_days: int = Field(
        default=365,
        ge=1,
        le=3650,
        description="Applications of people who had no partnership in that round.",
    )
    export_internal_notes: bool = Field(
        default=True,
        description=(
            "Include coordinators' own notes (pair notes, a case's handled note, pins and "
            "forbids, audit entries) in a person's export."
        ),
    )

    def periods(self) -> dict[str, int]:
        """Every period in days, by setting name (what the privacy notice shows)."""
        return {name: value for name, value in self.model_dump().items() if name.endswith("_days")}

    def cutoffs(self, now: datetime) -> dict[str, datetime]:
        """Per setting, the moment before which a row's period has run out at ``now``."""
        return {name: now - days * DAY for name, days in self.periods().items()}

    def runs_out(self, setting: str, moment: datetime) -> datetime:
        """When a period that counts from ``moment`` has run out: the first instant at
        which :meth:`cutoffs` is past it."""
        return moment + self.periods()[setting] * DAY + PAST


# Keyed hashes --------------------------------------------------------------------------------


def _mac(key: bytes, purpose: str, member_id: int) -> bytes:
    return hmac.digest(key, f"{purpose}:{member_id}".encode(), hashlib.sha256)


def person_token(key: bytes, member_id: int) -> int:
    return int.from_bytes(_mac(key, "person", member_id), "big")


def pair_token(key: bytes, first: int, second: int) -> str:
    """The stored form of "never pair these two again" (see the module's docstring)."""
    if first == second:
        raise ValueError("a pair has two different people")
    return f"{person_token(key, first) ^ person_token(key, second):064x}"


def erasure_reference(key: bytes, member_id: int) -> str:
    """How the audit log names an erasure: whoever holds the key and the person's id can
    show the request was honoured; nobody else can tell whose it was."""
    return _mac(key, "erasure", member_id).hex()[:REFERENCE_LENGTH]


def kept_apart(key: bytes, member_ids: Iterable[int], tokens: Iterable[str]) -> set[frozenset[int]]:
    """The pairs among ``member_ids`` that stored pair tokens say must never be made."""
    by_token = {person_token(key, member): member for member in set(member_ids)}
    found: set[frozenset[int]] = set()
    for token in tokens:
        value = int(token, 16)
        for mine, member in by_token.items():
            other = by_token.get(mine ^ value)
            if other is not None and other != member:
                found.add(frozenset((member, other)))
    return found


# Redaction ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Redaction:
    """What an erased person leaves in text others wrote (a case's events, coordinators'
    notes, the audit log): their mention and id, their names, and the names of their
    partnerships (replaced by the partnerships' new names)."""

    member_id: int
    names: tuple[str, ...] = ()
    renamed: Mapping[str, str] = field(default_factory=dict)

    def text(self, text: str) -> str:
        for old, new in self.renamed.items():
            text = re.sub(rf"(?<![\w-]){re.escape(old)}(?![\w-])", new, text)
        text = re.sub(rf"<@!?{self.member_id}>", ERASED, text)
        text = re.sub(rf"(?<!\d){self.member_id}(?!\d)", ERASED, text)
        for name in sorted(self.names, key=len, reverse=True):
            if name.strip():
                text = re.sub(
                    rf"(?<!\w){re.escape(name.strip())}(?!\w)", ERASED, text, flags=re.IGNORECASE
                )
        return text

    def value(self, value: Any) -> Any:
        """A decoded JSON value with the person taken out of every number and string."""
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return ERASED if value == self.member_id else value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        return value
