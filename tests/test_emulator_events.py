"""Self-tests of what other issues need from the emulator: guild scheduled events (the
Guild Scheduled Event page of Discord's docs), voice and stage channels made by the driver,
and the fault "Discord applied the request but answered with a 5xx"."""

from __future__ import annotations

import datetime as dt
from typing import Any

import discord
import pytest
from discord.ext import commands

from tests.emulator import DiscordEmulator, minimal_bot, running_client
from tests.emulator import permissions as P
from tests.emulator.state import discord_time

pytestmark = pytest.mark.e2e

T0 = dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC)
EVENTS = "/guilds/{guild_id}/scheduled-events"


def events_bot() -> commands.Bot:
    intents = minimal_bot().intents
    intents.guild_scheduled_events = True  # GUILD_SCHEDULED_EVENTS (1 << 16)
    return commands.Bot(command_prefix="!", intents=intents)


async def refused(action: Any, status: int, code: int) -> None:
    with pytest.raises(discord.HTTPException) as info:
        await action
    assert (info.value.status, info.value.code) == (status, code), info.value.text


async def test_scheduled_events_follow_the_documented_rules(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    voice = await d.create_voice_channel("Discussion room")
    stage = await d.create_voice_channel("Stage", stage=True)
    ada = await d.add_member("ada")
    bo = await d.add_member("bo")
    bot = events_bot()
    heard: list[str] = []

    @bot.event
    async def on_scheduled_event_user_add(
        event: discord.ScheduledEvent, user: discord.User
    ) -> None:
        heard.append(f"add {user.name}")

    @bot.event
    async def on_scheduled_event_update(
        before: discord.ScheduledEvent, after: discord.ScheduledEvent
    ) -> None:
        heard.append(f"status {after.status.name}")

    with discord_time(lambda: T0.timestamp()):
        async with running_client(emulator, bot):
            guild = bot.get_guild(emulator.guild.id)  # type: ignore[union-attr]
            assert guild is not None
            room = guild.get_channel(voice.id)
            assert isinstance(room, discord.VoiceChannel)
            start = T0 + dt.timedelta(days=1)
            args: dict[str, Any] = {
                "name": "Topic 1 live",
                "start_time": start,
                "entity_type": discord.EntityType.voice,
                "channel": room,
                "privacy_level": discord.PrivacyLevel.guild_only,
            }
            # Since 23 February 2026 creating needs Create Events (Manage Events is not it).
            await d.set_role_permissions(emulator.bot_role, P.DEFAULT_BOT | P.MANAGE_EVENTS)  # type: ignore[arg-type]
            await refused(guild.create_scheduled_event(**args), 403, 50013)
            await d.set_role_permissions(emulator.bot_role, P.DEFAULT_BOT | P.CREATE_EVENTS)  # type: ignore[arg-type]
            await refused(
                guild.create_scheduled_event(**{**args, "start_time": T0 - dt.timedelta(hours=1)}),
                400,
                50035,
            )
            # A stage event also needs Manage Channels, Mute and Move Members there.
            on_stage = {**args, "entity_type": discord.EntityType.stage_instance}
            on_stage["channel"] = guild.get_channel(stage.id)
            await refused(guild.create_scheduled_event(**on_stage), 403, 50013)
            # External events: no channel, a location, an end time (raw: discord.py checks).
            route = discord.http.Route("POST", EVENTS, guild_id=guild.id)
            external = {
                "name": "Meet-up",
                "privacy_level": 2,
                "entity_type": 3,
                "scheduled_start_time": start.isoformat(),
                "entity_metadata": {"location": "Library"},
            }
            await refused(bot.http.request(route, json=external), 400, 50035)
            voice_with_place = {**external, "entity_type": 2, "channel_id": str(voice.id)}
            await refused(bot.http.request(route, json=voice_with_place), 400, 50035)
            event = await guild.create_scheduled_event(**args)
            assert event.status is discord.EventStatus.scheduled
            # Members press Interested; the bot reads them through the event's users.
            await d.mark_interested(ada, d.scheduled_event("Topic 1 live"))
            await d.mark_interested(bo, d.scheduled_event("Topic 1 live"))
            await d.unmark_interested(bo, d.scheduled_event("Topic 1 live"))
            await d.wait_for(lambda: "add bo" in heard)
            assert [u.id async for u in event.users()] == [ada.id]
            # Status: SCHEDULED -> ACTIVE -> COMPLETED only; then it is finished.
            one = discord.http.Route(
                "PATCH", EVENTS + "/{event_id}", guild_id=guild.id, event_id=event.id
            )
            await refused(bot.http.request(one, json={"status": 3}), 400, 50035)
            event = await event.start()
            assert event.status is discord.EventStatus.active
            await refused(bot.http.request(one, json={"status": 4}), 400, 50035)
            event = await event.end()
            await refused(event.edit(name="again"), 400, 180000)
            # People's events: the driver starts and ends them; the bot hears it.
            theirs = await d.create_scheduled_event("Coffee", start, channel=voice)
            await d.start_event(theirs)
            await d.wait_for(lambda: "status active" in heard[-1:])
            with pytest.raises(Exception, match="cannot go"):
                await d.cancel_event(theirs)
            mine = guild.get_scheduled_event(theirs.id)
            assert mine is not None
            await refused(mine.delete(), 403, 50013)  # another's event needs Manage Events
            await d.set_role_permissions(emulator.bot_role, P.DEFAULT_BOT | P.MANAGE_EVENTS)  # type: ignore[arg-type]
            await mine.delete()
            listed = await guild.fetch_scheduled_events()
    assert [e.name for e in listed] == ["Topic 1 live"]
    assert [e.name for e in d.scheduled_events()] == ["Topic 1 live"]
    assert d.interested(d.scheduled_event("Topic 1 live")) == [ada]
    assert [c.type for c in (voice, stage)] == [2, 13]


async def test_external_events_start_and_end_by_themselves(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    clock = [T0.timestamp()]
    with discord_time(lambda: clock[0]):
        event = await d.create_scheduled_event(
            "Meet-up",
            T0 + dt.timedelta(hours=1),
            end=T0 + dt.timedelta(hours=2),
            location="Library",
        )
        forgotten = await d.create_scheduled_event(
            "Forgotten", T0 + dt.timedelta(hours=1), channel=await d.create_voice_channel("v")
        )
        clock[0] += 3600
        assert await d.run_event_automation() == [event]
        assert event.status == 2
        clock[0] += 3600
        await d.run_event_automation()
        assert event.status == 3 and forgotten.status == 1
        clock[0] += 3600
        await d.run_event_automation()
        assert forgotten.status == 4


async def test_applied_then_500_makes_discord_py_create_twice(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    emulator.faults.fail_after_apply("POST", "/guilds/{guild_id}/channels", status=500)
    bot = minimal_bot()
    async with running_client(emulator, bot):
        guild = bot.get_guild(emulator.guild.id)  # type: ignore[union-attr]
        assert guild is not None
        await guild.create_text_channel("space")  # discord.py sleeps 1 s, retries the 500
        # discord.py gives every send() a random nonce with enforce_nonce, so its retry of
        # a message Discord applied returns that message instead of a second one.
        channel = d.channel("space")
        emulator.faults.fail_after_apply("POST", "/channels/*/messages", status=502)
        ch = guild.get_channel(channel.id)
        assert isinstance(ch, discord.TextChannel)
        with pytest.raises(discord.HTTPException):
            await ch.send()  # refused (empty): does not use up the fault
        await ch.send("intro")
    creates = d.requests("POST", "/guilds/{guild_id}/channels")
    assert [p.status for p in creates] == [500, 201]
    assert creates[0].applied is not None and creates[0].applied[0] == 201
    assert [c.name for c in d.channels()] == ["space", "space"]
    posts = d.requests("POST", "/channels/{channel_id}/messages")
    assert [p.status for p in posts] == [400, 502, 200]
    assert [m.content for m in d.messages(channel)] == ["intro"]
    with pytest.raises(ValueError):
        emulator.faults.fail_after_apply("POST", "/channels/*/messages", status=404)


async def test_members_post_photos_in_forums(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    desks = await d.create_forum("welcometomydesk", tags=["desk"], require_tag=True)
    ada = await d.add_member("ada")
    bot = minimal_bot()
    async with running_client(emulator, bot):
        with pytest.raises(Exception, match="requires a tag"):
            await d.create_forum_post(ada, desks, "My desk", "hello")
        post, starter = await d.create_forum_post(
            ada, desks, "My desk", "plants!", files={"desk.jpg": b"\xff\xd8"}, tags=["desk"]
        )
        await d.wait_for(lambda: bot.get_channel(post.id))
        thread = bot.get_channel(post.id)
        assert isinstance(thread, discord.Thread) and thread.owner_id == ada.id
        fetched = await thread.fetch_message(starter.id)
        # Without the Message Content intent a bot sees no one else's attachments.
        assert fetched.attachments == [] and fetched.author.id == ada.id
    assert d.attachment_bytes(starter.attachments[0]) == b"\xff\xd8"
    assert starter.attachments[0]["filename"] == "desk.jpg"
