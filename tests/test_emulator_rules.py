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


# Rule 9: the rest of what the bot relies on ---------------------------------------------------


async def test_component_layout_rules(emulator: DiscordEmulator) -> None:
    channel = await emulator.driver.create_channel("general")
    bot = minimal_bot()
    button = {"type": 2, "style": 1, "label": "Yes", "custom_id": "iln:yes"}
    select = {"type": 3, "custom_id": "iln:pick", "options": [{"label": "a", "value": "a"}]}
    link = {"type": 2, "style": 5, "label": "Docs", "url": "https://example.org"}
    bad_rows = {
        "COMPONENT_CUSTOM_ID_DUPLICATED": [{"type": 1, "components": [button, button]}],
        "COMPONENT_LAYOUT_WIDTH_EXCEEDED": [{"type": 1, "components": [button, select]}],
        "BUTTON_COMPONENT_URL_REQUIRED": [
            {"type": 1, "components": [{**link, "custom_id": "iln:link"}]}
        ],
        "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED": [
            {"type": 1, "components": [{"type": 2, "style": 1, "label": "No id"}]}
        ],
    }
    async with running_client(emulator, bot):
        route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel.id)
        for code, rows in bad_rows.items():
            await refused(bot.http.request(route, json={"components": rows}), 400, 50035)
            answer = emulator.driver.requests("POST", route.path)[-1].response
            assert code in str(answer["errors"])
        ok = {"components": [{"type": 1, "components": [button, link]}]}
        await bot.http.request(route, json=ok)
    [sent] = emulator.driver.messages(channel)
    assert [c["id"] for c in sent.components[0]["components"]] == [2, 3]  # ids filled in


async def test_threads_the_bot_makes_and_manages(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    parent = await d.create_channel("partners")
    ada = await d.add_member("ada")
    bot = minimal_bot()
    async with running_client(emulator, bot):
        ch = bot.get_channel(parent.id)
        assert isinstance(ch, discord.TextChannel)
        create = discord.http.Route("POST", "/channels/{channel_id}/threads", channel_id=ch.id)
        bad = {"name": "pair", "type": 12, "auto_archive_duration": 2880}
        await refused(bot.http.request(create, json=bad), 400, 50035)
        assert [v.field for v in emulator.take_violations()] == ["auto_archive_duration"]
        thread = await ch.create_thread(
            name="pair", type=discord.ChannelType.private_thread, invitable=False
        )
        # Without Manage Threads: no adding others to a non-invitable thread, no locking.
        await d.set_role_permissions(emulator.bot_role, P.DEFAULT_BOT & ~P.MANAGE_THREADS)  # type: ignore[arg-type]
        await refused(thread.add_user(discord.Object(ada.id)), 403, 50013)
        await refused(thread.edit(locked=True), 403, 50013)
        await d.set_role_permissions(emulator.bot_role, P.DEFAULT_BOT)  # type: ignore[arg-type]
        await thread.add_user(discord.Object(ada.id))
        thread = await thread.edit(archived=True, locked=True)
        await refused(thread.add_user(discord.Object(bot.user.id)), 400, 50083)  # type: ignore[union-attr]
        await refused(thread.edit(name="renamed"), 400, 50083)
        await thread.edit(archived=False)
    stored = d.threads(parent)[0]
    assert stored.type == 12 and not stored.invitable and ada.id in stored.thread_members
    assert stored.locked and not stored.archived and stored.name == "pair"


async def test_dms_roles_and_interaction_tokens(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    stranger = d.world.create_user("stranger")  # shares no guild with the bot
    ada = await d.add_member("ada")
    role = await d.create_role("waitlist")
    await d.create_channel("general")
    bot = minimal_bot()

    @bot.tree.command(description="Slow follow-up")
    async def later(interaction: discord.Interaction) -> None:
        await interaction.response.defer()

    @bot.tree.command(description="Answered by the test itself")
    async def silent(interaction: discord.Interaction) -> None:
        pass

    async with running_client(emulator, bot):
        dm = await bot.http.start_private_message(stranger.id)
        route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=dm["id"])
        await refused(bot.http.request(route, json={"content": "hi"}), 403, 50278)
        guild = guild_of(bot, emulator)
        waitlist = guild.get_role(role.id)
        assert waitlist is not None
        await refused(waitlist.edit(permissions=discord.Permissions(ban_members=True)), 403, 50013)
        target = discord.Object(emulator.guild.id)  # type: ignore[union-attr]
        bot.tree.copy_global_to(guild=target)
        await bot.tree.sync(guild=target)
        result = await d.invoke_slash(ada, "later")
        await result.response()
        inter = result.interaction
        # A deferred answer takes EPHEMERAL as its only flag.
        quiet = (await d.invoke_slash(ada, "silent")).interaction
        callback = discord.http.Route(
            "POST",
            "/interactions/{interaction_id}/{interaction_token}/callback",
            interaction_id=quiet.id,
            interaction_token=quiet.token,
        )
        deferred = {"type": 5, "data": {"flags": 4}}
        await refused(bot.http.request(callback, json=deferred), 400, 50035)
        await bot.http.request(callback, json={"type": 5, "data": {"flags": 64}})
        await refused(bot.http.request(callback, json={"type": 5}), 400, 40060)
        # Interaction tokens live 15 minutes.
        inter.created -= 15 * 60 + 1
        followup = discord.http.Route(
            "POST",
            "/webhooks/{webhook_id}/{webhook_token}",
            webhook_id=bot.application_id,
            webhook_token=inter.token,
        )
        await refused(bot.http.request(followup, json={"content": "too late"}), 404, 10015)
