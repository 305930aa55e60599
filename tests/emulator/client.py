"""Pointing the real discord.py client at an emulator, and running it for a test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, TypeVar

import discord
import discord.gateway
import discord.http
import yarl
from discord.ext import commands

if TYPE_CHECKING:
    from .server import DiscordEmulator

ClientT = TypeVar("ClientT", bound=discord.Client)


class _Restore:
    """Callable that restores discord.py's globals; also a context manager."""

    def __init__(self, base: str, gateway: yarl.URL) -> None:
        self._base, self._gateway = base, gateway

    def __call__(self) -> None:
        discord.http.Route.BASE = self._base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._gateway

    def __enter__(self) -> _Restore:
        return self

    def __exit__(self, *exc: object) -> None:
        self()


def point_discord_py_at(emulator: DiscordEmulator) -> _Restore:
    """Set ``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` to the emulator.

    Returns a restore callable (usable as ``with point_discord_py_at(emu): ...``).
    discord.py 2.7 never calls /gateway/bot to connect, hence the gateway global.
    """
    restore = _Restore(discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    discord.http.Route.BASE = emulator.api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(emulator.gateway_url)
    return restore


@contextlib.asynccontextmanager
async def running_client(
    emulator: DiscordEmulator,
    client: ClientT,
    *,
    token: str | None = None,
    ready_timeout: float = 5.0,
    guild_ready_timeout: float | None = 0.05,
    start: Callable[[ClientT, str], object] | None = None,
) -> AsyncIterator[ClientT]:
    """Start ``client`` against ``emulator``, wait for on_ready, close it on exit.

    ``guild_ready_timeout`` overrides discord.py's 2 s wait after the last
    GUILD_CREATE before READY fires (pass None to keep the client's value).
    If the client fails to start (e.g. PrivilegedIntentsRequired, LoginFailure)
    that exception is raised here, after the client has been closed cleanly.
    """
    restore = point_discord_py_at(emulator)
    if guild_ready_timeout is not None:
        client._connection.guild_ready_timeout = guild_ready_timeout
    runner = (
        start(client, token or emulator.token) if start else client.start(token or emulator.token)
    )
    task: asyncio.Task[object] = asyncio.ensure_future(runner)  # type: ignore[arg-type]
    ready = asyncio.ensure_future(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait(
            {task, ready}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if task in done:
            task.result()  # raises the startup error
            raise RuntimeError("client stopped before becoming ready")
        if ready not in done:
            raise TimeoutError(f"client not ready after {ready_timeout}s")
        yield client
    finally:
        ready.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ready
        await client.close()
        if not task.done():
            try:
                await asyncio.wait_for(task, timeout=5)
            except (asyncio.CancelledError, TimeoutError):
                task.cancel()
        if task.done() and not task.cancelled():
            task.exception()  # mark retrieved; startup errors were raised above
        restore()


def minimal_bot(**options: object) -> commands.Bot:
    """A plain bot for the emulator's self-tests: guilds, guild messages and members, the
    intents a partnership bot uses (not message content)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.members = True
    return commands.Bot(command_prefix="!", intents=intents, **options)  # type: ignore[arg-type]
