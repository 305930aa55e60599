"""A synthetic running round of any size, written into a real store: for report tests and
``bench/report.py``. Bulk inserts where the repositories insert one row at a time, so
1,000 partnerships take a second or two to set up."""

from __future__ import annotations

import io
import random
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from PIL import Image

from bot.domain.applications import Application, CareerStage, Sector
from bot.store import Store
from bot.store.models import Round, RoundState, utc_text

START = date(2027, 3, 1)
ZONES = (
    "Europe/London",
    "Australia/Sydney",
    "America/New_York",
    "Asia/Kolkata",
    "Africa/Lagos",
    "America/Sao_Paulo",
    "Asia/Tokyo",
    "Pacific/Auckland",
)
COUNTRIES = ("GB", "AU", "US", "IN", "NG", "BR", "JP", "NZ")
HOSTILE = (
    '=HYPERLINK("http://evil.example","Click")',
    "+1+1",
    "@SUM(A1:A9)",
    "-2",
    "\tTabbed",
    "\rReturned",
    " =1+1",
    "$\\frac{1}{0}$ math",
)


def report_moment(weeks: int) -> datetime:
    """``weeks`` weeks into the synthetic round, at noon UTC."""
    return datetime.combine(START + timedelta(weeks=weeks), time(12), tzinfo=UTC)


