"""Self-tests of the Discord emulator with the real discord.py client: login, commands,
channels/permissions, spec validation, Discord's content limits."""

from __future__ import annotations

import asyncio

import discord
import pytest
from discord.ext import commands

from tests.emulator import (
    DiscordEmulator,
    Overwrite,
    UnsyncedCommandError,
    minimal_bot,
    running_client,
)
from tests.emulator import permissions as P

pytestmark = pytest.mark.e2e


async def sync_guild(bot: commands.Bot, emulator: DiscordEmulator) -> None:
    guild = discord.Object(emulator.guild.id)  # type: ignore[union-attr]
    bot.tree.copy_global_to(guild=guild)
    await bot.tree.sync(guild=guild)


async def test_login_sync_and_ephemeral_reply(emulator: DiscordEmulator) -> None:
    bot = minimal_bot()

    @bot.tree.command(description="Say hello")
    async def hello(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"hi {interaction.user.name}", ephemeral=True)

    d = emulator.driver
    alice = await d.add_member("alice")
    general = await d.create_channel("general")
    async with running_client(emulator, bot):
        assert bot.user is not None and bot.user.id == emulator.application_id
        assert bot.application_id == emulator.application_id
        g = bot.get_guild(emulator.guild.id)  # type: ignore[union-attr]
        assert g is not None and g.default_role.id == g.id
        assert g.get_member(bot.user.id) is not None
        await sync_guild(bot, emulator)
        assert [c["name"] for c in d.synced_commands()] == ["hello"]
        result = await d.invoke_slash(alice, "hello", channel=general)
        resp = await result.response()
        assert resp.content == "hi alice"
        assert resp.ephemeral
        assert d.ephemeral_answers(alice)[0].content == "hi alice"
        bob = await d.add_member("bob")
        assert d.visible_messages(bob, general) == []
        assert d.visible_messages(alice, general)[0].content == "hi alice"
        assert d.messages(general) == []  # ephemeral: not in the public channel
    assert d.requests("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")


async def test_private_channel_overwrites_and_visibility(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    alice = await d.add_member("alice")
    bob = await d.add_member("bob")
    carol = await d.add_member("carol")
    bot = minimal_bot()
    async with running_client(emulator, bot):
        guild = bot.get_guild(emulator.guild.id)  # type: ignore[union-attr]
        assert guild is not None
        category = await guild.create_category("Partnerships")
        ow = {
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            guild.me: discord.PermissionOverwrite(view_channel=True, send_messages=True),
            discord.Object(alice.id): discord.PermissionOverwrite(view_channel=True),
            discord.Object(bob.id): discord.PermissionOverwrite(view_channel=True),
        }
        pair = await guild.create_text_channel("Alice and Bob", category=category, overwrites=ow)  # type: ignore[arg-type]
        await pair.send("welcome, you two")
    ch = d.channel("alice-and-bob")  # Discord normalises text channel names
    assert ch.id == pair.id and ch.parent_id == category.id
    assert d.can_view(alice, ch) and d.can_view(bob, ch)
    assert not d.can_view(carol, ch)
    assert d.overwrites(ch)[emulator.guild.id].deny & P.VIEW_CHANNEL  # type: ignore[union-attr]
    assert [m.content for m in d.visible_messages(alice, ch)] == ["welcome, you two"]
    assert d.visible_messages(carol, ch) == []
    with pytest.raises(Exception, match="cannot send"):
        await d.send_message(carol, ch, "let me in")
    await d.send_message(bob, ch, "hello alice")
    assert [m.content for m in d.messages(ch)] == ["welcome, you two", "hello alice"]


async def test_spec_violation_is_rejected_and_recorded(emulator: DiscordEmulator) -> None:
    bot = minimal_bot()
    channel = await emulator.driver.create_channel("general")
    async with running_client(emulator, bot):
        route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel.id)
        with pytest.raises(discord.HTTPException) as info:
            await bot.http.request(route, json={"content": "x", "tts": "loud"})
        assert info.value.status == 400 and info.value.code == 50035
    [violation] = emulator.take_violations()
    assert violation.route == "/channels/{channel_id}/messages"
    assert violation.field == "tts"
    assert "boolean" in violation.reason
    assert emulator.driver.messages(channel) == []


