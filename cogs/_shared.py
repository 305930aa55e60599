"""What every cog shares: reaching the program, the coordinator check, polite answers."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands

from bot.domain.away import AwayRejected, DateParseError
from bot.services.errors import UserFacingError

if TYPE_CHECKING:
    from bot.client import ILNBot
    from bot.services.program import Program

T = TypeVar("T")
S = TypeVar("S")
_log = logging.getLogger(__name__)


class NotACoordinator(app_commands.CheckFailure):
    """Raised for a coordinator command used by someone without the role."""


def program_of(interaction: discord.Interaction[Any]) -> Program:
    bot: ILNBot = interaction.client
    return bot.program


def is_coordinator(member: discord.abc.User, role_name: str) -> bool:
    roles = getattr(member, "roles", [])
    return any(role.name == role_name for role in roles)


async def ensure_coordinator(interaction: discord.Interaction[Any]) -> bool:
    """The runtime half of the coordinator check: the configured role, or a refusal."""
    role_name = interaction.client.config.discord.coordinator_role
    if not is_coordinator(interaction.user, role_name):
        raise NotACoordinator(f"Only members with the **{role_name}** role can use this command.")
    return True


def coordinator_only() -> Callable[[T], T]:
    """Coordinator commands in one place: hidden from ordinary members by default (a server
    admin can grant them to the coordinator role in Server Settings → Integrations) and
    checked against the role whenever they run. Works on a command or a group cog class."""

    def decorator(command: T) -> T:
        hidden = app_commands.default_permissions(manage_messages=True)(command)
        if isinstance(hidden, app_commands.Group):
            # A group made as an instance: discord.py asks its interaction_check before
            # each of its commands, as it asks a group class's.
            own = hidden.interaction_check
            hidden.interaction_check = _chained(own)  # type: ignore[method-assign]
            return hidden
        if isinstance(hidden, type):
            # A group cog or group class: its interaction_check runs before every command
            # in it (discord.py calls the binding's and the parent group's). A check the
            # class has of its own still runs after the coordinator check.
            own_check = hidden.__dict__.get("interaction_check")
            hidden.interaction_check = _class_check(own_check)  # type: ignore[attr-defined]
            return hidden
        return app_commands.check(ensure_coordinator)(hidden)

    return decorator


def _chained(
    own: Callable[[discord.Interaction[Any]], Coroutine[Any, Any, bool]],
) -> Callable[[discord.Interaction[Any]], Coroutine[Any, Any, bool]]:
    async def check(interaction: discord.Interaction[Any]) -> bool:
        return await ensure_coordinator(interaction) and await own(interaction)

    return check


def _class_check(
    own: Callable[[Any, discord.Interaction[Any]], Coroutine[Any, Any, bool]] | None,
) -> Callable[[Any, discord.Interaction[Any]], Coroutine[Any, Any, bool]]:
    async def check(self: object, interaction: discord.Interaction[Any]) -> bool:
        if not await ensure_coordinator(interaction):
            return False
        return True if own is None else await own(self, interaction)

    return check


def coordinator_autocomplete(interaction: discord.Interaction[Any]) -> bool:
    """Autocomplete runs no command checks in discord.py: names of pairs and people are
    offered to coordinators only."""
    role_name = interaction.client.config.discord.coordinator_role
    return is_coordinator(interaction.user, role_name)


async def answer(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    file: discord.File | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = True,
) -> None:
    """Reply once, or follow up when the interaction was already answered or deferred."""
    kwargs: dict[str, Any] = {"content": content, "ephemeral": ephemeral}
    if embed is not None:
        kwargs["embed"] = embed
    if file is not None:
        kwargs["file"] = file
    if view is not None:
        kwargs["view"] = view
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


async def report_error(interaction: discord.Interaction[Any], error: Exception) -> None:
    """Answer any failed interaction politely and ephemerally; log only the unexpected.

    Used by the command tree's error handler and by buttons and modals, so a traceback
    never reaches the chat and the person always learns what happened.
    """
    original = getattr(error, "original", error)
    if isinstance(original, UserFacingError | DateParseError | AwayRejected):
        text = str(original)
    elif isinstance(error, app_commands.CheckFailure):
        text = str(error) or "You cannot use this command here."
    elif isinstance(error, app_commands.TransformerError):
        text = f"I could not read {error.value!r} as a {error.type.name.lower()}. Please check it."
    else:
        _log.error(
            "interaction %s by %s in channel %s failed",
            _describe(interaction),
            interaction.user.id,
            interaction.channel_id,
            exc_info=original,
        )
        text = (
            "Sorry, something went wrong on our side and nothing was changed. "
            "Please try again; if it keeps happening, tell a coordinator."
        )
    try:
        await answer(interaction, text[:2000])
    except discord.HTTPException:
        _log.warning("could not tell user %s about a failed interaction", interaction.user.id)


def _describe(interaction: discord.Interaction[Any]) -> str:
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    data: Mapping[str, Any] = interaction.data or {}
    return str(data.get("custom_id", interaction.type.name))


def polite(
    callback: Callable[[S, discord.Interaction[Any]], Coroutine[Any, Any, None]],
) -> Callable[[S, discord.Interaction[Any]], Coroutine[Any, Any, None]]:
    """For button callbacks, which discord.py would otherwise only log: any failure gets the
    same polite ephemeral answer as a slash command's."""

    @functools.wraps(callback)
    async def wrapper(self: S, interaction: discord.Interaction[Any]) -> None:
        try:
            await callback(self, interaction)
        except Exception as error:  # reported to the user, and logged when unexpected
            await report_error(interaction, error)

    return wrapper


class PoliteModal(discord.ui.Modal):
    """A modal whose failures get the same polite ephemeral answer as a command's."""

    # Matches discord.ui.Modal.on_error, which itself drops the ``item`` parameter of
    # BaseView.on_error: discord.py's own hierarchy is what mypy flags here.
    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await report_error(interaction, error)


class PoliteView(discord.ui.View):
    """A view whose buttons' failures get the same polite ephemeral answer as a command's."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report_error(interaction, error)


def text_field(
    text: str, custom_id: str, default: str | None = None, **options: Any
) -> discord.ui.Label[Any]:
    """A labelled text input (discord.py 2.6+ puts the label on a Label component)."""
    return discord.ui.Label(
        text=text, component=discord.ui.TextInput(custom_id=custom_id, default=default, **options)
    )


def field_value(field: discord.ui.Label[Any]) -> str:
    component = field.component
    return component.value if isinstance(component, discord.ui.TextInput) else ""
