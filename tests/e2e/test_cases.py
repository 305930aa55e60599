"""Coordinators close the loop: cases, rematches, partners writing to coordinators, and
applicants left without a partner, through the real client against the emulator."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.e2e.harness import Iln
from tests.e2e.people import FOUR, Person, applications_csv, join, proposed_round

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
    return [m for t in iln.driver.threads(coordinators(iln)) for m in bot_messages(iln, t)]


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
    members = await proposed_round(iln, people)
    program = iln.program
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
    notice_old = [
        msg for msg in bot_messages(iln, old_space) if "ended this partnership" in msg.content
    ]
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


async def ask(iln: Iln, member: Any, text: str, channel: Any = None) -> Any:
    opened = await iln.driver.invoke_slash(member, "ask-coordinators", channel=channel)
    await opened.response(timeout=5)
    submitted = await iln.driver.submit_modal(member, opened, {"text": text})
    return await submitted.message(timeout=5)


async def case_reply(iln: Iln, coordinator: Any, thread: Any, text: str, **options: Any) -> Any:
    opened = await iln.driver.invoke_slash(coordinator, "case reply", options, channel=thread)
    await opened.response(timeout=5)
    submitted = await iln.driver.submit_modal(coordinator, opened, {"text": text})
    return await submitted.message(timeout=5)


async def test_a_partner_asks_and_the_coordinators_answer_privately(iln: Iln) -> None:
    driver = iln.driver
    cora, m = await matched_round(iln, FOUR)
    await iln.program.rounds.start(0)
    await iln.run_due()
    space = driver.channel("ada-and-bo")
    thanks = await ask(iln, m["Ada"], "Bo has not answered for weeks. Can you help?", space)
    assert thanks.ephemeral and "only they can read it" in thanks.content
    await driver.wait_for(lambda: case_posts(iln), timeout=3)
    [card] = cards(iln)
    thread = thread_of(iln, card)
    [asked] = bot_messages(iln, thread)
    assert "Bo has not answered for weeks" in asked.content
    assert not any("Bo has not answered" in str(msg.content) for msg in driver.messages(space))
    for member in m.values():
        assert not driver.can_view(member, coordinators(iln))
        assert not driver.can_view(member, thread)

    answered = await case_reply(iln, cora, thread, "Thanks Ada, I will write to Bo today.")
    assert answered.ephemeral and f"<@{m['Ada'].id}>" in answered.content
    await driver.wait_for(lambda: driver.dms(m["Ada"]), timeout=3)
    [dm] = driver.dms(m["Ada"])
    assert "I will write to Bo today." in dm.content and "`/ask-coordinators`" in dm.content
    assert driver.dms(m["Bo"]) == []
    assert not any("write to Bo today" in str(msg.content) for msg in driver.messages(space))
    await driver.wait_for(lambda: len(bot_messages(iln, thread)) == 2, timeout=3)
    record = bot_messages(iln, thread)[-1]
    assert f"<@{cora.id}> answered <@{m['Ada'].id}> privately" in record.content
    assert not driver.was_pinged(m["Ada"], record)
    [case] = await iln.program.store.cases.listed("open", cora.id)
    assert [e.kind for e in await iln.program.store.cases.events(case.id)] == ["message", "reply"]

    # Bo does not accept DMs: his answer waits in a private thread only he (and the bot) see,
    # made once though Discord answers its creation with a 500 after making it.
    await driver.set_dm_closed(m["Bo"])
    announcements = driver.channel("iln-announcements")
    private_route = f"/channels/{announcements.id}/threads"
    iln.emulator.faults.fail_after_apply("POST", private_route, status=500)
    await ask(iln, m["Bo"], "Sorry, I was ill.", space)
    await driver.wait_for(lambda: len(bot_messages(iln, thread)) == 3, timeout=3)
    await case_reply(iln, cora, thread, "Get well soon, Bo.")
    private = await driver.wait_for(
        lambda: [t for t in driver.threads() if t.type == 12 and "ILN coordinators" in t.name],
        timeout=3,
    )
    [bo_thread] = private
    assert [r.status for r in driver.requests("POST", private_route)] == [500]
    await driver.wait_for(lambda: bot_messages(iln, bo_thread), timeout=3)
    [bo_dm] = bot_messages(iln, bo_thread)
    assert "Get well soon, Bo." in bo_dm.content and driver.was_pinged(m["Bo"], bo_dm)
    assert driver.can_view(m["Bo"], bo_thread)
    assert not any(driver.can_view(m[name], bo_thread) for name in ("Ada", "Chen", "Dara"))


async def test_case_reply_outside_a_case_thread_is_refused(iln: Iln) -> None:
    cora, _ = await matched_round(iln, FOUR)
    before = await snapshot(iln)
    refused = await reply(iln, cora, "case reply", coordinators(iln))
    assert refused.ephemeral and "inside a case's thread" in refused.content
    assert await snapshot(iln) == before


async def snapshot(iln: Iln) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: a refusal must leave the database exactly as it was."""
    db = iln.program.store.db
    tables = [
        row[0]
        for row in await db.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {t: [tuple(r) for r in await db.fetch_all(f"SELECT * FROM {t}")] for t in tables}


async def test_unmatched_applicants_are_told_once_across_restarts(
    make_iln: Any,
) -> None:
    iln = await make_iln()
    await iln.start()
    driver = iln.driver
    members = await proposed_round(iln, FIVE)
    cora = await iln.coordinator()
    confirmed = await reply(iln, cora, "match confirm", coordinators(iln))
    assert "told privately" in confirmed.content
    await driver.wait_for(lambda: driver.dms(members["Eve"]), timeout=3)
    await iln.restart()
    await iln.run_due()
    await iln.restart()
    [notice] = driver.dms(members["Eve"])
    assert "could not find you a partner" in notice.content
    assert "nobody left who could be paired with you" in notice.content
    assert all(driver.dms(members[n]) == [] for n in ("Ada", "Bo", "Chen", "Dara"))
    # A send the stop interrupted is retried with its nonce, which Discord answers with the
    # message it already has: count messages, not requests.
    everywhere = [*driver.channels(), *filter(None, map(driver.dm_channel, driver.members()))]
    told = [
        message
        for channel in everywhere
        for message in driver.messages(channel)
        if "could not find you a partner" in (message.content or "")
    ]
    assert len(told) == 1

    # Pressed after the restart: the buttons still work, and a later press replaces.
    kept = await driver.click_button(members["Eve"], notice, button(notice, "Keep me"))
    assert "you are on the list" in (await kept.message(timeout=5)).content
    assert members["Eve"] in driver.role_members(driver.role("ILN next round"))
    trio = await driver.click_button(members["Eve"], notice, button(notice, "I would join"))
    await trio.message(timeout=5)
    round_ = (await iln.program.store.rounds.all())[-1]
    answers = await iln.program.store.cases.unmatched_answers(round_.id)
    assert answers[members["Eve"].id].answer == "trio"
    listed = await reply(iln, cora, "match unmatched", coordinators(iln))
    assert f"<@{members['Eve'].id}>" in listed.content
    assert "answered: I would join a trio" in listed.content and "told <t:" in listed.content


async def test_talk_to_a_coordinator_opens_a_case_for_the_person(iln: Iln) -> None:
    driver = iln.driver
    cora, m = await matched_round(iln)
    [notice] = driver.dms(m["Eve"])
    talk = await driver.click_button(m["Eve"], notice, button(notice, "Talk to"))
    await talk.response(timeout=5)
    done = await driver.submit_modal(m["Eve"], talk, {"text": "Could I join next round?"})
    assert "A coordinator will contact you" in (await done.message(timeout=5)).content
    await driver.wait_for(lambda: case_posts(iln), timeout=3)
    [card] = cards(iln)
    assert card.embeds[0]["title"] == "Case 1 · Eve Mwangi"
    assert labels(card) == ["Take it", "Mark handled"]  # a person, not a pair
    fields = {f["name"]: f["value"] for f in card.embeds[0]["fields"]}
    assert "answered: talk to a coordinator" in fields["Person"]
    [posted] = bot_messages(iln, thread_of(iln, card))
    assert "asked to talk to a coordinator" in posted.content
    assert "Could I join next round?" in posted.content
    await case_reply(iln, cora, thread_of(iln, card), "Yes, you are on the list.")
    await driver.wait_for(lambda: len(driver.dms(m["Eve"])) == 2, timeout=3)


THREAD_FROM_MESSAGE = "/channels/{channel_id}/messages/{message_id}/threads"


async def test_a_case_opens_once_when_discord_applies_then_fails(iln: Iln) -> None:
    """A 5xx after Discord made the card or the thread (discord.py retries at once), and a
    failure between the two, fixed only after Discord's nonce window has passed."""
    driver = iln.driver
    faults = iln.emulator.faults
    _, m = await matched_round(iln, FOUR)
    await iln.program.rounds.start(0)
    await iln.run_due()
    faults.fail_after_apply("POST", "/channels/*/messages", status=502)
    faults.fail_after_apply("POST", THREAD_FROM_MESSAGE, status=500)
    await ask(iln, m["Ada"], "First question.")
    await driver.wait_for(lambda: case_posts(iln), timeout=5)
    assert len(cards(iln)) == 1 and len(driver.threads(coordinators(iln))) == 1
    tries = driver.requests("POST", THREAD_FROM_MESSAGE)
    assert [t.status for t in tries] == [500, 400]  # the retry found the thread made

    faults.fail_next("POST", THREAD_FROM_MESSAGE, status=503)  # discord.py does not retry
    await ask(iln, m["Chen"], "Second question.")
    [_, second] = await driver.wait_for(lambda: len(cards(iln)) == 2 and cards(iln), timeout=5)
    assert len(driver.threads(coordinators(iln))) == 1  # the card is out, its thread is not
    await iln.restart()
    await iln.advance(timedelta(minutes=10), step=timedelta(minutes=5))
    assert len(cards(iln)) == 2 and len(driver.threads(coordinators(iln))) == 2
    assert [m.content for m in bot_messages(iln, thread_of(iln, second))] == [
        f"<@{m['Chen'].id}> wrote to the coordinators\n>>> Second question."
    ]


# Faith speaks only Swahili and lives where Eve does: nobody can be her partner, and the
# two of them together break two hard rules.
FAITH = Person("Faith Otieno", "public", "KE", "Africa/Nairobi", "early", languages="sw")
SIX = (*FIVE, FAITH)
MODERATOR = 1 << 13

# (who, command, where, options, modal values or None, what the refusal says)
BAD_INPUT: list[tuple[str, str, str, dict[str, str], dict[str, str] | None, str]] = [
    ("cora", "pair end", "coord", {"pair": "no-such-pair", "reason": "x"}, None,
     "could not find a partnership called 'no-such-pair'"),
    ("cora", "pair end", "coord", {"pair": "ada-and-bo", "reason": "   "}, None,
     "Please write your reason"),
    ("cora", "pair rematch", "coord", {"member": "Nobody Here"}, None,
     "could not find anyone called 'Nobody Here'"),
    ("cora", "pair rematch", "coord", {"member": "<eve>"}, None,
     "has no partnership in 2027A to replace"),
    ("cora", "pair add", "coord", {"first": "<ada>", "second": "<ada>"}, None,
     "Choose two different people"),
    ("cora", "pair add", "coord", {"first": "<ada>", "second": "<eve>"}, None,
     "is already in **ada-and-bo**"),
    ("cora", "pair add", "coord", {"first": "<eve>", "second": "<sam>"}, None,
     "has never applied"),
    ("cora", "pair add", "coord", {"first": "<eve>", "second": "<faith>"}, None,
     "cannot be partners under the program's rules: same country (Kenya), no shared language"),
    ("cora", "pair add", "coord", {"first": "<eve>", "second": "<faith>", "override": "  "},
     None, "cannot be partners under the program's rules"),
    ("cora", "pair note", "coord", {"pair": "ada-and-bo", "text": "   "}, None,
     "Please write your note"),
    ("cora", "pair note", "coord", {"pair": "#999", "text": "A note."}, None,
     "could not find a partnership called '#999'"),
    ("cora", "match unpin", "coord", {"pair": "<ada>:<bo>"}, None,
     "can only change before it starts"),
    ("cora", "match unpin", "coord", {"pair": "ada and bo"}, None, "could not read 'ada and bo'"),
    ("cora", "match unforbid", "coord", {"pair": "<ada>:<bo>"}, None,
     "are not on the forbid list"),
    ("cora", "case reply", "coord", {}, None, "works inside a case's thread"),
    ("cora", "case reply", "thread", {"to": "<dara>"}, None, "is not part of case 1"),
    ("cora", "case reply", "thread", {"to": "Nobody Here"}, None, "could not find anyone"),
    ("cora", "case reply", "thread", {}, {"text": "   "}, "Please write your answer"),
    ("ada", "ask-coordinators", "space", {}, {"text": "   "}, "Please write your message"),
    ("sam", "apply withdraw", "public", {}, None, "nothing to withdraw"),
    ("mo", "pair note", "public", {"pair": "ada-and-bo", "text": "A note."}, None,
     "Only members with the **ILN Coordinators** role"),
]  # fmt: skip


async def test_bad_input_is_refused_politely_and_changes_nothing(iln: Iln) -> None:
    driver = iln.driver
    cora, m = await matched_round(iln, SIX)
    await iln.program.rounds.start(0)
    await iln.run_due()
    space = driver.channel("ada-and-bo")
    await ask(iln, m["Ada"], "A question.", space)
    await driver.wait_for(lambda: case_posts(iln), timeout=3)
    people = {
        "cora": cora,
        "sam": await driver.add_member("Sam"),
        "mo": await driver.add_member(
            "Mo", [await driver.create_role("Mods", permissions=MODERATOR)]
        ),
        **{name.lower(): member for name, member in m.items()},
    }
    where = {
        "coord": coordinators(iln),
        "thread": thread_of(iln, cards(iln)[0]),
        "space": space,
        "public": driver.channel("iln-announcements"),
    }
    coordinators_overwrite = driver.overwrites(coordinators(iln))
    assert coordinators_overwrite  # the channel is private
    await iln.program.dispatcher.deliver_due()
    for who, command, place, options, modal, expected in BAD_INPUT:
        filled = {key: _fill(value, people) for key, value in options.items()}
        before = await snapshot(iln)
        result = await driver.invoke_slash(people[who], command, filled, channel=where[place])
        if modal is not None:
            await result.response(timeout=5)
            result = await driver.submit_modal(people[who], result, modal)
        answer = await result.message(timeout=5)
        assert answer.ephemeral, (command, options)
        assert expected in answer.content, (command, options, answer.content)
        assert await snapshot(iln) == before, (command, options)


def _fill(value: str, people: dict[str, Any]) -> str:
    for name, member in people.items():
        value = value.replace(f"<{name}>", str(member.id))
    return value


async def test_case_buttons_refuse_what_does_not_apply(iln: Iln) -> None:
    driver = iln.driver
    cora, m = await matched_round(iln, FOUR)
    await ask(iln, m["Ada"], "Hello?")
    await driver.wait_for(lambda: case_posts(iln), timeout=3)
    [card] = cards(iln)
    taken = await driver.click_button(cora, card, button(card, "Take it"))
    await taken.message(timeout=5)
    await iln.run_due()
    before = await snapshot(iln)
    again = await driver.click_button(cora, card, button(card, "Take it"))
    assert "You have case 1 already" in (await again.message(timeout=5)).content
    assert await snapshot(iln) == before
    handled = await driver.click_button(cora, card, button(card, "Mark handled"))
    await handled.response(timeout=5)
    await (await driver.submit_modal(cora, handled, {})).message(timeout=5)
    await iln.run_due()
    before = await snapshot(iln)
    for label, refusal in (("Take it", "handled already"), ("Mark handled", "handled already")):
        pressed = await driver.click_button(cora, card, button(card, label))
        answer = await pressed.message(timeout=5)
        assert answer.ephemeral and refusal in answer.content
    assert await snapshot(iln) == before


async def test_pair_end_add_and_note(iln: Iln) -> None:
    driver = iln.driver
    cora, m = await matched_round(iln, SIX)
    await iln.program.rounds.start(0)
    await iln.run_due()
    coord = coordinators(iln)

    noted = await reply(iln, cora, "pair note", coord, pair="chen-and-dara", text="Dara is new.")
    assert "Noted for **chen-and-dara**" in noted.content
    assert cards(iln) == []  # a note alone opens no case
    ended = await reply(
        iln, cora, "pair end", coord, pair="chen-and-dara", reason="They asked us to."
    )
    assert "has ended" in ended.content
    await iln.run_due()
    space = driver.channel("chen-and-dara")
    [notice] = [msg for msg in bot_messages(iln, space) if "ended this partnership" in msg.content]
    assert "They asked us to" not in notice.content  # the reason is for coordinators only
    assert driver.was_pinged(m["Chen"], notice) and driver.was_pinged(m["Dara"], notice)
    assert not driver.permissions(m["Chen"], space) & (1 << 11)
    [partnership] = await iln.program.store.partnerships.for_member(m["Chen"].id)
    assert partnership.state == "ended" and partnership.ended_at is not None
    assert (
        frozenset((m["Chen"].id, m["Dara"].id)) in await iln.program.store.partnerships.past_pairs()
    )

    # Against the rules, only with a reason, and the reason is kept.
    added = await reply(
        iln, cora, "pair add", coord,
        first=str(m["Eve"].id), second=str(m["Faith"].id), override="Faith is learning English.",
    )  # fmt: skip
    assert "partners now, in **eve-and-faith**" in added.content
    await iln.run_due()
    assert len(driver.pins(driver.channel("eve-and-faith"))) == 1
    [entry] = [
        e for e in await iln.program.store.coordination.audit_log() if e.action == "pair.add"
    ]
    assert entry.actor_id == cora.id
    assert entry.detail["override"] == "Faith is learning English."
    assert entry.detail["rules"] == "same country (Kenya), no shared language"

    # A note on a pair with a case shows in the case, and is told in its thread.
    await ask(iln, m["Bo"], "All fine, just checking in.")
    await driver.wait_for(lambda: case_posts(iln), timeout=3)
    await reply(iln, cora, "pair note", coord, pair="ada-and-bo", text="Bo checks in often.")
    await iln.run_due()
    [card] = cards(iln)
    fields = {f["name"]: f["value"] for f in card.embeds[0]["fields"]}
    assert "Bo checks in often." in fields["Coordinator notes"]
    assert "Note from" in bot_messages(iln, thread_of(iln, card))[-1].content
    actions = {e.action for e in await iln.program.store.coordination.audit_log()}
    assert {"pair.note", "pair.end", "pair.add"} <= actions


async def test_match_unpin_unforbid_and_withdraw(iln: Iln) -> None:
    driver = iln.driver
    members = await join(iln, FIVE)
    program = iln.program
    cora = await iln.coordinator()
    coord = coordinators(iln)
    await program.rounds.create("2027A", date(2027, 3, 1), None, 0)
    await program.rounds.open_applications(0)
    await program.matching.import_csv(applications_csv(FIVE, members).decode(), 0)
    ada, bo, eve = members["Ada"].id, members["Bo"].id, members["Eve"].id
    await reply(iln, cora, "match pin", coord, first=members["Ada"], second=members["Eve"])
    await reply(iln, cora, "match forbid", coord, first=members["Ada"], second=members["Bo"])
    assert await program.matching.constraint_choices("pins", "eve") == [
        ("Ada Okafor & Eve Mwangi", f"{ada}:{eve}")
    ]
    unpinned = await reply(iln, cora, "match unpin", coord, pair=f"{ada}:{eve}")
    assert "no longer pinned" in unpinned.content
    unforbidden = await reply(iln, cora, "match unforbid", coord, pair=f"{ada}:{bo}")
    assert "may be matched again" in unforbidden.content
    round_ = (await program.store.rounds.all())[-1]
    assert await program.store.coordination.pins(round_.id) == []
    assert await program.store.coordination.forbids() == []

    # Before matching, withdrawing takes the application out.
    opened = await driver.invoke_slash(members["Dara"], "apply withdraw")
    await opened.response(timeout=5)
    done = await driver.submit_modal(members["Dara"], opened, {"message": "New job, sorry."})
    assert "withdrawn" in (await done.message(timeout=5)).content
    assert await program.store.people.application(round_.id, members["Dara"].id) is None
    assert cards(iln) == []  # nobody needs to act on it

    # After matching, it opens a case for the coordinators to arrange.
    await program.rounds.close_applications(0)
    await program.matching.run(0)
    await program.matching.confirm(0)
    await iln.run_due()
    opened = await driver.invoke_slash(members["Ada"], "apply withdraw")
    await opened.response(timeout=5)
    done = await driver.submit_modal(members["Ada"], opened, {"message": "I am moving."})
    assert "coordinators have your request" in (await done.message(timeout=5)).content
    await driver.wait_for(lambda: case_posts(iln), timeout=3)
    [posted] = case_posts(iln)
    assert "asked to withdraw from the round" in posted.content and "I am moving." in posted.content
    actions = [(e.action, e.actor_id) for e in await program.store.coordination.audit_log()]
    assert ("match.unpin", cora.id) in actions and ("match.unforbid", cora.id) in actions
    assert ("apply.withdraw", members["Dara"].id) in actions


async def test_a_repeated_not_working_answer_reopens_the_one_case(iln: Iln) -> None:
    cora, m = await matched_round(iln, FOUR)
    await iln.program.rounds.start(0)
    await iln.run_due()
    [pid] = [p.id for p in await iln.program.store.partnerships.for_member(m["Ada"].id)]
    checkins = iln.program.checkins
    await checkins.answer(m["Ada"].id, pid, 1, "not_working", "We never meet.")
    await iln.run_due()
    [card] = cards(iln)
    listed = await reply(iln, cora, "case list", coordinators(iln))
    assert "**Case 1** ada-and-bo" in listed.embeds[0]["description"]
    assert "not taken" in listed.embeds[0]["description"]
    await iln.program.cases.handle(1, cora.id, "Talked to both.")
    await iln.run_due()
    assert (await reply(iln, cora, "case list", coordinators(iln))).content == "No case is open."
    await checkins.answer(m["Ada"].id, pid, 2, "not_working", "Still never.")
    await iln.run_due()
    assert len(cards(iln)) == 1 and len(bot_messages(iln, coordinators(iln))) == 1
    assert "Open" in cards(iln)[0].embeds[0]["description"]
    fields = {f["name"]: f["value"] for f in cards(iln)[0].embeds[0]["fields"]}
    assert "Not working (check-in 2)" in fields["Latest check-in answers"]
    posts = bot_messages(iln, thread_of(iln, card))
    assert sum("answered: Not working" in p.content for p in posts) == 2
    mine = await reply(iln, cora, "case list", coordinators(iln), which="all")
    assert "Case 1" in mine.embeds[0]["description"]


async def test_an_applicant_who_cannot_be_told_becomes_a_case(iln: Iln) -> None:
    """Eve left the server before matching: neither a DM nor a thread can reach her."""
    driver = iln.driver
    members = await proposed_round(iln, FIVE)
    program = iln.program
    await driver.remove_member(members["Eve"])
    await program.matching.confirm(0)
    await iln.run_due()
    await driver.wait_for(lambda: case_posts(iln), timeout=3)
    [card] = cards(iln)
    assert card.embeds[0]["title"] == "Case 1 · Eve Mwangi"
    [failed] = case_posts(iln)
    assert "Discord refused the bot's unmatched notice" in failed.content