async def test_content_and_embed_limits(emulator: DiscordEmulator) -> None:
    bot = minimal_bot()
    channel = await emulator.driver.create_channel("general")
    async with running_client(emulator, bot):
        ch = bot.get_channel(channel.id)
        assert isinstance(ch, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as info:
            await ch.send("x" * 2001)
        assert info.value.code == 50035 and "content" in info.value.text
        await ch.send("x" * 2000)
        # 6,000 characters in total across embeds (each field itself within limits)
        big = [discord.Embed(description="d" * 4000) for _ in range(2)]
        with pytest.raises(discord.HTTPException) as info:
            await ch.send(embeds=big)
        assert info.value.code == 50035 and "6000" in info.value.text
        # a title over 256 is also outside the spec: rejected and recorded as a violation
        with pytest.raises(discord.HTTPException) as info:
            await ch.send(embed=discord.Embed(title="t" * 257))
        assert info.value.code == 50035
    assert [v.field for v in emulator.take_violations()] == ["embeds.0.title"]
    assert len(emulator.driver.messages(channel)) == 1


async def test_late_answer_gets_unknown_interaction(emulator_factory) -> None:  # type: ignore[no-untyped-def]
    emulator = await emulator_factory(interaction_deadline=0.2)
    bot = minimal_bot()
    errors: list[BaseException] = []

    @bot.tree.command(description="Slow")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.3)
        try:
            await interaction.response.send_message("too late")
        except discord.NotFound as exc:
            errors.append(exc)

    alice = await emulator.driver.add_member("alice")
    await emulator.driver.create_channel("general")
    async with running_client(emulator, bot):
        await sync_guild(bot, emulator)
        await emulator.driver.invoke_slash(alice, "slow")
        await emulator.driver.wait_for(lambda: errors, 2)
    assert isinstance(errors[0], discord.NotFound) and errors[0].code == 10062


