"""Offline Discord emulator that the real discord.py client runs against.

See README.md in this directory.
"""

from .client import minimal_bot, point_discord_py_at, running_client
from .driver import (
    Driver,
    DriverError,
    InteractionResult,
    Notification,
    Response,
    UnsyncedCommandError,
)
from .errors import ApiError
from .faults import Faults
from .ratelimit import RateLimits, Rule
from .server import DiscordEmulator, TranscriptEntry
from .spec import Spec, Violation, load_spec
from .state import Channel, Guild, Member, Message, Overwrite, Role, ScheduledEvent, User
from .world import (
    DIRECT_MESSAGES,
    GUILD_MEMBERS,
    GUILD_MESSAGES,
    GUILD_PRESENCES,
    GUILD_SCHEDULED_EVENTS,
    GUILDS,
    MESSAGE_CONTENT,
)

__all__ = [
    "DIRECT_MESSAGES",
    "GUILDS",
    "GUILD_MEMBERS",
    "GUILD_MESSAGES",
    "GUILD_PRESENCES",
    "GUILD_SCHEDULED_EVENTS",
    "MESSAGE_CONTENT",
    "ApiError",
    "Channel",
    "DiscordEmulator",
    "Driver",
    "DriverError",
    "Faults",
    "Guild",
    "InteractionResult",
    "Member",
    "Message",
    "Notification",
    "Overwrite",
    "RateLimits",
    "Response",
    "Role",
    "Rule",
    "ScheduledEvent",
    "Spec",
    "TranscriptEntry",
    "UnsyncedCommandError",
    "User",
    "Violation",
    "load_spec",
    "minimal_bot",
    "point_discord_py_at",
    "running_client",
]
