"""People own their data, through the real client against the emulator: the notice before
a first application, an export that reaches only its owner, an erasure that leaves no
trace and tells the partner, a former partner never met again, retention on time, and bad
input refused with nothing changed."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from tests.e2e.harness import MANAGE_MESSAGES, Iln
from tests.e2e.people import FOUR, applications_csv
from tests.e2e.test_apply_match import WHERE, button_id, open_round
from tests.e2e.test_cases import bot_messages, coordinators, matched_round
from tests.e2e.test_contact import say
from tests.helpers import dump, traces

ADA_NAMES = ("Ada Okafor", "Ada")


async def slash(iln: Iln, who: Any, command: str, **options: Any) -> Any:
    result = await iln.driver.invoke_slash(who, command, options)
    return await result.message(timeout=10)


async def press(iln: Iln, who: Any, message: Any, label: str) -> Any:
    """Press a button; the message as it reads once the bot has answered (an erasure is
    acknowledged first and the message edited when it is done)."""
    before = message.content
    clicked = await iln.driver.click_button(who, message, button_id(message, label))
    await clicked.response(timeout=5)
    world = iln.emulator.world
    await iln.driver.wait_for(lambda: world.find_message(message.id).content != before, 5)
    return world.find_message(message.id)


async def running_round(iln: Iln) -> tuple[Any, dict[str, Any]]:
    """Ada and Bo, Chen and Dara, in their spaces; Ada has posted, logged a call, taken time
    away and written to the coordinators."""
    cora, m = await matched_round(iln, FOUR)
    await iln.program.rounds.start(0)
    await iln.run_due()
    space = iln.driver.channel("ada-and-bo")
    await iln.driver.send_message(m["Ada"], space, "Hello Bo! Shall we talk on Friday?")
    await iln.driver.send_message(m["Bo"], space, "Yes, Friday works.")
    await iln.advance(timedelta(hours=2))
    await slash(iln, m["Ada"], "contact", kind="video")
    await slash(iln, m["Ada"], "away add", start="20 March 2027", end="24 March 2027")
    asked = await iln.driver.invoke_slash(m["Ada"], "ask-coordinators", channel=space)
    await asked.response(timeout=5)
    sent = await iln.driver.submit_modal(m["Ada"], asked, {"text": "Could Bo and I swap days?"})
    await sent.message(timeout=5)
    await iln.run_due()
    return cora, m


async def test_a_first_application_starts_with_the_privacy_notice(iln: Iln) -> None:
    await open_round(iln)
    lan = await iln.driver.add_member("Lan")
    opened = await iln.driver.invoke_slash(lan, "apply form", WHERE)
    notice = await opened.message(timeout=5)
    assert notice.ephemeral and opened.modal is None
    [embed] = notice.embeds
    assert embed["title"] == "Your information in the ILN partnership program"
    assert "90 days after your round ends" in embed["description"]  # the configured period
    assert "`/privacy export`" in embed["description"]
    going = await iln.driver.click_button(lan, notice, button_id(notice, "Continue to the form"))
    assert (await going.response(timeout=5)).modal["title"] == "Apply: about you"
    again = await slash(iln, lan, "privacy notice")
    assert again.ephemeral and again.embeds == notice.embeds


async def test_a_member_gets_their_data_privately_then_has_it_erased(iln: Iln) -> None:
    driver = iln.driver
    _, m = await running_round(iln)
    ada, bo = m["Ada"], m["Bo"]
    store = iln.program.store

    result = await driver.invoke_slash(ada, "privacy export", {})
    assert (await result.response(timeout=3)).deferred
    sent = await result.message(timeout=10)
    assert sent.ephemeral and "everything the bot holds about you" in sent.content
    assert "never stored them" in sent.content
    [attachment] = sent.attachments
    assert attachment["filename"] == "iln-my-data.json"
    exported = json.loads(driver.attachment_bytes(attachment))
    # The file holds what the store holds.
    person = await store.people.participant(ada.id)
    assert person is not None
    assert exported["tables"]["participants"][0]["name"] == person.name == "Ada Okafor"
    application = await store.people.application(1, ada.id)
    assert application is not None
    [applied] = exported["tables"]["applications"]
    assert applied["hopes"] == application.hopes and applied["languages"] == ["en"]
    [partnership] = await store.partnerships.for_member(ada.id)
    contact = [
        c for c in await store.activity.contacts(partnership.id) if c.participant_id == ada.id
    ]
    assert [(e["at"], e["source"], e["kind"]) for e in exported["tables"]["contact_events"]] == [
        (c.at.isoformat(), c.source, c.kind) for c in contact
    ]
    assert len(contact) == 2
    [away] = await store.activity.away_periods([ada.id], partnership.created_at)
    assert exported["tables"]["away_periods"][0]["starts_at"] == away.starts_at.isoformat()
    [pair] = exported["partnerships"]
    assert pair["name"] == "ada-and-bo" and pair["partners"][0]["name"] == "Bo Lindqvist"
    [case] = exported["cases"]
    assert "Could Bo and I swap days?" in [e.get("body") for e in case["events"]]
    # Nobody else saw it: only Ada's answers were there, and no channel got the file.
    for channel in driver.channels():
        assert not any(message.attachments for message in driver.messages(channel))

    prompt = await slash(iln, ada, "privacy delete")
    assert prompt.ephemeral and "cannot be undone" in prompt.content
    assert "Your messages in Discord are yours" in prompt.content
    done = await press(iln, ada, prompt, "Erase my data")
    assert done.content.startswith("Done: everything the bot held about you is erased.")
    assert "your partner was told kindly" in done.content and done.components == []
    await iln.run_due()

    assert traces(iln.db_path, ada.id, ADA_NAMES) == []
    space = driver.channel("ada-and-bo")
    [told] = [msg for msg in bot_messages(iln, space) if "has had to leave" in msg.content]
    assert driver.was_pinged(bo, told) and not driver.was_pinged(ada, told)
    assert "erase" not in told.content  # never why
    notice = [msg for msg in bot_messages(iln, coordinators(iln)) if "was erased" in msg.content]
    assert len(notice) == 1 and str(ada.id) not in notice[0].content
    # Ada's own messages are still there, as she wrote them.
    assert "Hello Bo! Shall we talk on Friday?" in [msg.content for msg in driver.messages(space)]

    # A later round: Ada applies again, and is never paired with Bo, her best match.
    await iln.program.rounds.end(0)
    await iln.run_due()
    await iln.program.rounds.create("2027B", date(2027, 9, 1), None, 0)
    await iln.program.rounds.open_applications(0)
    await iln.program.matching.import_csv(applications_csv(FOUR, m).decode(), 0)
    await iln.program.rounds.close_applications(0)
    round_, result = await iln.program.matching.run(0)
    assert round_.name == "2027B" and len(result.pairs) == 2
    assert all({ada.id, bo.id} != set(p.members) for p in result.pairs)


async def test_a_coordinator_erases_someone_who_asked_by_email(iln: Iln) -> None:
    cora, m = await running_round(iln)
    dara = m["Dara"]
    await say(iln, dara, iln.driver.channel("chen-and-dara"), "Hi Chen!")
    figures = await slash(iln, cora, "report round")
    before = {f["name"]: f["value"] for f in figures.embeds[0]["fields"]}
    assert "2 of 2 pairs in touch" in before["Contact, last 14 days"]
    prompt = await slash(iln, cora, "privacy delete-for", member=str(dara.id))
    assert prompt.ephemeral and f"<@{dara.id}>" in prompt.content
    done = await press(iln, cora, prompt, "Erase their data")
    assert done.content.startswith("Erased. 1 partnership ended")
    await iln.run_due()
    assert traces(iln.db_path, dara.id, ("Dara Kelly", "Dara")) == []
    [entry] = [
        e for e in await iln.program.store.coordination.audit_log() if e.action == "privacy.erase"
    ]
    assert entry.actor_id == cora.id and entry.detail["asked_by"] == "coordinator"
    assert entry.detail["reference"] in done.content
    chen_space = iln.driver.channel("chen-and-dara")
    assert any("has had to leave" in msg.content for msg in bot_messages(iln, chen_space))
    # The round's figures still count her partnership and her contact, without her.
    figures = await slash(iln, cora, "report round")
    fields = {f["name"]: f["value"] for f in figures.embeds[0]["fields"]}
    assert fields["Partnerships"].startswith("2 in all") and "1 ended" in fields["Partnerships"]
    assert fields["Contact, last 14 days"] == before["Contact, last 14 days"]


async def test_bad_input_is_refused_privately_and_changes_nothing(iln: Iln) -> None:
    driver = iln.driver
    _, m = await running_round(iln)
    stranger = await driver.add_member("Sam Stranger")
    moderators = await driver.create_role("Moderators", permissions=MANAGE_MESSAGES)
    mod = await driver.add_member("Mo", [moderators])
    before = dump(iln.db_path)

    unknown = await slash(iln, stranger, "privacy export")
    assert unknown.ephemeral and "holds nothing about you" in unknown.content
    assert unknown.attachments == []
    nothing = await slash(iln, stranger, "privacy delete")
    assert nothing.ephemeral and "nothing to send or erase" in nothing.content
    refused = await slash(iln, mod, "privacy delete-for", member=str(m["Bo"].id))
    assert (
        refused.ephemeral and "Only members with the **ILN Coordinators** role" in refused.content
    )
    prompt = await slash(iln, m["Bo"], "privacy delete")
    kept = await press(iln, m["Bo"], prompt, "Keep it")
    assert kept.content == "Nothing was erased." and kept.components == []
    await iln.run_due()
    assert dump(iln.db_path) == before

    # A confirmation left for more than a quarter of an hour is asked for again.
    late = await slash(iln, m["Bo"], "privacy delete")
    iln.clock.set(iln.clock.now() + timedelta(minutes=16))
    clicked = await driver.click_button(m["Bo"], late, button_id(late, "Erase my data"))
    expired = await clicked.message(timeout=5)
    assert expired.ephemeral and "expired; nothing was erased" in expired.content
    assert await iln.program.store.people.participant(m["Bo"].id) is not None


async def test_contact_events_go_once_their_period_after_the_round_is_over(iln: Iln) -> None:
    _, m = await running_round(iln)
    store = iln.program.store
    [partnership] = await store.partnerships.for_member(m["Ada"].id)
    logged = len(await store.activity.contacts(partnership.id))
    assert logged >= 3
    round_ = await iln.program.rounds.current()
    iln.clock.set(max(iln.clock.now(), iln.clock.now().replace(month=7, day=1)))
    await iln.program.rounds.end(0)
    await iln.run_due()
    after_end = round_.ends_on + timedelta(days=1)
    days_kept = iln.program.config.privacy.contact_events_days
    await iln.advance(
        after_end - iln.clock.now().date() + timedelta(days=days_kept - 1), step=timedelta(days=1)
    )
    assert len(await store.activity.contacts(partnership.id)) == logged  # not yet
    await iln.advance(timedelta(days=2), step=timedelta(hours=6))
    rows = await store.db.fetch_all("SELECT at FROM contact_events")
    assert rows == []  # none older than the setting after the round: none of that round
    assert await store.people.participant(m["Ada"].id) is not None  # she took part
