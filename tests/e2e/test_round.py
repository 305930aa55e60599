"""A whole round through the real client: create, apply, match, start, topics, the last
month and the close, with a restart in the middle."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.e2e.harness import Iln
from tests.e2e.people import FOUR, applications_csv, join

SEND_MESSAGES = 1 << 11


async def command(iln: Iln, member: Any, slash: str, channel: Any = None, **options: Any) -> Any:
    result = await iln.driver.invoke_slash(member, slash, options, channel=channel)
    return await result.message(timeout=5)


async def set_up_round(iln: Iln) -> tuple[Any, dict[str, Any]]:
    cora = await iln.coordinator()
    members = await join(iln)
    reply = await command(iln, cora, "round create", name="2027A", start="2027-03-01")
    assert "2027A" in reply.content and "1 July 2027" in reply.content
    await command(iln, cora, "round open")
    imported = await command(
        iln, cora, "applicants import", file=("applications.csv", applications_csv(FOUR, members))
    )
    assert "4 added" in imported.content
    await command(iln, cora, "round close-applications")
    preview = await command(iln, cora, "match preview")
    assert "Matched 4 of 4" in preview.embeds[0]["description"]
    await command(iln, cora, "match run")
    confirmed = await command(iln, cora, "match confirm")
    assert "2 partnerships confirmed" in confirmed.content
    started = await command(iln, cora, "round start")
    assert "2 private spaces ready" in started.content
    return cora, members


async def test_a_whole_round(iln: Iln) -> None:
    driver = iln.driver
    cora, m = await set_up_round(iln)
    ada_bo = driver.channel("ada-and-bo")
    chen_dara = driver.channel("chen-and-dara")

    # Spaces are private to their partners (and coordinators).
    assert driver.can_view(m["Ada"], ada_bo) and driver.can_view(m["Bo"], ada_bo)
    assert not driver.can_view(m["Chen"], ada_bo)
    assert driver.can_view(cora, ada_bo)

    # The intro is pinned, with an embed per partner, the reasons and the guidelines.
    [intro] = driver.pins(ada_bo)
    titles = [embed.get("title") for embed in intro.embeds]
    assert titles[:2] == ["Ada", "Bo"]  # the names they are called by
    assert "Why you were matched" in titles and "Guidelines" in titles[-1]
    assert not driver.visible_messages(m["Chen"], ada_bo)

    # Topic 1 is due on the start day at 09:00 in the pair's earliest zone.
    await iln.advance(timedelta(hours=6))
    forum = driver.channel("iln-discussions")
    assert [t.name for t in driver.forum_posts(forum)] == ["2027A: Getting to know you"]
    topic_posts = [
        msg
        for msg in driver.messages(ada_bo)
        if msg.embeds and msg.embeds[0]["title"].startswith("Topic 1")
    ]
    assert len(topic_posts) == 1
    current = await command(iln, m["Ada"], "topic current", channel=ada_bo)
    assert current.ephemeral and "Getting to know you" in current.embeds[0]["title"]

    # Restart the bot mid-round: nothing is posted twice, later topics keep coming.
    await iln.restart()
    await iln.advance(timedelta(days=92), step=timedelta(hours=12))
    [reminder] = with_button(driver.messages(ada_bo), "iln:end:keep:")
    assert "keep in touch" in str(reminder.components).lower()

    # Another restart; the reminder's buttons still work.
    await iln.restart()
    for name in ("Ada", "Bo"):
        click = await driver.click_button(m[name], reminder, f"iln:end:keep:{_pid(reminder)}")
        answer = await click.message(timeout=5)
        assert answer.ephemeral and "keep in touch" in answer.content
    [dara_reminder] = with_button(driver.messages(chen_dara), "iln:end:wrap:")
    click = await driver.click_button(
        m["Dara"], dara_reminder, f"iln:end:wrap:{_pid(dara_reminder)}"
    )
    assert "wrap up" in (await click.message(timeout=5)).content

    await iln.advance(timedelta(days=40), step=timedelta(hours=12))
    topics = [t.name for t in driver.forum_posts(forum)]
    assert len(topics) == len(set(topics)) == 9
    for space in (ada_bo, chen_dara):
        posted = [
            msg.embeds[0]["title"]
            for msg in driver.messages(space)
            if msg.embeds and msg.embeds[0].get("title", "").startswith("Topic ")
        ]
        assert len(posted) == len(set(posted)) == 9

    # The close: kept open for the pair who both chose it, read-only for the other.
    assert driver.permissions(m["Ada"], ada_bo) & SEND_MESSAGES
    assert not driver.permissions(m["Chen"], chen_dara) & SEND_MESSAGES
    assert driver.can_view(m["Chen"], chen_dara)
    closing = [msg for msg in driver.messages(chen_dara) if "notify-me" in (msg.content or "")]
    assert len(closing) == 1
    status = await command(iln, cora, "round status")
    assert "ended" in status.embeds[0]["description"]

    # Feedback from the closing message: a rating and a comment, checked and stored.
    [closing_message] = closing
    button = f"iln:feedback:{_pid(dara_reminder)}"
    opened = await driver.click_button(m["Chen"], closing_message, button)
    await opened.response(timeout=5)
    sent = await driver.submit_modal(m["Chen"], opened, {"rating": "9"})
    assert "number from 1 to 5" in (await sent.message(timeout=5)).content
    opened = await driver.click_button(m["Chen"], closing_message, button)
    await opened.response(timeout=5)
    sent = await driver.submit_modal(m["Chen"], opened, {"rating": "5", "comment": "Thanks!"})
    assert "5 (excellent)" in (await sent.message(timeout=5)).content
    [feedback] = await iln.program.store.activity.feedback(_pid(dara_reminder))
    assert (feedback.participant_id, feedback.rating) == (m["Chen"].id, 5)
    stranger = await driver.click_button(cora, closing_message, button)  # sees, not a partner
    assert "Only the partners" in (await stranger.message(timeout=5)).content


def with_button(messages: list[Any], prefix: str) -> list[Any]:
    return [msg for msg in messages if prefix in str(msg.components)]


def _pid(message: Any) -> int:
    custom_id = message.components[0]["components"][0]["custom_id"]
    return int(custom_id.rsplit(":", 1)[1])