async def synthetic_round(
    store: Store,
    pairs: int,
    *,
    weeks: int = 10,
    seed: int = 1,
    hostile: bool = False,
    name: str = "2027A",
) -> Round:
    """A running round ``weeks`` weeks old with ``pairs`` active partnerships (a few whose
    member left), contact, check-ins, nudges, feedback and audit entries."""
    rng = random.Random(seed)
    created = datetime.combine(START - timedelta(days=7), time(9), tzinfo=UTC)
    now = report_moment(weeks)
    round_ = await store.rounds.create(name, START, date(2027, 7, 1), created)
    for old, new in (
        (RoundState.DRAFT, RoundState.APPLICATIONS_OPEN),
        (RoundState.APPLICATIONS_OPEN, RoundState.APPLICATIONS_CLOSED),
        (RoundState.APPLICATIONS_CLOSED, RoundState.RUNNING),
    ):
        await store.rounds.set_state(round_.id, old, new, created)
    people = [_application(n, rng, hostile) for n in range(2 * pairs)]
    await store.people.save_applications(round_.id, people, created)
    sectors = list(Sector)
    rows = []
    for n in range(pairs):
        a, b = people[2 * n], people[2 * n + 1]
        pair_name = f"{a.name.split()[0]}-and-{b.name.split()[0]}-{n}"
        if hostile and n < len(HOSTILE):
            pair_name = HOSTILE[n]
        rows.append((n, a.discord_id, b.discord_id, pair_name))
    async with store.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO partnerships (id, round_id, name, state, score, reasons, channel_id,"
            " created_at) VALUES (?, ?, ?, 'active', ?, '[]', ?, ?)",
            [
                (n + 1, round_.id, pair_name, rng.uniform(2, 14), 90_000 + n, utc_text(created))
                for n, _, _, pair_name in rows
            ],
        )
        await tx.executemany(
            "INSERT INTO partnership_members (partnership_id, participant_id) VALUES (?, ?)",
            [(n + 1, member) for n, a, b, _ in rows for member in (a, b)],
        )
        # Every 25th pair lost a member after a few weeks.
        for n, a, _, _ in rows[::25]:
            left = utc_text(now - timedelta(days=rng.randint(7, 40)))
            await tx.execute(
                "UPDATE partnership_members SET left_at = ? WHERE partnership_id = ?"
                " AND participant_id = ?",
                (left, n + 1, a),
            )
            await tx.execute("UPDATE partnerships SET state = 'member_left' WHERE id = ?", (n + 1,))
        contact = []
        message = 1
        for n, a, b, _ in rows:
            keen = rng.random()
            for day in range(weeks * 7):
                if rng.random() < keen * 0.5:
                    at = datetime.combine(START + timedelta(days=day), time(10), tzinfo=UTC)
                    for member in (a, b)[: rng.randint(1, 2)]:
                        at += timedelta(minutes=rng.randint(1, 300))
                        contact.append((n + 1, member, utc_text(at), message))
                        message += 1
        await tx.executemany(
            "INSERT INTO contact_events (partnership_id, participant_id, at, source, message_id)"
            " VALUES (?, ?, ?, 'message', ?)",
            contact,
        )
        checkins = []
        for n, a, b, _ in rows:
            for sequence in range(1, weeks // 4 + 1):
                asked = datetime.combine(START + timedelta(weeks=4 * sequence), time(9), tzinfo=UTC)
                for member in (a, b):
                    answered = rng.random() < 0.8
                    rating = rng.choice(("great", "great", "ok", "not_working"))
                    comment = HOSTILE[sequence % len(HOSTILE)] if hostile else None
                    checkins.append(
                        (
                            n + 1,
                            member,
                            sequence,
                            utc_text(asked),
                            utc_text(asked + timedelta(hours=5)) if answered else None,
                            rating if answered else None,
                            comment if answered else None,
                        )
                    )
        await tx.executemany(
            "INSERT INTO checkins (partnership_id, participant_id, sequence, asked_at,"
            " answered_at, rating, comment) VALUES (?, ?, ?, ?, ?, ?, ?)",
            checkins,
        )
        nudges = []
        for n, _, _, _ in rows:
            if rng.random() < 0.3:
                day = rng.randint(14, weeks * 7 - 1)
                at = datetime.combine(START + timedelta(days=day), time(9), tzinfo=UTC)
                nudges.append((n + 1, rng.choice(("quiet", "one_sided")), utc_text(at), f"n{n}a"))
                if rng.random() < 0.4:
                    later = at + timedelta(days=8)
                    nudges.append((n + 1, "escalation", utc_text(later), f"n{n}e"))
        await tx.executemany(
            "INSERT INTO nudges (partnership_id, kind, at, outbox_key) VALUES (?, ?, ?, ?)",
            nudges,
        )
        feedback = [
            (
                n + 1,
                member,
                rng.randint(1, 5),
                HOSTILE[n % len(HOSTILE)] if hostile else "Lovely to meet someone new.",
                utc_text(now - timedelta(days=1)),
            )
            for n, a, b, _ in rows
            for member in (a, b)
            if rng.random() < 0.5
        ]
        await tx.executemany(
            "INSERT INTO feedback (partnership_id, participant_id, rating, comment, at)"
            " VALUES (?, ?, ?, ?, ?)",
            feedback,
        )
    for number in range(3):
        await store.coordination.audit(
            1, "topic.move", {"topic": sectors[number].value}, created + timedelta(hours=number)
        )
    refreshed = await store.rounds.get(round_.id)
    assert refreshed is not None
    return refreshed


def _application(n: int, rng: random.Random, hostile: bool) -> Application:
    place = n % len(ZONES)
    name = f"Person{n:04d} Example"
    if hostile and n < len(HOSTILE):
        name = HOSTILE[n]
    return Application(
        discord_id=10_000 + n,
        name=name,
        email=f"person{n}@example.org",
        institution=HOSTILE[(n + 3) % len(HOSTILE)] if hostile else "Example Library",
        sector=rng.choice(list(Sector)),
        country=COUNTRIES[place],
        timezone=ZONES[place],
        career_stage=rng.choice(list(CareerStage)),
        languages=("en",),
        interests=("open access", "outreach"),
        hopes=HOSTILE[n % len(HOSTILE)] if hostile else "To learn how others work.",
        partner_sectors=frozenset(rng.sample(list(Sector), rng.randint(0, 2))),
        partner_career_stages=frozenset(rng.sample(list(CareerStage), rng.randint(0, 2))),
        partner_countries=frozenset(),
    )


def assert_drawn(png: bytes, *, min_width: int = 800, min_height: int = 400) -> None:
    """A real PNG of a readable size with something drawn on it (not one flat colour)."""
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.width >= min_width and image.height >= min_height, image.size
    grey = np.asarray(image.convert("L"))
    assert np.unique(grey).size > 10, "the image is (nearly) one flat colour"
    assert (grey < 128).mean() > 0.002, "no dark ink: titles and labels are missing"
