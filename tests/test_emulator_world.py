"""Self-tests: threads, forums, pins, members, roles, limits and intent gating."""

from __future__ import annotations

import io

import discord
import pytest

from tests.emulator import DiscordEmulator, minimal_bot, running_client
from tests.emulator import permissions as P

pytestmark = pytest.mark.e2e


def gid(emulator: DiscordEmulator) -> int:
    assert emulator.guild is not None
    return emulator.guild.id


async def test_threads_forum_posts_and_pins(emulator_factory) -> None:  # type: ignore[no-untyped-def]
    emulator: DiscordEmulator = await emulator_factory(max_active_threads=2)
    d = emulator.driver
    alice = await d.add_member("alice")
    carol = await d.add_member("carol")
    general = await d.create_channel("general")
    bot = minimal_bot()
    async with running_client(emulator, bot):
        guild = bot.get_guild(gid(emulator))
        assert guild is not None
        ch = guild.get_channel(general.id)
        assert isinstance(ch, discord.TextChannel)
        thread = await ch.create_thread(name="pair chat", type=discord.ChannelType.private_thread)
        await thread.add_user(discord.Object(alice.id))
        msg = await thread.send("welcome")
        await msg.pin()
        assert [m.id async for m in thread.pins()] == [msg.id]
        forum = await guild.create_forum(
            "Introductions", available_tags=[discord.ForumTag(name="mentor")]
        )
        post = await forum.create_thread(
            name="Hi, I'm Alice", content="hello all", applied_tags=[forum.available_tags[0]]
        )
        with pytest.raises(discord.HTTPException) as info:
            await ch.create_thread(name="one too many", type=discord.ChannelType.public_thread)
        assert info.value.code == 160006
        await thread.edit(archived=True)
        with pytest.raises(discord.HTTPException) as info:
            await thread.send("anyone?")
        assert info.value.code == 50083
    th = d.threads(general)[0]
    assert th.type == 12 and th.archived
    assert d.can_view(alice, th) and not d.can_view(carol, th)
    assert [m.content for m in d.pins(th)] == ["welcome"]
    assert d.messages(th)[-1].type == 6  # "pinned a message" system message
    [fpost] = d.forum_posts(d.channel("introductions"))
    assert fpost.id == post.thread.id and d.messages(fpost)[0].content == "hello all"
    assert fpost.applied_tags == [post.thread.applied_tags[0].id]


