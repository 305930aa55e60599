"""Coordinators close the loop: cases, rematches, partners writing to coordinators, and
applicants left without a partner, through the real client against the emulator."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.e2e.harness import Iln
from tests.e2e.people import FOUR, Person, applications_csv, join

# Eve is the odd one out: she wants what Ada wants (Bo), but Ada and Bo share interests and
# every working hour, so the matcher pairs them and leaves Eve without a partner.
EVE = Person(
    "Eve Mwangi", "public", "KE", "Africa/Nairobi", "early", "academic", "late",
    interests="cataloguing",
)  # fmt: skip
FIVE = (*FOUR, EVE)


async def reply(iln: Iln, who: Any, slash: str, channel: Any = None, **options: Any) -> Any:
    result = await iln.driver.invoke_slash(who, slash, options, channel=channel)
    return await result.message(timeout=5)


def coordinators(iln: Iln) -> Any:
    return iln.driver.channel("iln-coordinators")


def bot_messages(iln: Iln, channel: Any) -> list[Any]:
    return [m for m in iln.driver.messages(channel) if m.author.id == iln.driver.bot.id]


def cards(iln: Iln) -> list[Any]:
    return [m for m in bot_messages(iln, coordinators(iln)) if m.embeds]


def thread_of(iln: Iln, card: Any) -> Any:
    [thread] = [t for t in iln.driver.threads(coordinators(iln)) if t.id == card.id]
    return thread


def case_posts(iln: Iln) -> list[Any]:
    """The bot's follow-ups in every case thread, oldest first."""
    return [
        m for t in iln.driver.threads(coordinators(iln)) for m in bot_messages(iln, t)
    ]


def labels(message: Any) -> list[str]:
    return [c["label"] for row in message.components for c in row["components"]]


def button(message: Any, label: str) -> str:
    for row in message.components:
        for item in row["components"]:
            if item.get("label", "").startswith(label):
                return str(item["custom_id"])
    raise AssertionError(f"no button {label!r} in {labels(message)}")


async def matched_round(iln: Iln, people: tuple[Person, ...] = FIVE) -> tuple[Any, dict[str, Any]]:
    """A round matched and confirmed through the services, with what confirm queued done."""
    members = await join(iln, people)
    program = iln.program
    await program.rounds.create("2027A", date(2027, 3, 1), None, 0)
    await program.rounds.open_applications(0)
    await program.matching.import_csv(applications_csv(people, members).decode(), 0)
    await program.rounds.close_applications(0)
    await program.matching.run(0)
    await program.matching.confirm(0)
    await iln.run_due()
    return await iln.coordinator(), members


async def test_a_partner_leaves_and_a_coordinator_closes_the_loop(iln: Iln) -> None:
    driver = iln.driver
    cora, m = await matched_round(iln)
    [notice] = driver.dms(m["Eve"])
    assert labels(notice) == [
        "Keep me on the list for the next round",
        "I would join a trio",
        "Talk to a coordinator",
    ]
    pressed = await driver.click_button(m["Eve"], notice, button(notice, "I would join"))
    assert "join a trio" in (await pressed.message(timeout=5)).content
    await iln.program.rounds.start(0)
    await iln.run_due()
    old_space = driver.channel("ada-and-bo")

    await driver.remove_member(m["Ada"])
    await driver.wait_for(lambda: case_posts(iln), timeout=3)
    [card] = cards(iln)
    assert card.embeds[0]["title"] == "Case 1 · ada-and-bo"
    assert labels(card) == ["Take it", "Mark handled", "Open the pair"]
    fields = {f["name"]: f["value"] for f in card.embeds[0]["fields"]}
    assert f"<@{m['Bo'].id}> Bo Lindqvist" in fields["Partners"]
    assert f"/channels/{driver.guild.id}/{old_space.id}" in fields["Partnership"]
    assert "no contact yet" in fields["Contact"]
    thread = thread_of(iln, card)
    [left] = bot_messages(iln, thread)
    assert "**Ada Okafor** has left the server" in left.content

    # A repeat (Bo writes to the coordinators): the same case, no second card.
    asked = await driver.invoke_slash(m["Bo"], "ask-coordinators", channel=old_space)
    await asked.response(timeout=5)
    thanks = await driver.submit_modal(m["Bo"], asked, {"text": "Ada left; what now?"})
    assert (await thanks.message(timeout=5)).ephemeral
    await driver.wait_for(lambda: len(bot_messages(iln, thread)) == 2, timeout=3)
    assert len(cards(iln)) == 1 and len(bot_messages(iln, coordinators(iln))) == 1

    taken = await driver.click_button(cora, card, button(card, "Take it"))
    assert "You took case 1" in (await taken.message(timeout=5)).content
    await driver.wait_for(lambda: "Taken" in cards(iln)[0].embeds[0]["description"], timeout=3)
    assert f"<@{cora.id}>" in cards(iln)[0].embeds[0]["description"]

    proposals = await reply(iln, cora, "pair rematch", coordinators(iln), member=str(m["Bo"].id))
    assert proposals.ephemeral
    [first] = proposals.embeds[0]["fields"][:1]
    assert first["name"].startswith("1. Eve Mwangi (would join a trio)")
    paired = await driver.click_button(cora, proposals, button(proposals, "Pair with Eve"))
    assert "partners now" in (await paired.message(timeout=5)).content
    await driver.wait_for(lambda: driver.find_channel("bo-and-eve"), timeout=3)
    await iln.run_due()
    new_space = driver.channel("bo-and-eve")
    [intro] = driver.pins(new_space)
    assert {m["Bo"].id, m["Eve"].id} <= {u.id for u in intro.mentions}
    assert driver.can_view(m["Bo"], new_space) and driver.can_view(m["Eve"], new_space)
    assert not driver.can_view(m["Chen"], new_space)
    notice_old = [msg for msg in bot_messages(iln, old_space) if "ended this partnership" in msg.content]
    assert len(notice_old) == 1
    assert not driver.permissions(m["Bo"], old_space) & (1 << 11)  # archived: no sending
    partnerships = {p.name: p for p in await iln.program.store.partnerships.for_member(m["Bo"].id)}
    assert partnerships["ada-and-bo"].state == "ended"
    assert partnerships["bo-and-eve"].state == "active"

    handled = await driver.click_button(cora, card, button(card, "Mark handled"))
    await handled.response(timeout=5)
    done = await driver.submit_modal(cora, handled, {"note": "Bo is with Eve now."})
    assert "marked handled" in (await done.message(timeout=5)).content
    await driver.wait_for(lambda: "Handled" in cards(iln)[0].embeds[0]["description"], timeout=3)
    assert "Bo is with Eve now." in cards(iln)[0].embeds[0]["description"]
    assert len(cards(iln)) == 1 and len(bot_messages(iln, coordinators(iln))) == 1
    assert not driver.can_view(m["Dara"], thread) and not driver.can_view(m["Bo"], thread)

    actions = [(e.action, e.actor_id) for e in await iln.program.store.coordination.audit_log()]
    for action in ("case.take", "pair.rematch", "case.handle"):
        assert (action, cora.id) in actions
