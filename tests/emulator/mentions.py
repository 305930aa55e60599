"""Who a message mentions, and who it notifies, as Discord decides it.

Message resource, "Allowed Mentions Object" (discord-api-docs
``developers/resources/message.mdx``):

* Without ``allowed_mentions``, regular messages parse users, roles and everyone;
  interaction responses and webhooks parse users only ("Default Settings").
* ``parse`` is mutually exclusive with ``users`` (and with ``roles``): ``parse: ["users"]``
  together with a non-empty ``users`` list is a validation error (400, 50035); an empty or
  null list is not.
* Ids listed in ``users``/``roles`` only count when the mention is also in the content.
* A role is only mentioned when it is ``mentionable`` or the sender has MENTION_EVERYONE;
  ``@everyone``/``@here`` only when the sender has MENTION_EVERYONE.
* ``replied_user`` (default false) mentions the author of the message replied to.

Who is notified: the mentioned users, the members of mentioned roles, and for
``@everyone``/``@here`` every member, each only if they can view the channel and are not
the author. SUPPRESS_NOTIFICATIONS (``1 << 12``) still mentions, but silently (a badge, no
push). The emulator has no presences, so ``@here`` reaches everyone ``@everyone`` would.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import permissions as P
from .limits import Problem

if TYPE_CHECKING:
    from .state import Channel, Message, User
    from .world import World

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")
EVERYONE = re.compile(r"@(everyone|here)\b")
SUPPRESS_NOTIFICATIONS = 1 << 12

#: Regular messages parse everything by default; interactions and webhooks users only.
PARSE_ALL = ("users", "roles", "everyone")
PARSE_USERS = ("users",)


@dataclass
class Mentions:
    users: list[User] = field(default_factory=list)
    roles: list[int] = field(default_factory=list)
    everyone: bool = False
    #: user id -> why they are notified: "user", "role", "everyone", "here" or "reply"
    pinged: dict[int, str] = field(default_factory=dict)


def check_allowed_mentions(allowed: Any, prefix: str = "") -> list[Problem]:
    """The validation errors Discord gives for contradictory ``allowed_mentions``."""
    if not isinstance(allowed, dict):
        return []
    parse = allowed.get("parse") or []
    problems: list[Problem] = []
    for kind in ("users", "roles"):
        if kind in parse and allowed.get(kind):
            problems.append(
                (
                    f"{prefix}allowed_mentions",
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                )
            )
    return problems


def _text_of(content: str, components: Iterable[dict[str, Any]]) -> str:
    """The content plus any text display components (mentions may live there)."""
    parts = [content]

    def walk(items: Iterable[Any]) -> None:
        for c in items:
            if isinstance(c, dict):
                if c.get("type") == 10 and isinstance(c.get("content"), str):
                    parts.append(c["content"])
                walk(c.get("components") or [])
                for key in ("accessory", "component"):
                    if isinstance(c.get(key), dict):
                        walk([c[key]])

    walk(components)
    return "\n".join(parts)


def resolve(
    world: World,
    channel: Channel,
    author: User,
    content: str,
    *,
    components: Iterable[dict[str, Any]] = (),
    allowed: dict[str, Any] | None = None,
    default_parse: tuple[str, ...] = PARSE_ALL,
    sender_permissions: int = 0,
    reply_to: Message | None = None,
) -> Mentions:
    """Apply Discord's allowed-mentions rules to a new message."""
    text = _text_of(content, components)
    if allowed is None:
        parse: set[str] = set(default_parse)
        only_users: set[int] = set()
        only_roles: set[int] = set()
        replied_user = False
    else:
        parse = set(allowed.get("parse") or [])
        only_users = {int(u) for u in allowed.get("users") or []}
        only_roles = {int(r) for r in allowed.get("roles") or []}
        replied_user = bool(allowed.get("replied_user"))
    guild = world.guild_of(channel)
    can_everyone = P.has(sender_permissions, P.MENTION_EVERYONE)

    out = Mentions()
    reasons: dict[int, str] = {}
    for raw in USER_MENTION.findall(text):
        uid = int(raw)
        if uid in reasons or uid not in world.users:
            continue
        if "users" in parse or uid in only_users:
            reasons[uid] = "user"
            out.users.append(world.users[uid])
    for raw in ROLE_MENTION.findall(text):
        rid = int(raw)
        role = guild.roles.get(rid) if guild is not None else None
        if role is None or rid in out.roles:
            continue
        if ("roles" in parse or rid in only_roles) and (role.mentionable or can_everyone):
            out.roles.append(rid)
    which = {m.group(1) for m in EVERYONE.finditer(text)}
    out.everyone = bool(which) and "everyone" in parse and can_everyone and guild is not None
    if reply_to is not None and replied_user and reply_to.author.id not in reasons:
        reasons[reply_to.author.id] = "reply"
        out.users.append(reply_to.author)

    def ping(uid: int, why: str) -> None:
        if uid == author.id or uid in out.pinged:
            return
        if guild is not None and (uid not in guild.members or not world.can_view(uid, channel)):
            return
        out.pinged[uid] = why

    for user in out.users:
        ping(user.id, reasons[user.id])
    if guild is not None:
        for rid in out.roles:
            for member in guild.members.values():
                if rid in member.roles:
                    ping(member.id, "role")
        if out.everyone:
            why = "everyone" if "everyone" in which else "here"
            for member in guild.members.values():
                ping(member.id, why)
    return out


def is_silent(flags: int) -> bool:
    return bool(flags & SUPPRESS_NOTIFICATIONS)