async def test_answering_twice_is_40060(emulator: DiscordEmulator) -> None:
    bot = minimal_bot()
    errors: list[discord.HTTPException] = []

    @bot.tree.command(description="Twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("one")
        route = discord.http.Route(
            "POST",
            "/interactions/{interaction_id}/{interaction_token}/callback",
            interaction_id=interaction.id,
            interaction_token=interaction.token,
        )
        try:
            await bot.http.request(
                route,
                json={"type": 4, "data": {"content": "two"}},
                params={"with_response": "true"},
            )
        except discord.HTTPException as exc:
            errors.append(exc)

    d = emulator.driver
    alice = await d.add_member("alice")
    general = await d.create_channel("general")
    async with running_client(emulator, bot):
        await sync_guild(bot, emulator)
        result = await d.invoke_slash(alice, "twice")
        assert (await result.response()).content == "one"
        await d.wait_for(lambda: errors)
    assert errors[0].status == 400 and errors[0].code == 40060
    assert [m.content for m in d.messages(general)] == ["one"]


async def test_closed_dms_are_forbidden(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    closed = await d.add_member("closed", dm_closed=True)
    open_ = await d.add_member("open")
    bot = minimal_bot()
    async with running_client(emulator, bot):
        user = await bot.fetch_user(closed.id)
        with pytest.raises(discord.Forbidden) as info:
            await user.send("hello")
        assert info.value.code == 50007
        await (await bot.fetch_user(open_.id)).send("hello there")
    assert [m.content for m in d.dms(open_)] == ["hello there"]
    assert d.dms(closed) == []


async def test_enforce_nonce_deduplicates(emulator: DiscordEmulator) -> None:
    channel = await emulator.driver.create_channel("general")
    bot = minimal_bot()
    async with running_client(emulator, bot):
        ch = bot.get_channel(channel.id)
        assert isinstance(ch, discord.TextChannel)
        first = await ch.send("once", nonce="pair-42")
        second = await ch.send("once", nonce="pair-42")
        assert first.id == second.id
    assert [m.content for m in emulator.driver.messages(channel)] == ["once"]
    posts = emulator.driver.requests("POST", "/channels/{channel_id}/messages")
    assert len(posts) == 2 and all(p.body["enforce_nonce"] for p in posts)


async def test_unsynced_command_is_rejected_by_driver(emulator: DiscordEmulator) -> None:
    bot = minimal_bot()

    @bot.tree.command(description="Never synced")
    async def ghost(interaction: discord.Interaction) -> None:  # pragma: no cover
        await interaction.response.send_message("boo")

    alice = await emulator.driver.add_member("alice")
    await emulator.driver.create_channel("general")
    async with running_client(emulator, bot):
        with pytest.raises(UnsyncedCommandError):
            await emulator.driver.invoke_slash(alice, "ghost")
    assert not any(e.name == "INTERACTION_CREATE" for e in emulator.events)


async def test_missing_permissions_is_50013(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    readonly = await d.create_channel(
        "announcements", overwrites=[Overwrite(emulator.bot_role.id, 0, deny=P.SEND_MESSAGES)]
    )  # type: ignore[union-attr]
    top = await d.create_role("Coordinators", P.MANAGE_GUILD, position=200)
    alice = await d.add_member("alice")
    bot = minimal_bot()
    async with running_client(emulator, bot):
        ch = bot.get_channel(readonly.id)
        assert isinstance(ch, discord.TextChannel)
        with pytest.raises(discord.Forbidden) as info:
            await ch.send("hello")
        assert info.value.code == 50013
        guild = bot.get_guild(emulator.guild.id)  # type: ignore[union-attr]
        member = await guild.fetch_member(alice.id)  # type: ignore[union-attr]
        # role above the bot's highest role: hierarchy forbids it
        with pytest.raises(discord.Forbidden):
            await member.add_roles(discord.Object(top.id))
    assert d.messages(readonly) == []
    assert top.id not in alice.roles


async def test_privileged_intent_not_enabled(emulator: DiscordEmulator) -> None:
    intents = discord.Intents.default()
    intents.message_content = True
    bot = commands.Bot(command_prefix="!", intents=intents)
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with running_client(emulator, bot):
            pass  # pragma: no cover
    assert 4014 in emulator.gateway.close_codes


async def test_component_and_modal_limits(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    alice = await d.add_member("alice")
    channel = await d.create_channel("general")
    bot = minimal_bot()
    codes: list[int] = []

    def row(i: int) -> dict[str, object]:
        return {
            "type": 1,
            "components": [{"type": 4, "custom_id": f"t{i}", "style": 1, "label": "Answer"}],
        }

    @bot.tree.command(description="Too big a modal")
    async def survey(interaction: discord.Interaction) -> None:
        route = discord.http.Route(
            "POST",
            "/interactions/{interaction_id}/{interaction_token}/callback",
            interaction_id=interaction.id,
            interaction_token=interaction.token,
        )
        body = {
            "type": 9,
            "data": {"custom_id": "m", "title": "Survey", "components": [row(i) for i in range(6)]},
        }
        try:
            await bot.http.request(route, json=body, params={"with_response": "true"})
        except discord.HTTPException as exc:
            codes.append(exc.code)

    def button(i: int) -> dict[str, object]:
        return {"type": 2, "style": 1, "label": "b", "custom_id": f"b{i}"}

    async with running_client(emulator, bot):
        await sync_guild(bot, emulator)
        route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel.id)
        with pytest.raises(discord.HTTPException) as info:  # 6 action rows: a Discord rule
            await bot.http.request(
                route,
                json={"components": [{"type": 1, "components": [button(i)]} for i in range(6)]},
            )
        assert info.value.code == 50035
        assert emulator.take_violations() == []
        options = [{"label": str(i), "value": str(i)} for i in range(26)]
        with pytest.raises(discord.HTTPException) as info:  # 26 options: also in the spec
            await bot.http.request(
                route,
                json={
                    "components": [
                        {
                            "type": 1,
                            "components": [{"type": 3, "custom_id": "s", "options": options}],
                        }
                    ]
                },
            )
        assert info.value.code == 50035
        [violation] = emulator.take_violations()
        assert violation.field == "components.0.components.0.options"
        await d.invoke_slash(alice, "survey", channel=channel)
        await d.wait_for(lambda: codes)
    assert codes == [50035]
    assert d.messages(channel) == []


def test_permission_algorithm() -> None:
    from tests.emulator.state import Channel, Guild, Member, Role, User

    g = Guild(1, "g", owner_id=99)
    g.roles[1] = Role(1, 1, "@everyone", P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS)
    g.roles[2] = Role(2, 1, "helpers", P.MANAGE_MESSAGES, position=1)
    g.roles[3] = Role(3, 1, "admins", P.ADMINISTRATOR, position=2)
    helper = Member(User(10, "helper"), 1, [2])
    admin = Member(User(11, "admin"), 1, [3])
    plain = Member(User(12, "plain"), 1, [])
    ch = Channel(
        5,
        0,
        "c",
        1,
        overwrites={
            1: Overwrite(1, 0, deny=P.VIEW_CHANNEL),  # @everyone denied
            2: Overwrite(2, 0, allow=P.VIEW_CHANNEL),  # role allow beats @everyone deny
            10: Overwrite(10, 1, deny=P.SEND_MESSAGES),
        },
    )  # member deny beats role allow
    g.channels[5] = ch
    perms = P.channel_permissions(g, helper, ch)
    assert perms & P.VIEW_CHANNEL and not perms & P.SEND_MESSAGES
    assert not perms & P.EMBED_LINKS  # implicitly removed without SEND_MESSAGES
    assert P.channel_permissions(g, plain, ch) == 0  # no VIEW_CHANNEL: nothing at all
    assert P.channel_permissions(g, admin, ch) == P.ALL  # ADMINISTRATOR bypasses overwrites
    thread = Channel(6, 12, "t", 1, parent_id=5, thread_members={11})
    g.channels[6] = thread
    assert P.channel_permissions(g, helper, thread) & P.VIEW_CHANNEL == 0  # not a member
    thread.thread_members.add(10)
    assert P.channel_permissions(g, helper, thread) & P.VIEW_CHANNEL
