"""Self-tests: the emulator refuses what Discord's documentation says Discord refuses.

One test per rule, each through the real discord.py client where the rule is about what a
bot sends; README.md ("Rules held to Discord's documentation") names each rule's source.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import discord
import pytest
from discord.ext import commands

from tests.emulator import DiscordEmulator, Overwrite, minimal_bot, running_client
from tests.emulator import permissions as P
from tests.emulator.state import discord_time

pytestmark = pytest.mark.e2e

PO = discord.PermissionOverwrite


def guild_of(bot: commands.Bot, emulator: DiscordEmulator) -> discord.Guild:
    guild = bot.get_guild(emulator.guild.id)  # type: ignore[union-attr]
    assert guild is not None
    return guild


async def refused(action: Any, status: int, code: int) -> discord.HTTPException:
    with pytest.raises(discord.HTTPException) as info:
        await action
    assert (info.value.status, info.value.code) == (status, code), info.value.text
    return info.value


# Rule 1 -------------------------------------------------------------------------------------


async def test_overwrites_grant_only_what_the_bot_holds(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    bot = minimal_bot()
    async with running_client(emulator, bot):
        guild = guild_of(bot, emulator)
        me = guild.me
        hidden = {guild.default_role: PO(view_channel=False)}
        # Create: Manage Permissions (MANAGE_ROLES) in an overwrite is for administrators only.
        await refused(
            guild.create_text_channel(
                "mine", overwrites={**hidden, me: PO(view_channel=True, manage_permissions=True)}
            ),
            403,
            50013,
        )
        await refused(
            guild.create_category("mine", overwrites={me: PO(manage_roles=True)}), 403, 50013
        )
        # Create: allowing or denying a permission the bot lacks in the guild (Manage Webhooks).
        for overwrite in (PO(manage_webhooks=True), PO(manage_webhooks=False)):
            await refused(
                guild.create_text_channel("hooks", overwrites={guild.default_role: overwrite}),
                403,
                50013,
            )
        space = await guild.create_text_channel(
            "space", overwrites={**hidden, me: PO(view_channel=True, send_messages=True)}
        )
        # Edit, one PATCH and one PUT: the same rules.
        await refused(
            space.edit(overwrites={**hidden, me: PO(view_channel=True, manage_permissions=True)}),
            403,
            50013,
        )
        await refused(space.set_permissions(guild.default_role, manage_webhooks=False), 403, 50013)
        # Unchanged bits are not re-checked; granting what the bot holds is fine.
        await space.set_permissions(guild.default_role, view_channel=False, send_messages=False)
        # Editing overwrites needs Manage Roles at all.
        await d.set_role_permissions(emulator.bot_role, P.DEFAULT_BOT & ~P.MANAGE_ROLES)  # type: ignore[arg-type]
        await refused(space.set_permissions(guild.default_role, view_channel=False), 403, 50013)
        await d.set_role_permissions(emulator.bot_role, P.DEFAULT_BOT)  # type: ignore[arg-type]
        # A MANAGE_ROLES overwrite for the bot in a channel lifts the limits there.
        managed = await d.create_channel(
            "managed",
            overwrites=[Overwrite(bot.user.id, 1, P.VIEW_CHANNEL | P.MANAGE_ROLES)],  # type: ignore[union-attr]
        )
        await d.wait_for(lambda: guild.get_channel(managed.id))
        channel = guild.get_channel(managed.id)
        assert isinstance(channel, discord.TextChannel)
        await channel.set_permissions(guild.default_role, manage_webhooks=False)
        await channel.set_permissions(guild.default_role, manage_permissions=False)
        # An administrator may do all of it.
        await d.set_role_permissions(emulator.bot_role, P.DEFAULT_BOT | P.ADMINISTRATOR)  # type: ignore[arg-type]
        await guild.create_text_channel(
            "admin", overwrites={me: PO(view_channel=True, manage_permissions=True)}
        )
    names = [c.name for c in d.channels()]
    assert "mine" not in names and "hooks" not in names and "admin" in names
    stored = d.world.channel(space.id)
    assert d.overwrites(stored)[emulator.guild.id].deny == P.VIEW_CHANNEL | P.SEND_MESSAGES  # type: ignore[union-attr]


# Rule 2 -------------------------------------------------------------------------------------


async def test_mentions_follow_allowed_mentions_and_permissions(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    pingable = await d.create_role("pingable", mentionable=True)
    quiet = await d.create_role("quiet")
    ada = await d.add_member("ada", [pingable, quiet])
    bo = await d.add_member("bo")
    general = await d.create_channel("general")
    secret = await d.create_channel(
        "secret",
        overwrites=[
            Overwrite(emulator.guild.id, 0, 0, P.VIEW_CHANNEL),  # type: ignore[union-attr]
            Overwrite(d.bot.id, 1, P.VIEW_CHANNEL),
        ],
    )
    bot = minimal_bot()
    async with running_client(emulator, bot):
        channel = bot.get_channel(general.id)
        assert isinstance(channel, discord.TextChannel)
        both = f"<@{ada.id}> <@{bo.id}>"
        # users= lists who may be pinged; the raw text does not decide.
        only_ada = await channel.send(
            both, allowed_mentions=discord.AllowedMentions(users=[discord.Object(ada.id)])
        )
        assert [u.id for u in only_ada.mentions] == [ada.id]
        none = await channel.send(both, allowed_mentions=discord.AllowedMentions.none())
        assert none.mentions == []
        # A role is pinged only when mentionable, or the sender has Mention Everyone.
        roles = f"<@&{pingable.id}> <@&{quiet.id}> @everyone"
        await d.set_role_permissions(emulator.bot_role, P.DEFAULT_BOT & ~P.MENTION_EVERYONE)  # type: ignore[arg-type]
        plain = await channel.send(roles)
        assert [r.id for r in plain.role_mentions] == [pingable.id] and not plain.mention_everyone
        await d.set_role_permissions(emulator.bot_role, P.DEFAULT_BOT)  # type: ignore[arg-type]
        loud = await channel.send(roles)
        assert {r.id for r in loud.role_mentions} == {pingable.id, quiet.id}
        assert loud.mention_everyone
        # parse: ["users"] with a users list is contradictory: 400, Invalid Form Body.
        route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=general.id)
        body = {"content": both, "allowed_mentions": {"parse": ["users"], "users": [str(ada.id)]}}
        error = await refused(bot.http.request(route, json=body), 400, 50035)
        assert "mutually exclusive" in error.text
        # Nobody is pinged where they cannot see the message.
        hidden = bot.get_channel(secret.id)
        assert isinstance(hidden, discord.TextChannel)
        unseen = await hidden.send(f"<@{bo.id}>")
    assert d.was_pinged(ada, d.world.find_message(only_ada.id))
    assert not d.was_pinged(bo, d.world.find_message(only_ada.id))
    assert not d.was_pinged(ada, d.world.find_message(none.id))
    assert d.notifications(ada)[-1].message.id == loud.id
    assert d.notifications(ada)[-1].reason in ("role", "everyone")
    assert d.notifications(bo, secret) == []
    assert [m.mentions for m in d.messages(secret)] == [[bo.user]]
    assert not d.was_pinged(bo, d.world.find_message(unseen.id))
    # A member's @everyone without Mention Everyone pings nobody.
    said = await d.send_message(bo, general, "@everyone hello")
    assert not said.mention_everyone and not d.was_pinged(ada, said)


async def test_interaction_answers_parse_only_users_by_default(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    role = await d.create_role("waitlist", mentionable=True)
    ada = await d.add_member("ada", [role])
    await d.create_channel("general")
    bot = minimal_bot()

    @bot.tree.command(description="Ping")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"<@&{role.id}> <@{ada.id}>")

    async with running_client(emulator, bot):
        guild = discord.Object(emulator.guild.id)  # type: ignore[union-attr]
        bot.tree.copy_global_to(guild=guild)
        await bot.tree.sync(guild=guild)
        result = await d.invoke_slash(ada, "ping")
        answer = (await result.response()).message
    assert answer is not None
    assert [u.id for u in answer.mentions] == [ada.id] and answer.mention_roles == []


# Rule 3 -------------------------------------------------------------------------------------


async def test_enforce_nonce_window_follows_discords_clock(emulator: DiscordEmulator) -> None:
    channel = await emulator.driver.create_channel("general")
    clock = [dt.datetime(2027, 3, 1, tzinfo=dt.UTC).timestamp()]
    bot = minimal_bot()
    with discord_time(lambda: clock[0]):
        async with running_client(emulator, bot):
            ch = bot.get_channel(channel.id)
            assert isinstance(ch, discord.TextChannel)
            first = await ch.send("intro", nonce="post-1")  # discord.py sets enforce_nonce
            clock[0] += emulator.nonce_window - 1
            again = await ch.send("intro", nonce="post-1")
            assert again.id == first.id  # within the window: the original comes back
            clock[0] += 3 * 3600  # a long outage
            late = await ch.send("intro", nonce="post-1")
            assert late.id != first.id
            route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=ch.id)
            for _ in range(2):  # a nonce without enforce_nonce is not de-duplicated
                await bot.http.request(route, json={"content": "plain", "nonce": "n-2"})
    assert [m.content for m in emulator.driver.messages(channel)] == [
        "intro",
        "intro",
        "plain",
        "plain",
    ]


# Rule 6 -------------------------------------------------------------------------------------


async def test_forum_tags_and_require_tag(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    strict = await d.create_forum("cohort", tags=["Topic 1", "Topic 2"], require_tag=True)
    bot = minimal_bot()
    async with running_client(emulator, bot):
        forum = bot.get_channel(strict.id)
        assert isinstance(forum, discord.ForumChannel)
        assert [t.name for t in forum.available_tags] == ["Topic 1", "Topic 2"]
        await refused(forum.create_thread(name="no tag", content="hello"), 400, 40067)
        tagged = await forum.create_thread(
            name="tagged",
            content="hello",
            applied_tags=[forum.available_tags[0]],
            file=discord.File(__file__, filename="desk.txt"),
        )
        assert tagged.thread.applied_tags[0].name == "Topic 1"
        assert tagged.message.attachments[0].filename == "desk.txt"
        route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=forum.id)
        await refused(bot.http.request(route, json={"content": "x"}), 400, 40058)
        # Tags the bot makes: ids assigned, names unique, REQUIRE_TAG set by edit.
        made = await guild_of(bot, emulator).create_forum(
            "made", available_tags=[discord.ForumTag(name="a"), discord.ForumTag(name="b")]
        )
        await made.edit(require_tag=True)
        await refused(
            made.edit(available_tags=[discord.ForumTag(name="a"), discord.ForumTag(name="a")]),
            400,
            40061,
        )
        unknown = discord.http.Route("POST", "/channels/{channel_id}/threads", channel_id=made.id)
        body = {"name": "x", "message": {"content": "x"}, "applied_tags": [str(strict.id)]}
        await refused(bot.http.request(unknown, json=body), 400, 50035)
    stored = d.channel("made")
    assert stored.flags == 1 << 4 and all(t["id"].isdigit() for t in stored.available_tags)
    assert [t.name for t in d.forum_posts(strict)] == ["tagged"]


# Rule 7 -------------------------------------------------------------------------------------


async def test_pins_need_pin_messages_and_stop_at_250(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    channel = await d.create_channel("general")
    ada = await d.add_member("ada")
    bot = minimal_bot()
    async with running_client(emulator, bot):
        ch = bot.get_channel(channel.id)
        assert isinstance(ch, discord.TextChannel)
        message = await ch.send("intro")
        await d.set_role_permissions(emulator.bot_role, P.DEFAULT_BOT & ~P.PIN_MESSAGES)  # type: ignore[arg-type]
        await refused(message.pin(), 403, 50013)  # Manage Messages alone no longer pins
        legacy = discord.http.Route(
            "PUT",
            "/channels/{channel_id}/pins/{message_id}",
            channel_id=ch.id,
            message_id=message.id,
        )
        await refused(bot.http.request(legacy), 403, 50013)
        with discord_time(lambda: dt.datetime(2026, 2, 22, tzinfo=dt.UTC).timestamp()):
            await message.pin()  # before 23 February 2026, Manage Messages still did
            await message.unpin()
        await d.set_role_permissions(emulator.bot_role, P.DEFAULT_BOT)  # type: ignore[arg-type]
        await message.pin()
        for i in range(249):
            filler = await d.send_message(ada, channel, f"filler {i}")
            filler.pinned = True
        last = await ch.send("one too many")
        await refused(last.pin(), 400, 30003)
    assert len(d.pins(channel)) == 250
