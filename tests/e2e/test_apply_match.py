"""Applicants apply in Discord; coordinators preview, adjust and confirm the matching."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.e2e.harness import Iln

ABOUT = {
    "institution": "Lagos City Library",
    "country": "ng",
    "timezone": "Africa/Lagos",
    "languages": "en, yo",
    "interests": "makerspaces; open access",
}


async def reply(iln: Iln, member: Any, slash: str, **options: Any) -> Any:
    result = await iln.driver.invoke_slash(member, slash, options)
    return await result.message(timeout=5)


def select_id(message: Any, placeholder_start: str) -> str:
    for row in message.components:
        for item in row["components"]:
            if item.get("placeholder", "").startswith(placeholder_start):
                return str(item["custom_id"])
    raise AssertionError(f"no select starting {placeholder_start!r}")


def button_id(message: Any, label: str) -> str:
    for row in message.components:
        for item in row["components"]:
            if item.get("label") == label:
                return str(item["custom_id"])
    raise AssertionError(f"no button {label!r}")


async def apply(
    iln: Iln,
    member: Any,
    about: dict[str, str],
    choices: dict[str, list[str]],
    hopes: dict[str, str],
) -> Any:
    """Fill in the whole /apply form as a person would; returns the final answer."""
    driver = iln.driver
    opened = await driver.invoke_slash(member, "apply form")
    await opened.response(timeout=5)
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


async def test_apply_then_preview_pin_and_confirm(iln: Iln) -> None:
    driver = iln.driver
    cora = await iln.coordinator()
    ada, bo = await driver.add_member("Ada Okafor"), await driver.add_member("Bo Lindqvist")
    closed = await reply(iln, ada, "apply form")  # no round yet: a polite refusal, no modal
    assert closed.ephemeral and "no current round" in closed.content.lower()

    await reply(iln, cora, "round create", name="2027A", start="2027-03-01")
    await reply(iln, cora, "round open")
    answer = await apply(
        iln,
        ada,
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
        {
            "institution": "Lund University Library",
            "country": "SE",
            "timezone": "Europe/Stockholm",
            "languages": "en; sv",
            "interests": "open access",
        },
        {"Your sector": ["academic"], "Your career stage": ["late"]},
        {"hopes": "Mentor someone early in their career.", "returning_note": "More video calls."},
    )
    assert "your application is in" in answer.content

    status = await reply(iln, ada, "apply status")
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert fields["Country"] == "NG" and fields["Languages"] == "en, yo"
    assert fields["Partner's sector"] == "academic"

    # Running it again edits the application; the form starts from what was sent.
    again = await apply(
        iln,
        ada,
        {**ABOUT, "interests": "makerspaces; research data"},
        {"Your sector": ["public"], "Your career stage": ["early"]},
        {"hopes": "Learn how academic libraries teach research skills."},
    )
    assert "updated" in again.content
    saved = await iln.program.store.people.application(1, ada.id)
    assert saved.interests == ("makerspaces", "research data")
    assert saved.partner_career_stages == {"late"}  # kept from the first time

    # A bad country is refused with the field named, and nothing is saved.
    bad = await apply(
        iln,
        ada,
        {**ABOUT, "country": "XX"},
        {"Your sector": ["public"], "Your career stage": ["early"]},
        {"hopes": "x"},
    )
    assert bad.ephemeral and "Country" in bad.content and "XX" in bad.content

    await reply(iln, cora, "round close-applications")
    late = await apply(
        iln,
        bo,
        {**ABOUT, "country": "SE", "timezone": "Europe/Stockholm"},
        {"Your sector": ["academic"], "Your career stage": ["late"]},
        {"hopes": "x"},
    )
    assert "not open" in late.content

    preview = await reply(iln, cora, "match preview")
    embed = preview.embeds[0]
    assert "Matched 2 of 2" in embed["description"]
    assert "Partner wishes met: 2 of 2" in embed["description"]
    [pair] = embed["fields"]
    assert "Ada Okafor asked for an academic librarian" in pair["value"]
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
