"""Applicants for end-to-end tests, as members of the emulated server."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from tests.e2e.harness import Iln

HEADER = (
    "discord_id,name,email,institution,sector,country,timezone,career_stage,languages,"
    "interests,hopes,partner_sector,partner_career_stage,partner_country,returning_note"
)


@dataclass(frozen=True)
class Person:
    name: str
    sector: str
    country: str
    timezone: str
    stage: str
    wants_sector: str = "any"
    wants_stage: str = "any"
    languages: str = "en"
    interests: str = "open access;information literacy"


# Two complementary pairs: each public librarian asked for an academic one, and so on.
FOUR = (
    Person("Ada Okafor", "public", "NG", "Africa/Lagos", "early", "academic", "late"),
    Person("Bo Lindqvist", "academic", "SE", "Europe/Stockholm", "late", "public", "early"),
    Person("Chen Wei", "school", "SG", "Asia/Singapore", "mid", "special", "any"),
    Person("Dara Kelly", "special", "IE", "Europe/Dublin", "mid", "school", "any"),
)


async def join(iln: Iln, people: tuple[Person, ...] = FOUR) -> dict[str, Any]:
    """Each person joins the server; returns members by first name."""
    members = {}
    for person in people:
        members[person.name.split()[0]] = await iln.driver.add_member(person.name)
    return members


def applications_csv(people: tuple[Person, ...], members: dict[str, Any]) -> bytes:
    buffer = io.StringIO()
    buffer.write(HEADER + "\n")
    writer = csv.writer(buffer, lineterminator="\n")
    for person in people:
        member = members[person.name.split()[0]]
        writer.writerow(
            [
                member.id,
                person.name,
                "",
                "Example Library",
                person.sector,
                person.country,
                person.timezone,
                person.stage,
                person.languages,
                person.interests,
                "To learn how other libraries work.",
                person.wants_sector,
                person.wants_stage,
                "any",
                "",
            ]
        )
    return buffer.getvalue().encode()


_PLACES = (
    ("NG", "Africa/Lagos"),
    ("SE", "Europe/Stockholm"),
    ("SG", "Asia/Singapore"),
    ("IE", "Europe/Dublin"),
    ("BR", "America/Sao_Paulo"),
    ("AU", "Australia/Sydney"),
)


def crowd(count: int) -> tuple[Person, ...]:
    """``count`` applicants in six countries, all with English in common."""
    return tuple(
        Person(
            f"Person{index:03d} Example",
            ("public", "academic")[index % 2],
            *_PLACES[index % len(_PLACES)],
            ("early", "late")[index % 2],
        )
        for index in range(count)
    )


async def proposed_round(iln: Iln, people: tuple[Person, ...]) -> dict[str, Any]:
    """``people`` on the server and applied to round 2027A, whose proposal is made but not
    confirmed, set up through services (the commands are exercised in test_round.py)."""
    from datetime import date

    members = await join(iln, people)
    program = iln.program
    await program.rounds.create("2027A", date(2027, 3, 1), None, 0)
    await program.rounds.open_applications(0)
    await program.matching.import_csv(applications_csv(people, members).decode(), 0)
    await program.rounds.close_applications(0)
    await program.matching.run(0)
    return members


async def confirmed_round(iln: Iln, people: tuple[Person, ...]) -> tuple[Any, dict[str, Any]]:
    """A round whose partnerships are confirmed but not started."""
    members = await proposed_round(iln, people)
    await iln.program.matching.confirm(0)
    return await iln.coordinator(), members
