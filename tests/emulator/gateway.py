"""Gateway (WebSocket) side of the emulator: HELLO/IDENTIFY/READY/RESUME, dispatch.

Sessions outlive connections: when a socket drops, its session keeps buffering
sequenced events so a RESUME replays exactly what was missed (Discord keeps
sessions resumable for a while; here until invalidated or the emulator stops).

Compression: ``compress=zlib-stream`` in the URL is honoured (one zlib context
per connection, each message flushed with Z_SYNC_FLUSH, as Discord does).
``zstd-stream`` is answered with uncompressed TEXT frames, which discord.py
accepts (it only decompresses binary frames) - a documented simplification.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .state import new_token
from .world import GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT, Event

if TYPE_CHECKING:
    from .server import DiscordEmulator

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE, RESUME, RECONNECT = 0, 1, 2, 3, 4, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11

PRIVILEGED = {
    GUILD_MEMBERS: "GUILD_MEMBERS",
    GUILD_PRESENCES: "GUILD_PRESENCES",
    MESSAGE_CONTENT: "MESSAGE_CONTENT",
}


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    compressor: Any = None
    outbox: asyncio.Queue[dict[str, Any] | None] = field(default_factory=asyncio.Queue)
    session: Session | None = None
    heartbeats: int = 0
    acks: int = 0
    closed: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(eq=False)
class Session:
    session_id: str
    intents: int
    seq: int = 0
    #: (seq, frame) of every dispatch, for RESUME replay
    buffer: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    connection: Connection | None = None
    resumes: int = 0


class Gateway:
    """Accepts gateway connections and routes world events to sessions."""

    def __init__(self, emulator: DiscordEmulator) -> None:
        self.emu = emulator
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.identifies = 0
        self.resumes = 0
        self.heartbeats = 0
        self.acks = 0
        #: (op, data) received from clients, for tests
        self.received: list[tuple[int, Any]] = []
        self.close_codes: list[int] = []
        #: cleared during an outage: new sockets are accepted but get no HELLO
        self.open = asyncio.Event()
        self.open.set()

    # --------------------------------------------------------------- connections
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        compress = request.query.get("compress")
        conn = Connection(ws)
        if compress == "zlib-stream":
            conn.compressor = zlib.compressobj()
        self.connections.add(conn)
        writer = asyncio.create_task(self._writer(conn))
        try:
            await self.open.wait()
            self._send(
                conn,
                {
                    "op": HELLO,
                    "d": {
                        "heartbeat_interval": int(self.emu.heartbeat_interval * 1000),
                        "_trace": ['["emulator-gateway"]'],
                    },
                },
            )
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_frame(conn, json.loads(msg.data))
                elif msg.type is WSMsgType.BINARY:
                    await self._on_frame(conn, json.loads(msg.data.decode()))
                else:
                    break
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            if conn.session is not None and conn.session.connection is conn:
                conn.session.connection = None
            self.connections.discard(conn)
            conn.closed.set()
            conn.outbox.put_nowait(None)
            with contextlib.suppress(asyncio.CancelledError, ConnectionResetError):
                await writer
            if not ws.closed:
                await ws.close()
        return ws

    async def _writer(self, conn: Connection) -> None:
        while True:
            frame = await conn.outbox.get()
            if frame is None or conn.ws.closed:
                return
            if "close" in frame:
                await conn.ws.close(code=frame["close"], message=frame.get("reason", "").encode())
                return
            text = json.dumps(frame, separators=(",", ":"))
            try:
                if conn.compressor is not None:
                    data = conn.compressor.compress(text.encode()) + conn.compressor.flush(
                        zlib.Z_SYNC_FLUSH
                    )
                    await conn.ws.send_bytes(data)
                else:
                    await conn.ws.send_str(text)
            except (ConnectionResetError, RuntimeError):
                return

    def _send(self, conn: Connection, frame: dict[str, Any]) -> None:
        conn.outbox.put_nowait(frame)

    def _close(self, conn: Connection, code: int, reason: str = "") -> None:
        self.close_codes.append(code)
        conn.outbox.put_nowait({"close": code, "reason": reason})

    # --------------------------------------------------------------- opcodes
    async def _on_frame(self, conn: Connection, frame: dict[str, Any]) -> None:
        op, data = frame.get("op"), frame.get("d")
        self.received.append((op, data))
        if op == HEARTBEAT:
            conn.heartbeats += 1
            self.heartbeats += 1
            # Discord's ACK comes back one network round trip later. Answering at once (on
            # localhost, from another process) lets the ACK overtake discord.py's keep-alive
            # thread, which records the send time only after the send completes: it then
            # measures the whole interval as latency and logs "Can't keep up ... 41.3s
            # behind" every interval. See README.md, "Gateway".
            delay = self.emu.heartbeat_ack_delay
            asyncio.get_running_loop().call_later(delay, self._ack, conn)
        elif op == IDENTIFY:
            self._identify(conn, data or {})
        elif op == RESUME:
            self._resume(conn, data or {})
        elif op == REQUEST_MEMBERS:
            self._request_members(conn, data or {})
        elif op in (PRESENCE, VOICE):
            pass
        else:
            self._close(conn, 4001, "Unknown opcode")

    def _ack(self, conn: Connection) -> None:
        if conn.closed.is_set():
            return
        conn.acks += 1
        self.acks += 1
        self._send(conn, {"op": HEARTBEAT_ACK})

    def request_heartbeat(self) -> None:
        """Send op 1 (Heartbeat) to every live socket: the client must heartbeat at once
        (Gateway, "Heartbeat Requests")."""
        for conn in list(self.connections):
            self._send(conn, {"op": HEARTBEAT, "d": None})

    def _identify(self, conn: Connection, data: dict[str, Any]) -> None:
        if conn.session is not None:
            self._close(conn, 4005, "Already authenticated.")
            return
        if data.get("token") != self.emu.token:
            self._close(conn, 4004, "Authentication failed.")
            return
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0 or intents >= 1 << 26:
            self._close(conn, 4013, "Invalid intent(s).")
            return
        for bit in PRIVILEGED:
            if intents & bit and bit not in self.emu.privileged_intents:
                self._close(conn, 4014, "Disallowed intent(s).")
                return
        self.identifies += 1
        session = Session(new_token("s"), intents)
        self.sessions[session.session_id] = session
        session.connection = conn
        conn.session = session
        emu = self.emu
        world = emu.world
        assert world.bot is not None
        ready = {
            "v": 10,
            "user": emu.bot_user_payload(),
            "user_settings": {},
            "guilds": [{"id": str(g), "unavailable": True} for g in world.guilds],
            "presences": [],
            "private_channels": [],
            "relationships": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["emulator"],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": emu.gateway_url,
            "auth": {},
            "application": {"id": str(emu.application_id), "flags": emu.application_flags},
            "_trace": ['["emulator-gateway"]'],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        self._dispatch_to(session, "READY", ready)
        for guild in world.guilds.values():
            self._dispatch_to(session, "GUILD_CREATE", emu.guild_create_payload(guild, intents))

    def _resume(self, conn: Connection, data: dict[str, Any]) -> None:
        session = self.sessions.get(data.get("session_id", ""))
        if data.get("token") != self.emu.token:
            self._close(conn, 4004, "Authentication failed.")
            return
        if session is None:
            self._send(conn, {"op": INVALID_SESSION, "d": False})
            return
        old = session.connection
        if old is not None and old is not conn:
            self._close(old, 4000, "Session resumed elsewhere")
        session.connection = conn
        conn.session = session
        last = data.get("seq") or 0
        for seq, frame in session.buffer:
            if seq > last:
                self._send(conn, frame)
        session.resumes += 1
        self.resumes += 1
        self._dispatch_to(session, "RESUMED", {"_trace": ['["emulator-gateway"]']})

    def _request_members(self, conn: Connection, data: dict[str, Any]) -> None:
        session = conn.session
        if session is None:
            self._close(conn, 4003, "Not authenticated.")
            return
        guild = self.emu.world.guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        query = data.get("query")
        user_ids = data.get("user_ids")
        if query == "" and not session.intents & GUILD_MEMBERS:
            self._close(conn, 4013, "Invalid intent(s).")
            return
        members = list(guild.members.values())
        not_found: list[str] = []
        if user_ids is not None:
            ids = {int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])}
            members = [m for m in members if m.id in ids]
            not_found = [str(i) for i in ids - {m.id for m in members}]
        elif query:
            members = [m for m in members if m.name.lower().startswith(query.lower())]
        limit = data.get("limit") or 0
        if limit:
            members = members[:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [m.payload() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": not_found,
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        if data.get("presences"):
            chunk["presences"] = []
        self._dispatch_to(session, "GUILD_MEMBERS_CHUNK", chunk)

    # --------------------------------------------------------------- dispatch
    def _dispatch_to(self, session: Session, name: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": DISPATCH, "t": name, "s": session.seq, "d": data}
        session.buffer.append((session.seq, frame))
        if session.connection is not None:
            self._send(session.connection, frame)

    def dispatch(self, event: Event) -> None:
        """Route a world event to every session whose intents/visibility allow it."""
        world = self.emu.world
        for session in list(self.sessions.values()):
            if event.intent is not None and not session.intents & event.intent:
                continue
            ch = event.channel
            if (
                ch is not None
                and ch.guild_id is not None
                and world.bot is not None
                and not world.can_view(world.bot.id, ch)
            ):
                continue
            data = event.data
            if event.without_content is not None and not session.intents & MESSAGE_CONTENT:
                data = event.without_content
            self._dispatch_to(session, event.name, data)

    # --------------------------------------------------------------- faults
    @property
    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.connection is not None]

    async def drop(self, code: int = 4000) -> None:
        """Close every live socket with ``code`` (default 4000: resumable).

        Returns once the server side has seen those sockets close (max 2 s).
        """
        dropping = list(self.connections)
        for conn in dropping:
            self._close(conn, code, "dropped by emulator")
        if dropping:
            await asyncio.wait(
                [asyncio.ensure_future(c.closed.wait()) for c in dropping], timeout=2.0
            )

    def send_op(self, op: int, d: Any) -> None:
        for conn in list(self.connections):
            self._send(conn, {"op": op, "d": d})

    def invalidate(self, resumable: bool) -> None:
        for conn in list(self.connections):
            if conn.session is not None and not resumable:
                self.sessions.pop(conn.session.session_id, None)
                conn.session.connection = None
                conn.session = None
            self._send(conn, {"op": INVALID_SESSION, "d": resumable})

    async def close_all(self) -> None:
        self.open.set()
        for conn in list(self.connections):
            self._close(conn, 1001, "emulator stopping")
        self.sessions.clear()
