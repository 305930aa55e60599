"""The DiscordEmulator: one aiohttp server on 127.0.0.1 serving REST v10 and the gateway."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from . import permissions as P
from .errors import INVALID_JSON, ApiError, form_errors
from .faults import Faults
from .gateway import Gateway
from .ratelimit import RateLimiter, RateLimits
from .rest import ROUTER, Context, Router
from .spec import Spec, Violation, load_spec
from .state import Guild, Member
from .world import GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT, Event, World

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
_UNSET: Any = object()


@dataclass
class TranscriptEntry:
    """One REST request as the emulator saw it."""

    method: str
    route: str | None  # spec template, None if unknown
    path: str  # relative to /api/v10
    query: dict[str, str]
    body: Any
    status: int = 0
    response: Any = None
    files: list[str] = field(default_factory=list)
    at: float = field(default_factory=time.monotonic)
    #: (status, payload) the handler produced when a fail_after_apply fault replaced it
    applied: tuple[int, Any] | None = None

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}>"


class DiscordEmulator:
    """Offline Discord: REST + gateway + world state + rules + faults.

    Construct, ``await start()``, point discord.py at ``api_base_url`` /
    ``gateway_url`` (see :func:`tests.emulator.client.point_discord_py_at`),
    drive it with :attr:`driver`, ``await stop()``.
    """

    def __init__(
        self,
        *,
        token: str = "emulator.bot.token",
        spec: Spec | None = _UNSET,
        rate_limits: RateLimits | None = None,
        heartbeat_interval: float = 41.25,
        heartbeat_ack_delay: float = 0.04,
        interaction_deadline: float = 3.0,
        max_active_threads: int = 1000,
        max_guild_channels: int = 500,
        max_category_channels: int = 50,
        nonce_window: float = 300.0,
        privileged_intents: frozenset[int] | set[int] = frozenset({GUILD_MEMBERS}),
        guild_name: str = "ILN Test Guild",
        seed: bool = True,
    ) -> None:
        self.token = token
        self.spec: Spec | None = load_spec() if spec is _UNSET else spec
        self.rate_limiter = RateLimiter(rate_limits or RateLimits.discord())
        self.heartbeat_interval = heartbeat_interval
        #: seconds before a HEARTBEAT_ACK goes out: a network round trip, as from Discord
        self.heartbeat_ack_delay = heartbeat_ack_delay
        self.interaction_deadline = interaction_deadline
        self.max_active_threads = max_active_threads
        self.max_guild_channels = max_guild_channels
        self.max_category_channels = max_category_channels
        self.nonce_window = nonce_window
        self.privileged_intents = set(privileged_intents)
        self.faults = Faults()
        self.gateway = Gateway(self)
        self.world = World(emit=self._emit)
        self.world.message_content_enabled = MESSAGE_CONTENT in self.privileged_intents
        self.router: Router = ROUTER
        self.transcript: list[TranscriptEntry] = []
        self.violations: list[Violation] = []
        #: emulator answers that break the spec's response schemas (emulator bugs)
        self.response_violations: list[Violation] = []
        self.unknown_routes: list[TranscriptEntry] = []
        #: handler crashes (emulator bugs); the pytest plugin fails the test on these
        self.internal_errors: list[str] = []
        self.events: list[Event] = []
        #: 429 responses sent (injected or enforced)
        self.sent_429 = 0
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._handler_tasks: set[asyncio.Task[Any]] = set()
        bot = self.world.create_user("ILN Bot", bot=True)
        self.world.bot = bot
        self.application_id = bot.id
        self.owner = self.world.create_user("guild-owner")
        self.guild: Guild | None = None
        self.bot_role = None
        if seed:
            self._seed(guild_name)
        from .driver import Driver  # circular at import time

        self.driver = Driver(self)

    # ---------------------------------------------------------------- seeding
    def _seed(self, name: str) -> None:
        world = self.world
        guild = world.create_guild(name, self.owner)
        self.guild = guild
        # Bot's managed integration role sits at the top, like an invited bot's role.
        self.bot_role = world.create_role(guild, "ILN Bot", P.DEFAULT_BOT, position=100)
        self.bot_role.managed = True
        world.add_member(guild, world.bot, [self.bot_role.id], dispatch=False)  # type: ignore[arg-type]

    # ---------------------------------------------------------------- lifecycle
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> DiscordEmulator:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/attachments/{aid}/{filename}", self._attachment)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        self._port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        return self

    async def stop(self) -> None:
        await self.gateway.close_all()
        await asyncio.sleep(0)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordEmulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        assert self._port is not None, "emulator not started"
        return self._port

    @property
    def api_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def attachment_url(self, attachment_id: int, filename: str) -> str:
        """Where attachment bytes are served (instead of cdn.discordapp.com)."""
        return f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{filename}"

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.world.files.get(int(request.match_info["aid"]))
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    # ---------------------------------------------------------------- gateway API
    def _emit(self, event: Event) -> None:
        self.events.append(event)
        self.gateway.dispatch(event)

    async def drop_gateway(self, code: int = 4000, *, hold: bool = False) -> None:
        """Close live gateway sockets abnormally; the session stays resumable.

        With ``hold=True`` reconnecting clients get no HELLO until
        :meth:`release_gateway` - so a test can make things happen "while the
        bot is offline" without racing the (immediate) reconnect.
        """
        if hold:
            self.gateway.open.clear()
        await self.gateway.drop(code)

    def release_gateway(self) -> None:
        self.gateway.open.set()

    @contextlib.asynccontextmanager
    async def gateway_outage(self, code: int = 4000) -> AsyncIterator[None]:
        """``async with emu.gateway_outage(): ...`` - drop, hold, and release on exit."""
        await self.drop_gateway(code, hold=True)
        try:
            yield
        finally:
            self.release_gateway()

    def send_reconnect(self) -> None:
        """Send op 7 RECONNECT; the client reconnects and RESUMEs."""
        self.gateway.send_op(7, None)

    def invalidate_session(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION (``resumable=False`` forces a fresh IDENTIFY)."""
        self.gateway.invalidate(resumable)

    @property
    def application_flags(self) -> int:
        flags = 0
        if GUILD_PRESENCES in self.privileged_intents:
            flags |= 1 << 13  # GATEWAY_PRESENCE_LIMITED
        if GUILD_MEMBERS in self.privileged_intents:
            flags |= 1 << 15  # GATEWAY_GUILD_MEMBERS_LIMITED
        if MESSAGE_CONTENT in self.privileged_intents:
            flags |= 1 << 19  # GATEWAY_MESSAGE_CONTENT_LIMITED
        return flags

    def bot_user_payload(self) -> dict[str, Any]:
        assert self.world.bot is not None
        return {
            **self.world.bot.payload(),
            "verified": True,
            "mfa_enabled": False,
            "email": None,
            "locale": "en-US",
            "bot": True,
        }

    def guild_create_payload(self, guild: Guild, intents: int) -> dict[str, Any]:
        world = self.world
        assert world.bot is not None
        bot_member = guild.members[world.bot.id]
        if intents & GUILD_PRESENCES:
            members: list[Member] = list(guild.members.values())
        else:
            # Without GUILD_PRESENCES Discord only sends the bot itself (+ voice members).
            members = [bot_member]
        threads = [t for t in world.active_threads(guild) if world.can_view(world.bot.id, t)]
        return {
            **guild.payload(),
            "joined_at": bot_member.joined_at,
            "large": False,
            "unavailable": False,
            "lazy": True,
            "member_count": len(guild.members),
            "voice_states": [],
            "members": [m.payload() for m in members],
            "channels": [c.payload() for c in guild.live_channels()],
            "threads": [t.payload() for t in threads],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [
                e.payload(with_user_count=True)
                for e in guild.live_events()
                if e.channel_id is None
                or (
                    (ch := world.channel(e.channel_id)) is not None
                    and world.can_view(world.bot.id, ch)
                )
            ],
            "soundboard_sounds": [],
            "embedded_activities": [],
        }

    # ---------------------------------------------------------------- REST pipeline
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if not path.startswith(API_PREFIX):
            return self._json(404, {"message": "404: Not Found", "code": 0}, {})
        rel = path[len(API_PREFIX) :] or "/"
        method = request.method
        query = dict(request.query)
        entry = TranscriptEntry(method, None, rel, query, None)
        self.transcript.append(entry)
        if self.rate_limiter.banned():
            # Discord's invalid-request limit: Cloudflare answers every request with a 429
            # HTML page (no ``Via`` header, no JSON), which discord.py raises at once.
            entry.status, entry.response = 429, "cloudflare ban (error 1015)"
            self.sent_429 += 1
            return web.Response(
                status=429, text="<html>error code: 1015</html>", content_type="text/html"
            )
        match = self.router.match(method, rel)
        try:
            body, files = await self._read_body(request)
        except ApiError as exc:
            return self._respond(entry, exc.status, exc.payload(), {})
        entry.body = body
        entry.files = [f["filename"] for f in files]
        template = match[0] if match else (self.spec.match(method, rel) if self.spec else None)
        entry.route = template
        params = match[1] if match else {}

        # Validate every request that reaches a known route, even one that is then
        # faulted or rate limited, so a bad body can never slip through unseen.
        problems: list[tuple[str, str]] = []
        if match is not None and self.spec is not None:
            problems = self.spec.validate_query(method, match[0], query)
            if self.spec.operation(method, match[0]) is not None:
                problems += self.spec.validate_body(method, match[0], body)
            for field_path, reason in problems:
                self.violations.append(Violation(method, match[0], rel, field_path, reason))

        delay = self.faults.delay_for(method, template or rel, rel)
        if delay:
            await asyncio.sleep(delay)

        failure = self.faults.take_failure(method, template or rel, rel)
        decision = self.rate_limiter.check(method, template or rel, params, body)
        headers = dict(decision.headers)
        if failure is not None:
            if failure.status == 429:
                return self._too_many(entry, failure.retry_after, failure.is_global, headers)
            payload = {"message": f"{failure.status}: injected fault", "code": failure.code}
            return self._respond(entry, failure.status, payload, headers)
        if decision.limited:
            return self._too_many(
                entry, decision.retry_after, decision.is_global, headers, decision.scope
            )

        if match is None:
            self.unknown_routes.append(entry)
            payload = {"message": "404: Not Found", "code": 0}
            return self._respond(entry, 404, payload, headers)

        route = self.router.routes[(method, match[0])]
        if route.auth and request.headers.get("Authorization") != f"Bot {self.token}":
            payload = {"message": "401: Unauthorized", "code": 0}
            return self._respond(entry, 401, payload, headers)

        if problems:
            payload = ApiError(
                (400, 50035, "Invalid Form Body"),
                form_errors([(f, "SPEC_VIOLATION", r) for f, r in problems]),
            ).payload()
            return self._respond(entry, 400, payload, headers)

        ctx = Context(self, request, method, rel, match[0], params, query, body, files)
        try:
            status, payload = await route.handler(ctx)
        except ApiError as exc:
            status, payload = exc.status, exc.payload()
        except Exception as exc:  # an emulator bug: fail fast (a 500 would be retried)
            log.exception("emulator handler crashed on %s %s", method, rel)
            self.internal_errors.append(f"{method} {rel}: {exc!r}")
            status, payload = 400, {"code": 0, "message": f"emulator internal error: {exc!r}"}
        if status < 400:
            applied = self.faults.take_after_apply(method, match[0], rel)
            if applied is not None:
                # The world has changed; the client only learns of a server error.
                entry.applied = (status, payload)
                payload = {"message": f"{applied.status}: injected fault", "code": applied.code}
                return self._respond(entry, applied.status, payload, headers)
        return self._respond(entry, status, payload, headers)

    def _respond(
        self, entry: TranscriptEntry, status: int, payload: Any, headers: dict[str, str]
    ) -> web.Response:
        """Record, check against the spec's response schema, count invalid requests, send."""
        entry.status, entry.response = status, payload
        if status in (401, 403, 429) and headers.get("X-RateLimit-Scope") != "shared":
            self.rate_limiter.invalid_request()
        # 5xx are only ever injected faults, which the spec does not describe.
        known = entry.route is not None and (entry.method, entry.route) in self.router.routes
        if self.spec is not None and known and status < 500:
            assert entry.route is not None
            body = None if status == 204 else payload
            for field_path, reason in self.spec.validate_response(
                entry.method, entry.route, status, body
            ):
                self.response_violations.append(
                    Violation(
                        entry.method,
                        entry.route,
                        entry.path,
                        field_path,
                        reason,
                        kind="response",
                        status=status,
                    )
                )
        if status == 204:
            return web.Response(status=204, headers=headers)
        return self._json(status, payload, headers)

    async def _read_body(self, request: web.Request) -> tuple[Any, list[dict[str, Any]]]:
        files: list[dict[str, Any]] = []
        if not request.can_read_body:
            return None, files
        ctype = request.content_type
        if ctype == "multipart/form-data":
            body: Any = None
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    raw = await part.text()  # type: ignore[union-attr]
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        raise ApiError(INVALID_JSON) from None
                else:
                    data = await part.read()  # type: ignore[union-attr]
                    files.append(
                        {
                            "field": part.name,
                            "filename": part.filename,  # type: ignore[union-attr]
                            "content_type": part.headers.get(
                                "Content-Type",  # type: ignore[union-attr]
                                "application/octet-stream",
                            ),
                            "data": bytes(data),
                        }
                    )
            return body, files
        raw = await request.read()
        if not raw:
            return None, files
        try:
            return json.loads(raw), files
        except ValueError:
            raise ApiError(INVALID_JSON) from None

    def _too_many(
        self,
        entry: TranscriptEntry,
        retry_after: float,
        is_global: bool,
        headers: dict[str, str],
        scope: str | None = None,
    ) -> web.Response:
        # Discord's body (Rate Limits: "Rate Limit Response Structure"); ``code`` is optional
        # there but required by the spec's RatelimitedResponse, so 0 ("general error") is sent.
        payload = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
            "code": 0,
        }
        headers = {
            **headers,
            "Via": "1.1 google",
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Scope": scope or ("global" if is_global else "user"),
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
            for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Bucket"):
                headers.pop(name, None)
        else:
            headers["X-RateLimit-Remaining"] = "0"
        self.sent_429 += 1
        return self._respond(entry, 429, payload, headers)

    @staticmethod
    def _json(status: int, payload: Any, headers: dict[str, str]) -> web.Response:
        # Built by hand: aiohttp's json_response appends "; charset=utf-8", and
        # discord.py only parses JSON when Content-Type is exactly application/json.
        return web.Response(
            status=status,
            body=json.dumps(payload).encode(),
            headers={**headers, "Content-Type": "application/json"},
        )

    # ---------------------------------------------------------------- test helpers
    def take_violations(self) -> list[Violation]:
        """Return and clear recorded spec violations (for tests that expect them)."""
        found, self.violations = self.violations, []
        return found

    def take_response_violations(self) -> list[Violation]:
        found, self.response_violations = self.response_violations, []
        return found

    def take_unknown_routes(self) -> list[TranscriptEntry]:
        found, self.unknown_routes = self.unknown_routes, []
        return found
