"""The application form as an applicant meets it, through the real client: places picked
by name with autocomplete, refused answers that keep what was typed, the status with Edit
and Withdraw, and an intro that greets people by their chosen name and shows only what
each agreed to share."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from cogs._apply_form import INTERESTS_LENGTH
from tests.e2e.harness import Iln
from tests.e2e.test_apply_match import (
    apply,
    button_id,
    modal_values,
    open_form,
    open_round,
    reply,
    select_id,
)
from tests.emulator import DriverError

LAN_WHERE = {"country": "VN", "timezone": "Asia/Ho_Chi_Minh", "languages": "Vietnamese, English"}
LAN_ABOUT = {
    "name": "Nguyen Thi Lan",
    "preferred_name": "Lan",
    "institution": "Hanoi Public Library",
    "email": "lan@example.org",
    "interests": "children's services, open access",
}
LAN_HOPES = {
    "hopes": "See how Nordic libraries run reading programmes.",
    "share_email": ["yes"],
    "other_contact": "Zalo: lan.lib; WhatsApp after 6 pm",
}
CHOICES = {"Your sector": ["public"], "Your career stage": ["early"]}


async def choices(iln: Iln, member: Any, focused: str, **typed: str) -> list[dict[str, Any]]:
    result = await iln.driver.autocomplete(member, "apply form", typed, focused=focused)
    return await result.choices(timeout=5)


async def about_you(iln: Iln, member: Any, where: dict[str, str], about: dict[str, str]) -> Any:
    """Run /apply form and send the first modal; returns the answer to it."""
    opened = await open_form(iln, member, where)
    sent = await iln.driver.submit_modal(member, opened, about)
    return await sent.message(timeout=5)


async def to_hopes(iln: Iln, member: Any, about: dict[str, str]) -> Any:
    """Through the first modal and the choices, to the second modal."""
    form = await about_you(iln, member, LAN_WHERE, about)
    for placeholder, values in CHOICES.items():
        await (
            await iln.driver.select(member, form, select_id(form, placeholder), values)
        ).response()
    following = await iln.driver.click_button(member, form, button_id(form, "Next"))
    await following.response(timeout=5)
    return following


async def test_places_by_name_a_fixed_answer_and_an_intro_by_chosen_names(iln: Iln) -> None:
    driver = iln.driver
    cora = await open_round(iln)
    lan = await driver.add_member("nguyen.t.lan")
    bo = await driver.add_member("bo_lindqvist")

    # Lan types a few letters of each answer and picks from what Discord shows.
    assert {"name": "Vietnam (VN)", "value": "VN"} in await choices(
        iln, lan, "country", country="viet"
    )
    zones = await choices(iln, lan, "timezone", country="VN")
    assert zones == [{"name": "Ho Chi Minh (UTC+07:00)", "value": "Asia/Ho_Chi_Minh"}]
    spoken = await choices(iln, lan, "languages", languages="Vietnamese, Eng")
    assert spoken[0] == {"name": "Vietnamese, English", "value": "Vietnamese, English"}
    # A country with several zones lists its own, each with its offset now.
    sydney = await choices(iln, lan, "timezone", country="AU", timezone="syd")
    assert sydney == [
        {
            "name": "Sydney, New South Wales (most areas) (UTC+11:00)",
            "value": "Australia/Sydney",
        }
    ]

    # A misspelt partner country at the end: refused, named, and nothing is lost.
    hopes = await to_hopes(iln, lan, LAN_ABOUT)
    sent = await driver.submit_modal(lan, hopes, {**LAN_HOPES, "partner_countries": "Swedn"})
    refused = await sent.message(timeout=5)
    assert refused.ephemeral
    assert "**Partner's countries**: unknown country: Swedn (did you mean Sweden?)" in (
        refused.content
    )
    assert await iln.program.store.people.application(1, lan.id) is None
    fix = await driver.click_button(lan, refused, button_id(refused, "Fix my answers"))
    await fix.response(timeout=5)
    assert modal_values(fix) == {
        "hopes": LAN_HOPES["hopes"],
        "partner_countries": "Swedn",
        "returning_note": None,
        "share_email": ["yes"],
        "other_contact": LAN_HOPES["other_contact"],
    }
    fixed = await driver.submit_modal(lan, fix, {"partner_countries": "Sweden"})
    assert "your application is in" in (await fixed.message(timeout=5)).content

    # Bo gives an e-mail address but keeps it for the coordinators.
    assert (await choices(iln, bo, "country", country="swe"))[0]["value"] == "SE"
    answer = await apply(
        iln,
        bo,
        {"country": "SE", "timezone": "Europe/Stockholm", "languages": "Swedish, English"},
        {
            "name": "Bo Lindqvist",
            "preferred_name": "Bo",
            "institution": "Lund University Library",
            "email": "bo@example.org",
        },
        {"Your sector": ["academic"], "Your career stage": ["late"]},
        {"hopes": "Mentor someone early in their career.", "share_email": ["no"]},
    )
    assert "your application is in" in answer.content

    for step in ("round close-applications", "match run", "match confirm", "round start"):
        await reply(iln, cora, step)
    await iln.run_due()
    space = driver.channel("lan-and-bo")
    [intro] = driver.pins(space)
    assert "Lan and Bo" in intro.content
    cards = {embed["title"]: embed for embed in intro.embeds[:2]}
    assert set(cards) == {"Lan", "Bo"}
    lan_card = {f["name"]: f["value"] for f in cards["Lan"]["fields"]}
    assert lan_card["Full name"] == "Nguyen Thi Lan"
    assert lan_card["Country"] == "🇻🇳 Vietnam"
    assert lan_card["How to reach Lan"] == (
        "E-mail: lan@example.org\nZalo: lan.lib; WhatsApp after 6 pm"
    )
    bo_card = {f["name"]: f["value"] for f in cards["Bo"]["fields"]}
    assert "How to reach Bo" not in bo_card
    assert "bo@example.org" not in str(intro.embeds)
    assert any("Lan asked for a partner in Sweden" in str(e) for e in intro.embeds)
    # Hanoi (UTC+7) and Stockholm (UTC+1 in March) are both at work from 08:00 to 10:00
    # UTC: shown as Discord timestamps, so each partner reads them in their own time.
    [call] = [embed for embed in intro.embeds if embed["title"] == "Best time for a call"]
    [(starts, ends)] = set(re.findall(r"<t:(\d+):t> – <t:(\d+):t>", call["description"]))
    starts_at = datetime.fromtimestamp(int(starts), UTC)
    assert (starts_at.hour, int(ends) - int(starts)) == (8, 2 * 3600)
    assert "every working day" in call["description"]
    assert "Vietnamese and English" in str(cards["Lan"]["fields"])
    assert re.search(r"ends on <t:\d+:D>|until <t:\d+:D>", intro.content)


OPTION_CASES = [
    ({"country": "Narnia"}, "**Country**: not a country we know"),
    ({"country": "Kenia"}, "**Country**: not a country we know; did you mean Kenya?"),
    ({"country": "Korea"}, "did you mean North Korea or South Korea?"),
    (
        {"country": "KE", "timezone": "Europe/London"},
        "**Time zone**: not a time zone of Kenya; choose one of Nairobi",
    ),
    ({"country": "AU", "timezone": "Mars/Olympus"}, "not a time zone of Australia; choose one"),
    ({"languages": "Klingon"}, "**Languages**: unknown language: Klingon"),
    ({"languages": "English, Spansh"}, "unknown language: Spansh (did you mean Spanish?)"),
    (
        {"languages": "en, fr, de, es, it, pt, nl, sv, da, fi, no"},
        "**Languages**: at most 10 languages (this has 11)",
    ),
]


async def test_bad_options_are_refused_before_any_modal(iln: Iln) -> None:
    await open_round(iln)
    lan = await iln.driver.add_member("Lan")
    for given, expected in OPTION_CASES:
        sent = await iln.driver.invoke_slash(lan, "apply form", {**LAN_WHERE, **given})
        refusal = await sent.response(timeout=5)
        assert refusal.modal is None and refusal.ephemeral, given
        assert expected in refusal.content, (given, refusal.content)
    # Discord's client stops typing at an option's maximum.
    with pytest.raises(DriverError, match="length out of range"):
        await iln.driver.invoke_slash(lan, "apply form", {**LAN_WHERE, "country": "K" * 101})
    assert await iln.program.store.people.applications(1) == []


ABOUT_CASES = [
    ({"name": "   "}, "**Full name**: a value is required"),
    ({"preferred_name": "  "}, "**What we should call you**: a value is required"),
    ({"institution": "   "}, "**Library or institution**: a value is required"),
    ({"email": "lan@"}, "**E-mail**: value is not a valid email address"),
    (
        {"interests": ", ".join(f"topic {n}" for n in range(11))},
        "**Interests**: at most 10 interests (this has 11)",
    ),
    ({"interests": "x" * 61}, "**Interests**: each interest at most 60 characters"),
]
HOPES_CASES = [
    ({"hopes": "   "}, "**Hopes**: a value is required"),
    ({"partner_countries": "Narnia"}, "**Partner's countries**: unknown country: Narnia"),
    ({"partner_countries": "Kenia, Japan"}, "unknown country: Kenia (did you mean Kenya?)"),
]
# Over their maximum, the client itself refuses: each modal field declares it.
TOO_LONG = [
    ("about", "name", 101),
    ("about", "preferred_name", 51),
    ("about", "institution", 201),
    ("about", "interests", INTERESTS_LENGTH + 1),
    ("hopes", "hopes", 1001),
    ("hopes", "returning_note", 1001),
    ("hopes", "other_contact", 301),
    ("hopes", "partner_countries", 301),
]


async def test_bad_answers_are_refused_keep_what_was_typed_and_save_nothing(iln: Iln) -> None:
    await open_round(iln)
    lan = await iln.driver.add_member("Lan")
    for given, expected in ABOUT_CASES:
        refused = await about_you(iln, lan, LAN_WHERE, {**LAN_ABOUT, **given})
        assert refused.ephemeral and expected in refused.content, (given, refused.content)
        fix = await iln.driver.click_button(lan, refused, button_id(refused, "Fix my answers"))
        await fix.response(timeout=5)
        assert modal_values(fix) == {**LAN_ABOUT, **given}, given
    for given, expected in HOPES_CASES:
        hopes = await to_hopes(iln, lan, LAN_ABOUT)
        sent = await iln.driver.submit_modal(lan, hopes, {**LAN_HOPES, **given})
        refused = await sent.message(timeout=5)
        assert refused.ephemeral and expected in refused.content, (given, refused.content)
        assert button_id(refused, "Fix my answers")
    for step, key, length in TOO_LONG:
        source = await to_hopes(iln, lan, LAN_ABOUT) if step == "hopes" else None
        if source is None:
            source = await open_form(iln, lan, LAN_WHERE)
        with pytest.raises(DriverError, match="length out of range"):
            base = LAN_HOPES if step == "hopes" else LAN_ABOUT
            await iln.driver.submit_modal(lan, source, {**base, key: "x" * length})
    assert await iln.program.store.people.applications(1) == []


async def test_status_shows_everything_with_edit_and_withdraw(iln: Iln) -> None:
    driver = iln.driver
    cora = await iln.coordinator()
    lan = await driver.add_member("Lan")
    await reply(iln, cora, "round create", name="2027A", start="2027-03-01")
    early = await driver.invoke_slash(lan, "apply form", LAN_WHERE)
    not_yet = await early.response(timeout=5)
    assert not_yet.modal is None
    assert "Applications for **2027A** are not open yet" in not_yet.content
    assert "`/notify-me on`" in not_yet.content
    await reply(iln, cora, "round open")
    answer = await apply(iln, lan, LAN_WHERE, LAN_ABOUT, CHOICES, LAN_HOPES)
    assert "your application is in" in answer.content

    status = await reply(iln, lan, "apply status")
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert fields["Full name"] == "Nguyen Thi Lan" and fields["We call you"] == "Lan"
    assert fields["E-mail"] == "lan@example.org (shown to your partner)"
    assert fields["Other ways to reach you (shown to your partner)"].startswith("Zalo")
    assert fields["Country"] == "🇻🇳 Vietnam" and fields["Languages"] == "Vietnamese, English"
    assert fields["Time zone"] == "Ho Chi Minh (UTC+07:00)"
    assert fields["Partner's country"] == "any other country"

    edit = await driver.click_button(lan, status, button_id(status, "Edit"))
    await edit.response(timeout=5)
    assert modal_values(edit) == LAN_ABOUT
    about = await driver.submit_modal(lan, edit, {"preferred_name": "Lan Nguyen"})
    form = await about.message(timeout=5)
    following = await driver.click_button(lan, form, button_id(form, "Next"))
    await following.response(timeout=5)
    assert modal_values(following)["share_email"] == ["yes"]
    done = await driver.submit_modal(lan, following, {"share_email": ["no"]})
    assert "updated" in (await done.message(timeout=5)).content
    saved = await iln.program.store.people.application(1, lan.id)
    assert (saved.called, saved.share_email) == ("Lan Nguyen", False)

    asked = await driver.click_button(lan, status, button_id(status, "Withdraw"))
    form = await asked.response(timeout=5)
    assert form.modal is not None and form.modal["title"] == "Withdraw from the round"
    assert await iln.program.store.people.application(1, lan.id) is not None  # not yet
    gone = await driver.submit_modal(lan, asked, {"message": ""})
    assert "Your application is withdrawn" in (await gone.response(timeout=5)).content
    assert await iln.program.store.people.application(1, lan.id) is None

    await apply(iln, lan, LAN_WHERE, LAN_ABOUT, CHOICES, LAN_HOPES)
    await reply(iln, cora, "round close-applications")
    closed = await reply(iln, lan, "apply status")
    # Once applications close there is nothing to edit, but one can still withdraw.
    [row] = closed.components
    assert closed.embeds and [b["label"] for b in row["components"]] == ["Withdraw"]
