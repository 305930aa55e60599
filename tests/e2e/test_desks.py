"""#welcometomydesk through the real client: members post photos of their workspace, the
bot answers with "Feature my desk", and each fortnight one consenting post is featured
(a link and the author's caption, never the photo), nobody twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.harness import Iln

PHOTO = {"desk.jpg": b"\xff\xd8\xff\xe0 a photo of a desk"}
# Fortnights start on Mondays counted from 5 January 1970; 1 March 2027 is one of them,
# and the feature goes out at 14:00 UTC.
FORTNIGHTS = [datetime(2027, 3, 1, 14, tzinfo=UTC) + timedelta(days=14 * n) for n in range(4)]


async def post_desk(iln: Iln, member: Any, title: str) -> tuple[Any, Any]:
    """A member opens a post with a photo; returns the thread and the bot's answer."""
    driver = iln.driver
    forum = driver.channel("welcometomydesk")
    thread, _ = await driver.create_forum_post(member, forum, title, "", files=PHOTO)
    custom_id = f"iln:desk:feature:{thread.id}"
    await driver.wait_for(
        lambda: any(custom_id in str(msg.components) for msg in driver.messages(thread)),
        message="the bot's answer in the desk post",
    )
    [answer] = [msg for msg in driver.messages(thread) if custom_id in str(msg.components)]
    return thread, answer


async def feature_my_desk(iln: Iln, member: Any, thread: Any, answer: Any, caption: str) -> str:
    driver = iln.driver
    opened = await driver.click_button(member, answer, f"iln:desk:feature:{thread.id}")
    await opened.response(timeout=5)
    sent = await driver.submit_modal(member, opened, {"caption": caption})
    return str((await sent.message(timeout=5)).content)


def features(iln: Iln) -> list[Any]:
    announcements = iln.driver.channel("iln-announcements")
    return [m for m in iln.driver.messages(announcements) if "Desk of the fortnight" in m.content]


async def until(iln: Iln, moment: datetime) -> None:
    await iln.advance(moment - iln.clock.now(), step=timedelta(hours=6))


async def test_desks_are_featured_by_consent_and_nobody_twice(iln: Iln) -> None:
    driver = iln.driver
    ada = await driver.add_member("Ada Okafor")
    bo = await driver.add_member("Bo Lindqvist")
    forum = driver.channel("welcometomydesk")
    assert forum.type == 15  # a forum, made at start-up

    thread, answer = await post_desk(iln, ada, "My desk in Lagos")
    assert driver.was_pinged(ada, answer) and "#welcometomydesk #interlibnet" in answer.content
    # Only the author may agree to have it featured.
    stranger = await driver.click_button(bo, answer, f"iln:desk:feature:{thread.id}")
    assert "Only the person who shared" in (await stranger.message(timeout=5)).content

    # Without consent nothing is featured.
    await until(iln, FORTNIGHTS[0] + timedelta(hours=1))
    assert features(iln) == []

    # A caption naming someone is relayed as written, but pings nobody it names.
    caption = f"My reading nook, with plants (hi <@{bo.id}>!)"
    thanks = await feature_my_desk(iln, ada, thread, answer, caption)
    assert "Thank you" in thanks
    await until(iln, FORTNIGHTS[1] + timedelta(hours=1))
    [first] = features(iln)
    assert f"/channels/{driver.guild.id}/{thread.id}" in first.content
    assert "My reading nook, with plants" in first.content
    assert first.attachments == [] and first.embeds == []  # a link, never the photo
    assert driver.was_pinged(ada, first) and not driver.was_pinged(bo, first)

    # Bo shares and agrees; Ada shares a second desk and agrees again.
    bo_thread, bo_answer = await post_desk(iln, bo, "Stockholm, third floor")
    await feature_my_desk(iln, bo, bo_thread, bo_answer, "Where the catalogue is mended")
    again, again_answer = await post_desk(iln, ada, "My new desk")
    await feature_my_desk(iln, ada, again, again_answer, "Moved offices!")
    await iln.restart()
    await until(iln, FORTNIGHTS[2] + timedelta(hours=1))
    await iln.restart()
    await until(iln, FORTNIGHTS[3] + timedelta(hours=1))
    featured = features(iln)
    assert len(featured) == 2
    assert f"/{bo_thread.id}" in featured[1].content
    assert "catalogue is mended" in featured[1].content
    assert all(f"/{again.id}" not in m.content for m in featured)  # Ada was featured already


async def test_posts_made_while_the_bot_was_away_are_answered(iln: Iln) -> None:
    driver = iln.driver
    chen = await driver.add_member("Chen Wei")
    await iln.stop()
    forum = driver.channel("welcometomydesk")
    thread, _ = await driver.create_forum_post(chen, forum, "Singapore", "", files=PHOTO)
    await iln.start()
    custom_id = f"iln:desk:feature:{thread.id}"
    await driver.wait_for(
        lambda: any(custom_id in str(msg.components) for msg in driver.messages(thread)),
        message="the late answer",
    )
    await iln.restart()
    answers = [msg for msg in driver.messages(thread) if custom_id in str(msg.components)]
    assert len(answers) == 1
