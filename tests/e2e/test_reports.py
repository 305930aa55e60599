"""Coordinators read a round: ``/report round``, ``/report export`` and ``/audit``, through
the real client against the emulator (which holds the bot to Discord's 3-second limit and
checks every request against the OpenAPI spec, embeds and attachments included)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from bot.services.reports import EXPORTS
from tests.e2e.harness import MANAGE_MESSAGES, Iln
from tests.e2e.people import confirmed_round, crowd
from tests.report_data import assert_drawn


async def running_round_with_contact(iln: Iln) -> tuple[Any, dict[str, Any]]:
    cora, members = await confirmed_round(iln, crowd(8))
    await iln.program.rounds.start(0)
    await iln.run_due()
    spaces = [c for c in iln.driver.channels(type=0) if c.name.startswith("person")]
    assert len(spaces) == 4
    for space in spaces[:3]:  # one pair stays quiet
        partners = [m for m in members.values() if iln.driver.can_view(m, space)]
        await iln.driver.send_message(partners[0], space, "Hello from the other side!")
    await iln.advance(timedelta(days=3), step=timedelta(hours=12))
    return cora, members


async def test_report_round_defers_then_sends_the_figures_and_charts(iln: Iln) -> None:
    cora, _ = await running_round_with_contact(iln)
    result = await iln.driver.invoke_slash(cora, "report round", {})
    first = await result.response(timeout=3)  # Discord's limit for the first answer
    assert first.deferred and first.ephemeral
    message = await result.message(timeout=30)
    assert message.flags & 64  # still ephemeral
    [embed] = message.embeds
    assert embed["title"] == "Round 2027A: report"
    assert "<t:" in embed["description"]  # the "as of" time, in each reader's own zone
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert fields["Partnerships"].startswith("4 in all")
    assert "3 of 4 pairs in touch" in fields["Contact, last 14 days"]
    names = [attachment["filename"] for attachment in message.attachments]
    assert names == [
        "contact-heatmap-1.png",
        "contact-overview.png",
        "checkins.png",
        "nudges.png",
        "match-quality.png",
    ]
    for attachment in message.attachments:
        assert_drawn(iln.driver.attachment_bytes(attachment))
    alt = message.attachments[0]["description"]  # for screen readers
    assert alt == "Contact per partnership per week, pairs 1–4"


async def test_report_export_attaches_spreadsheet_safe_csvs(iln: Iln) -> None:
    cora, _ = await running_round_with_contact(iln)
    result = await iln.driver.invoke_slash(
        cora, "report export", {"what": "everything", "round": "2027A"}
    )
    assert (await result.response(timeout=3)).deferred
    message = await result.message(timeout=30)
    assert message.flags & 64
    by_name = {a["filename"]: a for a in message.attachments}
    assert sorted(by_name) == sorted(f"2027A-{key}.csv" for key in EXPORTS)
    for key, export in EXPORTS.items():
        text = iln.driver.attachment_bytes(by_name[f"2027A-{key}.csv"]).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert tuple(rows[0]) == export.columns
    partnerships = iln.driver.attachment_bytes(by_name["2027A-partnerships.csv"])
    assert len(list(csv.reader(io.StringIO(partnerships.decode("utf-8-sig"))))) == 5
    one = await iln.driver.invoke_slash(cora, "report export", {"what": "applications"})
    [attachment] = (await one.message(timeout=30)).attachments
    assert attachment["filename"] == "2027A-applications.csv"


async def test_reports_refuse_non_coordinators_and_bad_input(iln: Iln) -> None:
    cora, _ = await running_round_with_contact(iln)
    moderators = await iln.driver.create_role("Moderators", permissions=MANAGE_MESSAGES)
    mo = await iln.driver.add_member("Mo", [moderators])
    for slash, options in (
        ("report round", {}),
        ("report export", {"what": "feedback"}),
        ("audit", {}),
    ):
        refused = await (await iln.driver.invoke_slash(mo, slash, options)).message(timeout=5)
        assert refused.ephemeral
        assert "Only members with the **ILN Coordinators** role" in refused.content
    unknown = await iln.driver.invoke_slash(cora, "report round", {"round": "1999Z"})
    text = (await unknown.message(timeout=5)).content
    assert "no round called `1999Z`" in text and "`2027A`" in text
    bad_date = await iln.driver.invoke_slash(cora, "audit", {"since": "last blue moon"})
    answer = await bad_date.message(timeout=5)
    assert answer.ephemeral and "2026-12-24" in answer.content  # lists the formats it reads


async def test_audit_lists_coordinator_actions_newest_first_in_pages(iln: Iln) -> None:
    cora, _ = await confirmed_round(iln, crowd(2))
    clock_start = iln.clock.now()
    for number in range(12):
        iln.clock.set(clock_start + timedelta(minutes=number + 1))
        await iln.program.store.coordination.audit(
            cora.id, "topic.move", {"topic": f'=HYPERLINK("x") **{number}**'}, iln.clock.now()
        )
    result = await iln.driver.invoke_slash(cora, "audit", {"who": cora})
    message = await result.message(timeout=5)
    assert message.ephemeral
    [embed] = message.embeds
    lines = embed["description"].splitlines()
    assert len(lines) == 10 and all(line.startswith("<t:") for line in lines)
    assert "\\*\\*11\\*\\*" in lines[0]  # newest first, markdown escaped
    assert embed["footer"]["text"].startswith("Page 1 of 2 · 12 actions · by Cora")
    buttons = [c for row in message.components for c in row["components"]]
    assert [b["label"] for b in buttons] == ["Previous", "Next"]
    assert buttons[0].get("disabled") is True
    clicked = await iln.driver.click_button(cora, message, buttons[1]["custom_id"])
    await clicked.response(timeout=3)
    page_two = iln.emulator.world.find_message(message.id)
    lines = page_two.embeds[0]["description"].splitlines()
    assert len(lines) == 2 and "\\*\\*1\\*\\*" in lines[0]
    assert page_two.embeds[0]["footer"]["text"].startswith("Page 2 of 2")
    everyone = await iln.driver.invoke_slash(cora, "audit", {"since": "2020-01-01", "page": 2})
    footer = (await everyone.message(timeout=5)).embeds[0]["footer"]["text"]
    # confirm_round's six set-up actions (create, open, import, close, run, confirm) too
    assert footer.startswith("Page 2 of 2 · 18 actions · since 1 January 2020")