async def test_channel_limits(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    category = await d.create_channel("Pairs", 4)
    for i in range(50):
        await d.create_channel(f"pair-{i}", parent=category)
    for i in range(500 - 52):
        await d.create_channel(f"filler-{i}")
    bot = minimal_bot()
    async with running_client(emulator, bot):
        guild = bot.get_guild(gid(emulator))
        assert guild is not None
        cat = guild.get_channel(category.id)
        assert isinstance(cat, discord.CategoryChannel)
        with pytest.raises(discord.HTTPException) as info:
            await guild.create_text_channel("pair-50", category=cat)
        assert info.value.code == 50035
        assert "CHANNEL_PARENT_MAX_CHANNELS" in str(emulator.transcript[-1].response)
        await guild.create_text_channel("number-500")
        with pytest.raises(discord.HTTPException) as info:
            await guild.create_text_channel("number-501")
        assert info.value.code == 30013
    assert len(d.channels()) == 500


async def test_members_roles_and_unknowns(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    alice = await d.add_member("alice")
    mentors = await d.create_role("Mentors", P.VIEW_CHANNEL)
    general = await d.create_channel("general")
    bot = minimal_bot()
    joined: list[int] = []
    left: list[int] = []
    updated: list[int] = []

    @bot.event
    async def on_member_join(member: discord.Member) -> None:
        joined.append(member.id)

    @bot.event
    async def on_member_remove(member: discord.Member) -> None:
        left.append(member.id)

    @bot.event
    async def on_member_update(before: discord.Member, after: discord.Member) -> None:
        updated.append(after.id)

    async with running_client(emulator, bot):
        guild = bot.get_guild(gid(emulator))
        assert guild is not None
        assert guild.get_member(alice.id) is not None  # chunked via op 8
        assert any(op == 8 for op, _ in emulator.gateway.received)
        bob = await d.add_member("bob")
        await d.wait_for(lambda: bob.id in joined)
        members = [m async for m in guild.fetch_members(limit=None)]
        assert {m.name for m in members} >= {"alice", "bob"}
        member = guild.get_member(alice.id)
        assert member is not None
        await member.add_roles(discord.Object(mentors.id))
        await d.wait_for(lambda: alice.id in updated)
        assert [m.name for m in d.role_members(mentors)] == ["alice"]
        await member.remove_roles(discord.Object(mentors.id))
        role = await guild.create_role(name="Cohort 2026")
        assert d.role("Cohort 2026").id == role.id
        await d.remove_member(bob)
        await d.wait_for(lambda: bob.id in left)
        with pytest.raises(discord.NotFound) as info:
            await guild.fetch_member(bob.id)
        assert info.value.code == 10007
        with pytest.raises(discord.NotFound) as info:
            await bot.fetch_user(12345)
        assert info.value.code == 10013
        with pytest.raises(discord.NotFound) as info:
            await bot.fetch_channel(12345)
        assert info.value.code == 10003
        ch = guild.get_channel(general.id)
        assert isinstance(ch, discord.TextChannel)
        with pytest.raises(discord.NotFound) as info:
            await ch.fetch_message(12345)
        assert info.value.code == 10008
    assert mentors.id not in alice.roles


async def test_message_content_is_gated_by_intent(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    alice = await d.add_member("alice")
    general = await d.create_channel("general")
    bot = minimal_bot()
    seen: list[discord.Message] = []

    @bot.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message)

    async with running_client(emulator, bot):
        await d.send_message(alice, general, "private words")
        await d.send_message(alice, general, f"<@{emulator.application_id}> hello bot")
        await d.wait_for(lambda: len(seen) == 2)
        ch = bot.get_channel(general.id)
        assert isinstance(ch, discord.TextChannel)
        history = [m.content async for m in ch.history(limit=10)]
    assert seen[0].content == "" and seen[1].content.endswith("hello bot")
    assert history == [f"<@{emulator.application_id}> hello bot", ""]
    assert d.messages(general)[0].content == "private words"


async def test_history_pagination(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    general = await d.create_channel("general")
    bot = minimal_bot()
    async with running_client(emulator, bot):
        ch = bot.get_channel(general.id)
        assert isinstance(ch, discord.TextChannel)
        sent = [await ch.send(f"m{i}") for i in range(5)]
        newest_first = [m.content async for m in ch.history(limit=3)]
        after = [m.content async for m in ch.history(after=sent[1], oldest_first=True)]
        around = [m.content async for m in ch.history(around=sent[2], limit=3)]
    assert newest_first == ["m4", "m3", "m2"]
    assert after == ["m2", "m3", "m4"]
    assert sorted(around) == ["m1", "m2", "m3"]


async def test_child_channel_syncs_with_category(emulator: DiscordEmulator) -> None:
    from tests.emulator import Overwrite

    d = emulator.driver
    alice = await d.add_member("alice")
    carol = await d.add_member("carol")
    category = await d.create_channel(
        "Pairs",
        4,
        overwrites=[
            Overwrite(gid(emulator), 0, deny=P.VIEW_CHANNEL),
            Overwrite(emulator.application_id, 1, allow=P.VIEW_CHANNEL),
            Overwrite(alice.id, 1, allow=P.VIEW_CHANNEL),
        ],
    )
    bot = minimal_bot()
    async with running_client(emulator, bot):
        cat = bot.get_channel(category.id)
        assert isinstance(cat, discord.CategoryChannel)
        child = await cat.create_text_channel("Pair Notes")
        assert child.permissions_synced
    ch = d.channel("pair-notes")
    assert d.can_view(alice, ch) and not d.can_view(carol, ch)


async def test_rest_surface_files_replies_edits_overwrites(emulator: DiscordEmulator) -> None:
    d = emulator.driver
    alice = await d.add_member("alice")
    general = await d.create_channel("general")
    bot = minimal_bot()

    @bot.tree.command(description="Send a file")
    async def report(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            "here",
            file=discord.File(io.BytesIO(b"a,b\n1,2\n"), filename="report.csv"),
            ephemeral=True,
        )

    async with running_client(emulator, bot):
        guild = bot.get_guild(gid(emulator))
        assert guild is not None
        bot.tree.copy_global_to(guild=guild)
        await bot.tree.sync(guild=guild)
        ch = guild.get_channel(general.id)
        assert isinstance(ch, discord.TextChannel)
        sent = await ch.send("with file", file=discord.File(io.BytesIO(b"hello"), "hi.txt"))
        assert sent.attachments[0].filename == "hi.txt"
        assert await sent.attachments[0].read() == b"hello"
        asked = await d.send_message(alice, general, "question?")
        reply = await (await ch.fetch_message(asked.id)).reply("answer")
        await reply.edit(content="better answer")
        target = guild.get_member(alice.id)
        assert target is not None
        await ch.set_permissions(target, send_messages=False)
        await ch.edit(topic="About everything", name="General Chat")
        assert {c.id for c in await guild.fetch_channels()} == {general.id}
        assert any(r.id == guild.id for r in await guild.fetch_roles())
        doomed = await ch.send("oops")
        await doomed.delete()
        result = await d.invoke_slash(alice, "report", channel=general)
        resp = await result.response()
        assert resp.message is not None
        assert d.attachment_bytes(resp.message.attachments[0]) == b"a,b\n1,2\n"
    msgs = d.messages(general)
    assert [m.content for m in msgs] == ["with file", "question?", "better answer"]
    assert msgs[2].message_reference and msgs[2].message_reference["message_id"] == str(asked.id)
    assert d.attachment_bytes(msgs[0].attachments[0]) == b"hello"
    assert general.name == "general-chat" and general.topic == "About everything"
    with pytest.raises(Exception, match="cannot send"):
        await d.send_message(alice, general, "muted")
