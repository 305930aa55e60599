"""The test-facing Driver: act like people, inspect like an admin.

Actions (``send_message``, ``invoke_slash``, ``click_button`` ...) are what a
human member can do in the Discord client and are checked against that
member's permissions; they raise :class:`DriverError` where the Discord UI
would not let the person act (e.g. a command that was never synced).
Inspection helpers read the emulator's world directly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import permissions as P
from .state import (
    Channel,
    Interaction,
    Member,
    Message,
    Overwrite,
    Role,
    ScheduledEvent,
    User,
    new_snowflake,
    new_token,
    now,
)
from .world import Event

if TYPE_CHECKING:
    from .server import DiscordEmulator, TranscriptEntry

LOADING = 128


class DriverError(Exception):
    """The person cannot do this in Discord (no permission, no such component...)."""


class UnsyncedCommandError(DriverError):
    """The command was never synced to the guild, so Discord would not show it."""


@dataclass
class Response:
    """The initial answer to an interaction, as the invoking member sees it."""

    type: int
    message: Message | None
    modal: dict[str, Any] | None

    @property
    def content(self) -> str | None:
        return self.message.content if self.message else None

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.message.embeds if self.message else []

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.message.components if self.message else []

    @property
    def flags(self) -> int:
        return self.message.flags if self.message else 0

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    @property
    def deferred(self) -> bool:
        return self.type in (5, 6)


@dataclass(frozen=True)
class Notification:
    """A ping a member got: the message and why (``"user"``, ``"role"``, ``"everyone"``,
    ``"here"`` or ``"reply"``). ``silent`` when sent with SUPPRESS_NOTIFICATIONS (a badge,
    no push)."""

    message: Message
    reason: str
    silent: bool


class InteractionResult:
    """Handle on a dispatched interaction; await what the bot answers."""

    def __init__(self, driver: Driver, interaction: Interaction) -> None:
        self.driver = driver
        self.interaction = interaction

    async def response(self, timeout: float = 2.0) -> Response:  # noqa: ASYNC109
        """Wait for the callback (reply, defer, update or modal)."""
        inter = self.interaction
        what = inter.data.get("name") or inter.data.get("custom_id")
        await self.driver.wait_for(
            lambda: inter.acknowledged, timeout, f"interaction {what!r} was not answered"
        )
        msg = self.driver.emu.world.find_message(inter.original_message_id or 0)
        return Response(inter.response_type or 0, msg, inter.modal)

    async def message(self, timeout: float = 2.0) -> Message:  # noqa: ASYNC109
        """The original response message once it is no longer "thinking" (after a defer)."""
        await self.response(timeout)
        world = self.driver.emu.world

        def done() -> bool:
            m = world.find_message(self.interaction.original_message_id or 0)
            return m is not None and not m.flags & LOADING

        await self.driver.wait_for(done, timeout, "deferred response was never completed")
        msg = world.find_message(self.interaction.original_message_id or 0)
        assert msg is not None
        return msg

    async def followups(self, count: int = 1, timeout: float = 2.0) -> list[Message]:  # noqa: ASYNC109
        """Wait until at least ``count`` follow-up messages exist, return them all."""
        world = self.driver.emu.world
        await self.driver.wait_for(
            lambda: len(self.interaction.followup_ids) >= count,
            timeout,
            f"expected {count} follow-up(s)",
        )
        return [m for i in self.interaction.followup_ids if (m := world.find_message(i))]

    @property
    def modal(self) -> dict[str, Any] | None:
        return self.interaction.modal

    async def choices(self, timeout: float = 2.0) -> list[dict[str, Any]]:  # noqa: ASYNC109
        """The autocomplete choices the bot offered (``[{"name", "value"}]``), as the
        member sees them above the option they are typing in."""
        await self.response(timeout)
        if self.interaction.response_type != 8:
            raise DriverError("the bot did not answer with autocomplete choices")
        return list(self.interaction.callbacks[-1].get("data", {}).get("choices") or [])


class Driver:
    """Drives the emulated guild on behalf of people, and inspects it."""

    def __init__(self, emu: DiscordEmulator) -> None:
        self.emu = emu

    # ================================================================ shortcuts
    @property
    def world(self) -> Any:
        return self.emu.world

    @property
    def guild(self) -> Any:
        assert self.emu.guild is not None
        return self.emu.guild

    @property
    def bot(self) -> User:
        return self.world.bot

    @property
    def bot_member(self) -> Member:
        return self.guild.members[self.bot.id]

    @property
    def everyone(self) -> Role:
        return self.guild.everyone

    @property
    def transcript(self) -> list[TranscriptEntry]:
        return self.emu.transcript

    def requests(
        self, method: str | None = None, route: str | None = None
    ) -> list[TranscriptEntry]:
        """Transcript entries filtered by method and/or route template (or path)."""
        return [
            e
            for e in self.emu.transcript
            if (method is None or e.method == method)
            and (route is None or route in (e.route, e.path))
        ]

    async def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float = 2.0,  # noqa: ASYNC109
        message: str = "condition not met",
        interval: float = 0.005,
    ) -> Any:
        """Poll ``predicate`` (sync, or returning an awaitable) until truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(f"wait_for timed out after {timeout}s: {message}")
            await asyncio.sleep(interval)

    # ================================================================ people
    async def add_member(
        self,
        name: str,
        roles: Iterable[Role | int] = (),
        *,
        dm_closed: bool = False,
        dispatch: bool = True,
    ) -> Member:
        """A person joins the guild (dispatches GUILD_MEMBER_ADD)."""
        user = self.world.create_user(name)
        return self.world.add_member(
            self.guild, user, [_id(r) for r in roles], dm_closed=dm_closed, dispatch=dispatch
        )

    create_member = add_member

    async def remove_member(self, member: Member) -> None:
        """A person leaves (dispatches GUILD_MEMBER_REMOVE)."""
        self.world.remove_member(self.guild, member.id)

    def member(self, name: str) -> Member:
        for m in self.guild.members.values():
            if name in (m.name, m.nick, m.user.global_name):
                return m
        raise KeyError(name)

    def members(self) -> list[Member]:
        return list(self.guild.members.values())

    async def set_dm_closed(self, member: Member, closed: bool = True) -> None:
        member.dm_closed = closed

    # ================================================================ admin setup
    async def create_role(self, name: str, permissions: int = 0, **kw: Any) -> Role:
        return self.world.create_role(self.guild, name, permissions, **kw)

    async def set_role_permissions(self, role: Role | int, permissions: int) -> Role:
        """An admin edits a role's permissions (GUILD_ROLE_UPDATE), e.g. the bot's own role
        (``emulator.bot_role``) to give it exactly the permission integer a test needs."""
        target = self.guild.roles[_id(role)]
        target.permissions = permissions
        self.world.emit(
            Event(
                "GUILD_ROLE_UPDATE",
                {"guild_id": str(self.guild.id), "role": target.payload()},
                1,  # GUILDS
            )
        )
        return target

    async def add_role(self, member: Member, role: Role | int) -> None:
        if _id(role) not in member.roles:
            member.roles.append(_id(role))
            self.world.member_updated(self.guild, member)

    async def remove_role(self, member: Member, role: Role | int) -> None:
        if _id(role) in member.roles:
            member.roles.remove(_id(role))
            self.world.member_updated(self.guild, member)

    async def create_channel(
        self,
        name: str,
        type: int = 0,
        *,
        parent: Channel | None = None,
        overwrites: Iterable[Overwrite] = (),
        **kw: Any,
    ) -> Channel:
        """Create a channel as the guild owner would (no bot permission checks)."""
        return self.world.create_channel(
            self.guild,
            name,
            type,
            parent_id=parent.id if parent else None,
            overwrites=list(overwrites),
            **kw,
        )

    async def create_forum(
        self,
        name: str,
        *,
        tags: Iterable[str | dict[str, Any]] = (),
        require_tag: bool = False,
        parent: Channel | None = None,
        overwrites: Iterable[Overwrite] = (),
        topic: str | None = None,
    ) -> Channel:
        """A forum an admin made by hand: ``tags`` (names, or tag objects with ``name``,
        ``moderated``, ``emoji_name``) become its ``available_tags``; ``require_tag`` sets
        the REQUIRE_TAG flag (``1 << 4``), so posts without ``applied_tags`` are refused."""
        from .rest import REQUIRE_TAG, forum_tags

        available = forum_tags([t if isinstance(t, dict) else {"name": t} for t in tags], [])
        return await self.create_channel(
            name,
            15,
            parent=parent,
            overwrites=overwrites,
            topic=topic,
            available_tags=available,
            flags=REQUIRE_TAG if require_tag else 0,
        )

    async def create_voice_channel(
        self, name: str, *, stage: bool = False, parent: Channel | None = None, **kw: Any
    ) -> Channel:
        """A voice channel (or, with ``stage=True``, a stage channel) for scheduled events."""
        return await self.create_channel(name, 13 if stage else 2, parent=parent, **kw)

    async def create_thread(
        self, member: Member, parent: Channel, name: str, private: bool = False
    ) -> Channel:
        perms = self.permissions(member, parent)
        need = P.CREATE_PRIVATE_THREADS if private else P.CREATE_PUBLIC_THREADS
        if not P.has(perms, need):
            raise DriverError(f"{member.name} cannot create threads in #{parent.name}")
        return self.world.create_thread(parent, name, 12 if private else 11, member.user)

    async def create_forum_post(
        self,
        member: Member,
        forum: Channel,
        name: str,
        content: str = "",
        *,
        files: dict[str, bytes] | None = None,
        tags: Iterable[str] = (),
    ) -> tuple[Channel, Message]:
        """A member opens a post in a forum (THREAD_CREATE, then the starter message with
        its attachments, MESSAGE_CREATE). ``tags`` are tag names; the client insists on one
        when the forum has REQUIRE_TAG, and only moderators may use moderated tags."""
        from .rest import REQUIRE_TAG

        if forum.type not in (15, 16):
            raise DriverError(f"#{forum.name} is not a forum")
        perms = self.permissions(member, forum)
        if not P.has(perms, P.VIEW_CHANNEL, P.SEND_MESSAGES):
            raise DriverError(f"{member.name} cannot post in #{forum.name}")
        if files and not P.has(perms, P.ATTACH_FILES):
            raise DriverError(f"{member.name} cannot attach files in #{forum.name}")
        by_name = {t["name"]: t for t in forum.available_tags}
        applied = []
        for tag in tags:
            if tag not in by_name:
                raise DriverError(f"#{forum.name} has no tag {tag!r}")
            if by_name[tag]["moderated"] and not P.has(perms, P.MANAGE_THREADS):
                raise DriverError(f"tag {tag!r} is for moderators")
            applied.append(int(by_name[tag]["id"]))
        if forum.flags & REQUIRE_TAG and not applied:
            raise DriverError(f"#{forum.name} requires a tag")
        if not (content or files):
            raise DriverError("a forum post needs a message or a file")
        thread = self.world.create_thread(forum, name, 11, member.user, applied_tags=applied)
        starter = self.world.post_message(
            thread,
            member.user,
            content=content,
            attachments=self._attachments(thread.id, files or {}),
            message_id=thread.id,
            sender_permissions=perms,
        )
        return thread, starter

    # ================================================================ acting
    async def send_message(
        self,
        member: Member,
        channel: Channel,
        content: str = "",
        *,
        embeds: list[dict[str, Any]] | None = None,
        files: dict[str, bytes] | None = None,
        reply_to: Message | None = None,
        allowed_mentions: dict[str, Any] | None = None,
    ) -> Message:
        """A member posts in a channel/thread (dispatches MESSAGE_CREATE). Mentions in
        ``content`` notify as Discord decides (the client parses everything unless
        ``allowed_mentions`` says otherwise; @everyone needs Mention Everyone)."""
        perms = self.permissions(member, channel)
        need = P.SEND_MESSAGES_IN_THREADS if channel.is_thread else P.SEND_MESSAGES
        if not P.has(perms, P.VIEW_CHANNEL, need):
            raise DriverError(f"{member.name} cannot send in #{channel.name}")
        if channel.is_thread and channel.archived and channel.locked:
            raise DriverError(f"thread #{channel.name} is locked")
        if channel.is_thread and channel.archived:
            channel.archived = False  # a member posting unarchives the thread
            self.world.channel_updated(channel)
        if len(content) > 2000:
            raise DriverError("content over 2000 characters")
        ref = None
        if reply_to is not None:
            ref = {
                "type": 0,
                "message_id": str(reply_to.id),
                "channel_id": str(channel.id),
                "guild_id": str(self.guild.id),
            }
        return self.world.post_message(
            channel,
            member.user,
            content=content,
            embeds=embeds,
            attachments=self._attachments(channel.id, files or {}),
            type=19 if ref else 0,
            message_reference=ref,
            nonce=str(new_snowflake()),
            allowed_mentions=allowed_mentions,
            sender_permissions=perms,
            reply_to=reply_to,
        )

    async def send_dm(self, member: Member, content: str) -> Message:
        """A member writes to the bot in DMs (dispatches MESSAGE_CREATE, DIRECT_MESSAGES)."""
        ch = self.world.dm_channel(member.user)
        return self.world.post_message(ch, member.user, content=content)

    def _attachments(self, channel_id: int, files: dict[str, bytes]) -> list[dict[str, Any]]:
        out = []
        for name, data in files.items():
            aid = new_snowflake()
            self.world.files[aid] = data
            url = self.emu.attachment_url(aid, name)
            out.append(
                {
                    "id": str(aid),
                    "filename": name,
                    "size": len(data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": "application/octet-stream",
                }
            )
        return out

    # ---------------------------------------------------------------- interactions
    def synced_commands(self, guild_only: bool = False) -> list[dict[str, Any]]:
        app = self.emu.application_id
        cmds = list(self.world.commands.get((app, self.guild.id), []))
        if not guild_only:
            cmds += self.world.commands.get((app, None), [])
        return cmds

    async def invoke_slash(
        self,
        member: Member,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        channel: Channel | None = None,
    ) -> InteractionResult:
        """Run ``/name [group] [sub]`` with ``options`` as ``member`` would."""
        channel = channel or self._default_channel(member)
        data = self._command_data(member, command, options or {}, channel)
        return self._dispatch_interaction(member, channel, 2, data)

    async def autocomplete(
        self,
        member: Member,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        focused: str,
        channel: Channel | None = None,
    ) -> InteractionResult:
        """``member`` types in the option ``focused`` of ``/name [group] [sub]``: the
        client sends an APPLICATION_COMMAND_AUTOCOMPLETE interaction (type 4) with what is
        in every option so far, ``focused`` marked and holding the partial text
        (``options[focused]``, "" when absent). Required options may still be missing;
        only an option declared with ``autocomplete`` asks the bot. ``await
        result.choices()`` is what the member sees."""
        channel = channel or self._default_channel(member)
        given = {focused: "", **(options or {})}
        data = self._command_data(member, command, given, channel, focused=focused)
        return self._dispatch_interaction(member, channel, 4, data)

    def _command_data(
        self,
        member: Member,
        command: str,
        options: dict[str, Any],
        channel: Channel,
        *,
        focused: str | None = None,
    ) -> dict[str, Any]:
        parts = command.split()
        cmd = next(
            (c for c in self.synced_commands() if c["name"] == parts[0] and c["type"] == 1), None
        )
        if cmd is None:
            raise UnsyncedCommandError(
                f"/{parts[0]} is not synced to the guild "
                f"(synced: {[c['name'] for c in self.synced_commands()]})"
            )
        if not self.can_view(member, channel):
            raise DriverError(f"{member.name} cannot see #{channel.name}")
        required = cmd.get("default_member_permissions")
        if required is not None and not P.has(self.permissions(member, channel), int(required)):
            raise DriverError(f"{member.name} lacks permissions for /{parts[0]}")
        resolved: dict[str, dict[str, Any]] = {}
        schema_opts = cmd.get("options") or []
        top: list[dict[str, Any]] = []
        container = top
        for name in parts[1:]:
            sub = next((o for o in schema_opts if o["name"] == name and o["type"] in (1, 2)), None)
            if sub is None:
                raise DriverError(f"/{command}: no subcommand {name!r}")
            node: dict[str, Any] = {"name": name, "type": sub["type"], "options": []}
            container.append(node)
            container = node["options"]
            schema_opts = sub.get("options") or []
        if any(o["type"] in (1, 2) for o in schema_opts):
            raise DriverError(f"/{command} needs a subcommand")
        if focused is None:
            container.extend(self._options(schema_opts, options, resolved, command))
        else:
            container.extend(
                self._partial_options(schema_opts, options, resolved, command, focused)
            )
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": top}
        if "guild_id" in cmd:
            data["guild_id"] = cmd["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    def _partial_options(
        self,
        schema: list[dict[str, Any]],
        given: dict[str, Any],
        resolved: dict[str, dict[str, Any]],
        command: str,
        focused: str,
    ) -> list[dict[str, Any]]:
        """The options of an autocomplete interaction: what is typed so far. The focused
        one carries its partial text unchecked (Discord checks a value only when the
        command is sent), except that the client stops typing at ``max_length``."""
        known = {o["name"]: o for o in schema}
        for name in given:
            if name not in known:
                raise DriverError(f"/{command}: unknown option {name!r}")
        opt = known.get(focused)
        if opt is None or not opt.get("autocomplete"):
            raise DriverError(f"/{command}: option {focused!r} has no autocomplete")
        partial = given[focused]
        if not isinstance(partial, str):
            raise DriverError(f"/{command} option {focused!r}: the typed text is a string")
        if opt["type"] == 3 and len(partial) > opt.get("max_length", 6000):
            raise DriverError(f"/{command} option {focused!r}: length out of range")
        out = []
        for o in schema:
            name = o["name"]
            if name == focused:
                out.append({"name": name, "type": o["type"], "value": partial, "focused": True})
            elif name in given:
                value = self._option_value(o, given[name], resolved, command)
                out.append({"name": name, "type": o["type"], "value": value})
        return out

    def _options(
        self,
        schema: list[dict[str, Any]],
        given: dict[str, Any],
        resolved: dict[str, dict[str, Any]],
        command: str,
    ) -> list[dict[str, Any]]:
        out = []
        known = {o["name"]: o for o in schema}
        for name in given:
            if name not in known:
                raise DriverError(f"/{command}: unknown option {name!r}")
        for opt in schema:
            name = opt["name"]
            if name not in given:
                if opt.get("required"):
                    raise DriverError(f"/{command}: missing required option {name!r}")
                continue
            out.append(
                {
                    "name": name,
                    "type": opt["type"],
                    "value": self._option_value(opt, given[name], resolved, command),
                }
            )
        return out

    def _option_value(
        self, opt: dict[str, Any], value: Any, resolved: dict[str, dict[str, Any]], command: str
    ) -> Any:
        t, name = opt["type"], opt["name"]

        def bad(why: str) -> DriverError:
            return DriverError(f"/{command} option {name!r}: {why}")

        if t == 3:
            if not isinstance(value, str):
                raise bad("expected a string")
            if len(value) < opt.get("min_length", 0) or len(value) > opt.get("max_length", 6000):
                raise bad("length out of range")
        elif t == 4:
            if isinstance(value, bool) or not isinstance(value, int):
                raise bad("expected an integer")
        elif t == 10:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bad("expected a number")
        elif t == 5 and not isinstance(value, bool):
            raise bad("expected a boolean")
        if t in (4, 10) and "min_value" in opt and value < opt["min_value"]:
            raise bad("below min_value")
        if t in (4, 10) and "max_value" in opt and value > opt["max_value"]:
            raise bad("above max_value")
        choices = [c["value"] for c in opt.get("choices") or []]
        if t in (3, 4, 10) and choices and value not in choices:
            raise bad(f"{value!r} is not one of the choices")
        if t in (6, 9) and isinstance(value, Member | User):
            self._resolve_user(value, resolved)
            return str(value.id)
        if t in (8, 9) and isinstance(value, Role):
            resolved.setdefault("roles", {})[str(value.id)] = value.payload()
            return str(value.id)
        if t == 6:
            user = self.world.users.get(int(value))
            if user is None:
                raise bad("unknown user")
            self._resolve_user(user, resolved)
            return str(user.id)
        if t == 8:
            role = self.guild.roles.get(int(value))
            if role is None:
                raise bad("unknown role")
            resolved.setdefault("roles", {})[str(role.id)] = role.payload()
            return str(role.id)
        if t == 7:
            ch = value if isinstance(value, Channel) else self.world.channel(int(value))
            if ch is None:
                raise bad("unknown channel")
            types = opt.get("channel_types")
            if types and ch.type not in types:
                raise bad(f"channel type {ch.type} not allowed ({types})")
            data = {
                k: v
                for k, v in ch.payload().items()
                if k in ("id", "name", "type", "parent_id", "thread_metadata", "guild_id")
            }
            data["permissions"] = str(self.world.permissions(self.bot.id, ch))
            resolved.setdefault("channels", {})[str(ch.id)] = data
            return str(ch.id)
        if t == 11:
            filename, content = value if isinstance(value, tuple) else ("file.bin", value)
            aid = new_snowflake()
            self.world.files[aid] = content
            url = self.emu.attachment_url(aid, filename)
            resolved.setdefault("attachments", {})[str(aid)] = {
                "id": str(aid),
                "filename": filename,
                "size": len(content),
                "url": url,
                "proxy_url": url,
                "content_type": "application/octet-stream",
                "ephemeral": True,
            }
            return str(aid)
        if t == 9:
            raise bad("expected a Member, User or Role")
        return value

    def _resolve_user(self, who: Member | User, resolved: dict[str, dict[str, Any]]) -> None:
        user = who.user if isinstance(who, Member) else who
        resolved.setdefault("users", {})[str(user.id)] = user.payload()
        member = self.guild.members.get(user.id)
        if member is not None:
            resolved.setdefault("members", {})[str(user.id)] = {
                **member.payload(with_user=False),
                "permissions": str(P.guild_permissions(self.guild, member)),
            }

    def _default_channel(self, member: Member) -> Channel:
        for ch in self.guild.live_channels():
            if ch.type == 0 and self.can_view(member, ch):
                return ch
        raise DriverError("no text channel visible to the member; pass channel=")

    def _dispatch_interaction(
        self,
        member: Member,
        channel: Channel,
        itype: int,
        data: dict[str, Any],
        message: Message | None = None,
    ) -> InteractionResult:
        inter = Interaction(
            new_snowflake(),
            new_token("aW50ZXJhY3Rpb24"),
            itype,
            self.guild.id,
            channel.id,
            member.user,
            data,
            message_id=message.id if message else None,
        )
        self.world.interactions[inter.id] = inter
        perms = self.permissions(member, channel)
        payload: dict[str, Any] = {
            "id": str(inter.id),
            "application_id": str(self.emu.application_id),
            "type": itype,
            "data": data,
            "guild_id": str(self.guild.id),
            "guild": {"id": str(self.guild.id), "locale": "en-US", "features": []},
            "channel_id": str(channel.id),
            "channel": {**channel.payload(), "permissions": str(perms)},
            "member": {**member.payload(), "permissions": str(perms)},
            "token": inter.token,
            "version": 1,
            "app_permissions": str(self.world.permissions(self.bot.id, channel)),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if message is not None:
            payload["message"] = (
                self.world.rest_payload(message) if not message.ephemeral else message.payload()
            )
        inter.created = time.monotonic()
        self.world.emit(Event("INTERACTION_CREATE", payload))
        return InteractionResult(self, inter)

    def _find_component(self, message: Message, custom_id: str) -> dict[str, Any]:
        def walk(items: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
            for c in items:
                yield c
                yield from walk(c.get("components") or [])
                if isinstance(c.get("accessory"), dict):
                    yield c["accessory"]
                if isinstance(c.get("component"), dict):
                    yield c["component"]

        for comp in walk(message.components):
            if comp.get("custom_id") == custom_id:
                return comp
        raise DriverError(f"no component {custom_id!r} on message {message.id}")

    def _check_message_visible(self, member: Member, message: Message) -> Channel:
        current = self.world.find_message(message.id)
        if current is None:
            raise DriverError("message was deleted")
        ch = self.world.channels[current.channel_id]
        if current.ephemeral_for not in (None, member.id) or not self.can_view(member, ch):
            raise DriverError(f"{member.name} cannot see message {message.id}")
        return ch

    async def click_button(
        self, member: Member, message: Message, custom_id: str
    ) -> InteractionResult:
        ch = self._check_message_visible(member, message)
        comp = self._find_component(message, custom_id)
        if comp.get("type") != 2 or comp.get("style") in (5, 6):
            raise DriverError(f"{custom_id!r} is not a clickable button")
        if comp.get("disabled"):
            raise DriverError(f"button {custom_id!r} is disabled")
        data = {"custom_id": custom_id, "component_type": 2}
        if "id" in comp:
            data["id"] = comp["id"]
        return self._dispatch_interaction(member, ch, 3, data, message)

    async def select(
        self, member: Member, message: Message, custom_id: str, values: list[Any]
    ) -> InteractionResult:
        ch = self._check_message_visible(member, message)
        comp = self._find_component(message, custom_id)
        ctype = comp.get("type")
        if ctype not in (3, 5, 6, 7, 8):
            raise DriverError(f"{custom_id!r} is not a select menu")
        if comp.get("disabled"):
            raise DriverError(f"select {custom_id!r} is disabled")
        lo, hi = comp.get("min_values", 1), comp.get("max_values", 1)
        if not lo <= len(values) <= hi:
            raise DriverError(f"select {custom_id!r} takes {lo}..{hi} values")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": ctype}
        resolved: dict[str, dict[str, Any]] = {}
        if ctype == 3:
            allowed = [o["value"] for o in comp.get("options") or []]
            for v in values:
                if v not in allowed:
                    raise DriverError(f"{v!r} is not an option of {custom_id!r}")
            data["values"] = list(values)
        else:
            opt_type = {5: 6, 6: 8, 7: 7, 8: 9}[ctype]
            data["values"] = [
                self._option_value({"type": opt_type, "name": custom_id}, v, resolved, custom_id)
                for v in values
            ]
            data["resolved"] = resolved
        return self._dispatch_interaction(member, ch, 3, data, message)

    async def submit_modal(
        self, member: Member, source: InteractionResult | dict[str, Any], values: dict[str, Any]
    ) -> InteractionResult:
        """Fill in and submit the modal the bot showed (``source``: the InteractionResult)."""
        if isinstance(source, InteractionResult):
            modal = source.interaction.modal
            if modal is None:
                raise DriverError("the bot did not answer that interaction with a modal")
            if source.interaction.user.id != member.id:
                raise DriverError("only the invoking member sees that modal")
            ch = self.world.channels[source.interaction.channel_id]
            message = self.world.find_message(source.interaction.message_id or 0)
            trigger: Interaction | None = source.interaction
        else:
            modal, ch, message, trigger = source, self._default_channel(member), None, None
        unknown = set(values)
        comps = []

        def fill(c: dict[str, Any]) -> dict[str, Any]:
            cid = c.get("custom_id")
            out: dict[str, Any] = {"type": c["type"]}
            if "id" in c:
                out["id"] = c["id"]
            if cid is None:
                return out
            out["custom_id"] = cid
            unknown.discard(cid)
            if c["type"] == 4:
                value = values.get(cid, c.get("value") or "")
                if not isinstance(value, str):
                    raise DriverError(f"text input {cid!r} takes a string")
                if c.get("required", True) and not value:
                    raise DriverError(f"text input {cid!r} is required")
                if value and not c.get("min_length", 0) <= len(value) <= c.get("max_length", 4000):
                    raise DriverError(f"text input {cid!r}: length out of range")
                out["value"] = value
            else:
                # A select shows its default options chosen; untouched, they are sent.
                shown = [o["value"] for o in c.get("options") or [] if o.get("default")]
                chosen = list(values.get(cid, shown))
                if c["type"] == 3:
                    allowed = [o["value"] for o in c.get("options") or []]
                    for v in chosen:
                        if v not in allowed:
                            raise DriverError(f"{v!r} is not an option of {cid!r}")
                    lo, hi = c.get("min_values", 1), c.get("max_values", 1)
                    if c.get("required", True) and not lo <= len(chosen) <= hi:
                        raise DriverError(f"select {cid!r} takes {lo}..{hi} values")
                out["values"] = chosen
            return out

        for top in modal.get("components") or []:
            if top["type"] == 1:
                comps.append(
                    {
                        "type": 1,
                        **({"id": top["id"]} if "id" in top else {}),
                        "components": [fill(c) for c in top.get("components") or []],
                    }
                )
            elif top["type"] == 18:
                comps.append(
                    {
                        "type": 18,
                        **({"id": top["id"]} if "id" in top else {}),
                        "component": fill(top["component"]),
                    }
                )
            else:
                comps.append(fill(top))
        if unknown:
            raise DriverError(f"modal has no inputs {sorted(unknown)}")
        data = {"custom_id": modal["custom_id"], "components": comps}
        result = self._dispatch_interaction(member, ch, 5, data, message)
        result.interaction.triggered_by = trigger
        return result

    # ================================================================ scheduled events
    async def create_scheduled_event(
        self,
        name: str,
        start: dt.datetime,
        *,
        channel: Channel | None = None,
        end: dt.datetime | None = None,
        location: str | None = None,
        description: str | None = None,
        creator: Member | None = None,
    ) -> ScheduledEvent:
        """An event a person made in the client: in ``channel`` (voice or stage), or
        external at ``location`` (then ``end`` is required, as Discord requires)."""
        from .rest_events import CHANNEL_TYPE, EXTERNAL, STAGE, VOICE, emit_event

        if channel is None:
            if not location or end is None:
                raise DriverError("an external event needs a location and an end time")
            etype = EXTERNAL
        else:
            etype = STAGE if channel.type == CHANNEL_TYPE[STAGE] else VOICE
            if channel.type != CHANNEL_TYPE[etype]:
                raise DriverError(f"#{channel.name} is neither a voice nor a stage channel")
        owner = self.guild.members[self.guild.owner_id]
        event = ScheduledEvent(
            new_snowflake(),
            self.guild.id,
            name,
            etype,
            start.astimezone(dt.UTC).isoformat(),
            (creator or owner).user,
            channel_id=channel.id if channel else None,
            scheduled_end_time=end.astimezone(dt.UTC).isoformat() if end else None,
            description=description,
            entity_metadata={"location": location} if etype == EXTERNAL else None,
        )
        self.guild.scheduled_events[event.id] = event
        emit_event(self.world, "GUILD_SCHEDULED_EVENT_CREATE", event)
        return event

    def scheduled_events(self, *, include_finished: bool = True) -> list[ScheduledEvent]:
        return [e for e in self.guild.live_events() if include_finished or not e.finished]

    def scheduled_event(self, name: str) -> ScheduledEvent:
        for event in self.guild.live_events():
            if event.name == name:
                return event
        raise KeyError(f"no scheduled event named {name!r}")

    def interested(self, event: ScheduledEvent) -> list[Member]:
        """Members who pressed "Interested", in the order they did."""
        return [self.guild.members[u] for u in event.interested if u in self.guild.members]

    def _can_see_event(self, member: Member, event: ScheduledEvent) -> bool:
        if event.channel_id is None:
            return True
        channel = self.world.channel(event.channel_id)
        return channel is not None and self.can_view(member, channel)

    async def mark_interested(self, member: Member, event: ScheduledEvent) -> None:
        """``member`` presses Discord's own *Interested* (GUILD_SCHEDULED_EVENT_USER_ADD)."""
        from .rest_events import GUILD_SCHEDULED_EVENTS

        if event.deleted or event.finished:
            raise DriverError(f"event {event.name!r} is over")
        if not self._can_see_event(member, event):
            raise DriverError(f"{member.name} cannot see event {event.name!r}")
        if member.id in event.interested:
            return
        event.interested.append(member.id)
        self.world.emit(
            Event(
                "GUILD_SCHEDULED_EVENT_USER_ADD", self._rsvp(event, member), GUILD_SCHEDULED_EVENTS
            )
        )

    async def unmark_interested(self, member: Member, event: ScheduledEvent) -> None:
        """``member`` presses *Interested* again (GUILD_SCHEDULED_EVENT_USER_REMOVE)."""
        from .rest_events import GUILD_SCHEDULED_EVENTS

        if member.id not in event.interested:
            return
        event.interested.remove(member.id)
        self.world.emit(
            Event(
                "GUILD_SCHEDULED_EVENT_USER_REMOVE",
                self._rsvp(event, member),
                GUILD_SCHEDULED_EVENTS,
            )
        )

    def _rsvp(self, event: ScheduledEvent, member: Member) -> dict[str, Any]:
        return {
            "guild_scheduled_event_id": str(event.id),
            "user_id": str(member.id),
            "guild_id": str(self.guild.id),
        }

    async def _set_status(self, event: ScheduledEvent, status: int) -> ScheduledEvent:
        from .rest_events import TRANSITIONS, emit_event

        if event.deleted or status not in TRANSITIONS.get(event.status, set()):
            raise DriverError(f"event {event.name!r} cannot go from {event.status} to {status}")
        event.status = status
        emit_event(self.world, "GUILD_SCHEDULED_EVENT_UPDATE", event)
        return event

    async def start_event(self, event: ScheduledEvent) -> ScheduledEvent:
        """A moderator presses *Start* (SCHEDULED -> ACTIVE)."""
        return await self._set_status(event, 2)

    async def end_event(self, event: ScheduledEvent) -> ScheduledEvent:
        """The event ends (ACTIVE -> COMPLETED): *End Event*, or the last person leaves."""
        return await self._set_status(event, 3)

    async def cancel_event(self, event: ScheduledEvent) -> ScheduledEvent:
        """A moderator cancels it (SCHEDULED -> CANCELED)."""
        return await self._set_status(event, 4)

    async def run_event_automation(self) -> list[ScheduledEvent]:
        """What Discord does by itself at the current (Discord) time, per "Guild Scheduled
        Event Status Update Automation": external events start at their start time and end
        at their end time; an event still SCHEDULED ``AUTO_CANCEL_AFTER`` past its start is
        canceled ("on the order of hours": 2 h is the emulator's figure). Returns the
        events changed. Voice and stage events never start by themselves."""
        from .rest_events import AUTO_CANCEL_AFTER, EXTERNAL

        changed = []
        moment = now()
        for event in self.guild.live_events():
            start = dt.datetime.fromisoformat(event.scheduled_start_time).timestamp()
            end_raw = event.scheduled_end_time
            end = dt.datetime.fromisoformat(end_raw).timestamp() if end_raw else None
            if event.entity_type == EXTERNAL and event.status == 1 and moment >= start:
                changed.append(await self._set_status(event, 2))
            if event.entity_type == EXTERNAL and event.status == 2 and end and moment >= end:
                changed.append(await self._set_status(event, 3))
            elif event.status == 1 and moment >= start + AUTO_CANCEL_AFTER:
                changed.append(await self._set_status(event, 4))
        return changed

    # ================================================================ inspection
    def channels(self, type: int | None = None) -> list[Channel]:
        return [c for c in self.guild.live_channels() if type is None or c.type == type]

    def channel(self, name: str) -> Channel:
        for c in self.guild.channels.values():
            if not c.deleted and c.name == name:
                return c
        raise KeyError(f"no channel named {name!r}; have {[c.name for c in self.channels()]}")

    def find_channel(self, name: str) -> Channel | None:
        try:
            return self.channel(name)
        except KeyError:
            return None

    def overwrites(self, channel: Channel) -> dict[int, Overwrite]:
        return dict(channel.overwrites)

    def permissions(self, member: Member, channel: Channel) -> int:
        return self.world.permissions(member.id, channel)

    def can_view(self, member: Member, channel: Channel) -> bool:
        return self.world.can_view(member.id, channel)

    def messages(self, channel: Channel, *, include_ephemeral: bool = False) -> list[Message]:
        return sorted(
            (
                m
                for m in self.world.channel_messages(channel.id)
                if include_ephemeral or not m.ephemeral
            ),
            key=lambda m: m.id,
        )

    def visible_messages(self, member: Member, channel: Channel) -> list[Message]:
        """What ``member`` sees in ``channel``: nothing without VIEW/READ_HISTORY,
        and only their own ephemeral answers."""
        perms = self.permissions(member, channel)
        if not P.has(perms, P.VIEW_CHANNEL, P.READ_MESSAGE_HISTORY):
            return []
        return [
            m
            for m in self.messages(channel, include_ephemeral=True)
            if m.ephemeral_for in (None, member.id)
        ]

    def ephemeral_answers(self, member: Member) -> list[Message]:
        return sorted(
            (
                m
                for msgs in self.world.messages.values()
                for m in msgs.values()
                if not m.deleted and m.ephemeral_for == member.id
            ),
            key=lambda m: m.id,
        )

    def dm_channel(self, member: Member) -> Channel | None:
        for ch in self.world.channels.values():
            if ch.type == 1 and any(u.id == member.id for u in ch.recipients):
                return ch
        return None

    def dms(self, member: Member) -> list[Message]:
        ch = self.dm_channel(member)
        return self.messages(ch) if ch else []

    def threads(
        self, parent: Channel | None = None, *, include_archived: bool = True
    ) -> list[Channel]:
        return [
            t
            for t in self.guild.live_threads()
            if (parent is None or t.parent_id == parent.id) and (include_archived or not t.archived)
        ]

    def forum_posts(self, forum: Channel) -> list[Channel]:
        return self.threads(forum)

    def notifications(self, member: Member, channel: Channel | None = None) -> list[Notification]:
        """Every ping ``member`` received (oldest first), optionally only in ``channel``.

        Pings follow Discord's rules, not the raw text: ``allowed_mentions``, the role's
        ``mentionable`` flag or the sender's Mention Everyone, and the member being able to
        view the channel (see :mod:`tests.emulator.mentions`)."""
        found = []
        for channel_id, msgs in self.world.messages.items():
            if channel is not None and channel_id != channel.id:
                continue
            for m in msgs.values():
                if not m.deleted and member.id in m.pinged:
                    found.append(Notification(m, m.pinged[member.id], bool(m.flags & 4096)))
        return sorted(found, key=lambda n: n.message.id)

    def was_pinged(self, member: Member, message: Message) -> bool:
        """True when ``message`` notified ``member``."""
        current = self.world.find_message(message.id) or message
        return member.id in current.pinged

    def pins(self, channel: Channel) -> list[Message]:
        return [m for m in self.messages(channel) if m.pinned]

    def role(self, name: str) -> Role:
        for r in self.guild.roles.values():
            if r.name == name:
                return r
        raise KeyError(name)

    def role_members(self, role: Role | int) -> list[Member]:
        rid = _id(role)
        return [m for m in self.guild.members.values() if rid in m.roles or rid == self.guild.id]

    def attachment_bytes(self, attachment: dict[str, Any]) -> bytes:
        return self.world.files[int(attachment["id"])]


def _id(obj: Any) -> int:
    return obj if isinstance(obj, int) else obj.id
