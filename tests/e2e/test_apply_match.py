"""Applicants apply in Discord; coordinators preview, adjust and confirm the matching."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.e2e.harness import Iln

WHERE = {"country": "NG", "timezone": "Africa/Lagos", "languages": "English, Yoruba"}
ABOUT = {
    "name": "Ada Okafor",
    "preferred_name": "Ada",
    "institution": "Lagos City Library",
    "interests": "makerspaces; open access",
}


async def reply(iln: Iln, member: Any, slash: str, **options: Any) -> Any:
    result = await iln.driver.invoke_slash(member, slash, options)
    return await result.message(timeout=5)


def component_id(message: Any, start: str, key: str = "placeholder") -> str:
    for row in message.components:
        for item in row["components"]:
            if str(item.get(key, "")).startswith(start):
                return str(item["custom_id"])
    raise AssertionError(f"no component whose {key} starts {start!r}")


def select_id(message: Any, placeholder_start: str) -> str:
    return component_id(message, placeholder_start)


def button_id(message: Any, label: str) -> str:
    return component_id(message, label, "label")


def modal_values(result: Any) -> dict[str, Any]:
    """What a modal shows filled in: text inputs' values, selects' default options."""
    shown = {}
    for top in result.modal["components"]:
        item = top.get("component") or top["components"][0]
        if item["type"] == 4:
            shown[item["custom_id"]] = item.get("value")
        else:
            shown[item["custom_id"]] = [o["value"] for o in item["options"] if o.get("default")]
    return shown


async def apply(
    iln: Iln,
    member: Any,
    where: dict[str, str],
    about: dict[str, str],
    choices: dict[str, list[str]],
    hopes: dict[str, Any],
) -> Any:
    """Fill in the whole /apply form as a person would; returns the final answer."""
    driver = iln.driver
    opened = await open_form(iln, member, where)
    submitted = await driver.submit_modal(member, opened, about)
    form = await submitted.message(timeout=5)
    assert form.ephemeral
    for placeholder, values in choices.items():
        picked = await driver.select(member, form, select_id(form, placeholder), values)
        await picked.response(timeout=5)
    following = await driver.click_button(member, form, button_id(form, "Next"))
    await following.response(timeout=5)
    done = await driver.submit_modal(member, following, hopes)
    return await done.message(timeout=5)


async def open_form(iln: Iln, member: Any, where: dict[str, str]) -> Any:
    """Run /apply form as far as its first modal: past the privacy notice that comes before
    a first application. Returns the interaction that opened the modal."""
    opened = await iln.driver.invoke_slash(member, "apply form", where)
    if (await opened.response(timeout=5)).modal is not None:
        return opened
    notice = await opened.message(timeout=5)
    going = await iln.driver.click_button(member, notice, button_id(notice, "Continue"))
    await going.response(timeout=5)
    return going


async def open_round(iln: Iln) -> Any:
    cora = await iln.coordinator()
    await reply(iln, cora, "round create", name="2027A", start="2027-03-01")
    await reply(iln, cora, "round open")
    return cora


async def test_apply_then_preview_pin_and_confirm(iln: Iln) -> None:
    driver = iln.driver
    ada, bo = await driver.add_member("Ada Okafor"), await driver.add_member("Bo Lindqvist")
    closed = await driver.invoke_slash(ada, "apply form", WHERE)  # no round: no modal
    refusal = await closed.response(timeout=5)
    assert refusal.modal is None and refusal.ephemeral
    assert "no round open for applications" in refusal.content
    assert "`/notify-me on`" in refusal.content

    cora = await open_round(iln)
    answer = await apply(
        iln,
        ada,
        WHERE,
        ABOUT,
        {
            "Your sector": ["public"],
            "Your career stage": ["early"],
            "Partner's sector": ["academic"],
            "Partner's career stage": ["late"],
        },
        {"hopes": "Learn how academic libraries teach research skills."},
    )
    assert answer.ephemeral and "your application is in" in answer.content
    answer = await apply(
        iln,
        bo,
        {"country": "Sweden", "timezone": "Stockholm", "languages": "en; sv"},
        {**ABOUT, "name": "Bo Lindqvist", "preferred_name": "Bo", "institution": "Lund UB"},
        {"Your sector": ["academic"], "Your career stage": ["late"]},
        {"hopes": "Mentor someone early in their career.", "returning_note": "More video calls."},
    )
    assert "your application is in" in answer.content

    status = await reply(iln, ada, "apply status")
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert fields["Country"] == "🇳🇬 Nigeria" and fields["Languages"] == "English, Yoruba"
    assert fields["Time zone"] == "Lagos (UTC+01:00)"
    assert fields["Partner's sector"] == "academic" and fields["We call you"] == "Ada"

    # Running it again edits the application; the form starts from what was sent.
    again = await apply(
        iln,
        ada,
        WHERE,
        {"interests": "makerspaces; research data"},
        {"Your sector": ["public"], "Your career stage": ["early"]},
        {},
    )
    assert "updated" in again.content
    saved = await iln.program.store.people.application(1, ada.id)
    assert saved.interests == ("makerspaces", "research data")
    assert saved.partner_career_stages == {"late"}  # kept from the first time

    await reply(iln, cora, "round close-applications")
    late = await driver.invoke_slash(bo, "apply form", WHERE)
    refused = await late.response(timeout=5)
    assert refused.modal is None and "Applications for **2027A** are closed" in refused.content

    preview = await reply(iln, cora, "match preview")
    embed = preview.embeds[0]
    assert "Matched 2 of 2" in embed["description"]
    assert "Partner wishes met: 2 of 2" in embed["description"]
    [pair] = embed["fields"]
    assert "Ada asked for an academic librarian" in pair["value"]
    [attachment] = preview.attachments
    rows = list(csv.DictReader(io.StringIO(driver.attachment_bytes(attachment).decode())))
    assert {row["name"] for row in rows} == {"Ada Okafor", "Bo Lindqvist"}

    forbidden = await reply(iln, cora, "match forbid", first=ada, second=bo, reason="colleagues")
    assert "never be matched" in forbidden.content
    await reply(iln, cora, "match run")
    alone = await reply(iln, cora, "match unmatched")
    assert "Left without a partner" in alone.content and f"<@{ada.id}>" in alone.content
    empty = await reply(iln, cora, "match confirm")
    assert "no partnerships" in empty.content
    assert await iln.program.store.partnerships.for_round(1) == []


async def test_confirm_refuses_a_stale_proposal(iln: Iln) -> None:
    from tests.e2e.people import FOUR, applications_csv, join

    cora = await iln.coordinator()
    members = await join(iln)
    await reply(iln, cora, "round create", name="2027A", start="2027-03-01")
    await reply(iln, cora, "round open")
    await reply(iln, cora, "applicants import", file=("a.csv", applications_csv(FOUR, members)))
    await reply(iln, cora, "round close-applications")
    not_yet = await reply(iln, cora, "match confirm")
    assert "run `/match run` first" in not_yet.content
    await reply(iln, cora, "match run")
    pinned = await reply(iln, cora, "match pin", first=members["Ada"], second=members["Chen"])
    assert "will be partners" in pinned.content
    stale = await reply(iln, cora, "match confirm")
    assert "changed since `/match run`" in stale.content
    await reply(iln, cora, "match run")
    confirmed = await reply(iln, cora, "match confirm")
    assert "2 partnerships confirmed" in confirmed.content
    pairs = {p.member_ids for p in await iln.program.store.partnerships.for_round(1)}
    assert tuple(sorted((members["Ada"].id, members["Chen"].id))) in pairs
