"""``stellarcollab bench storm-floor``: what a crowd of arrivals costs on this machine when
the server does only what the load generator checks, the lower bound for any server
that answers the storm scenario.

A bare arrival server (uvloop; no WebSocket protocol object, only websockets' accept-key
helper and our frame encoder; no application, no database, no token check) stands where
the server stands. For each connection it reads the HTTP
upgrade, answers the 101 with the ``canvas_state`` frame in the same write (the first 100
users listed, encoded once until the list changes, as the real server does), counts the
user on the canvas, and sends every socket of the canvas one ``presence_count`` at the
real server's cadence for a large canvas (``PresencePolicy.count_due``: 100 ms after the
last change, at least one per ``count_period`` while changes go on, never two closer than
``count_spacing``). The storm scenario's load generator, plan and checks run unchanged
against it; only the accounts are made up (token ``floor-<user id>``), since there is
nobody to register them with.

The figures to read against the real server's, in one series: connects/s, the time until
every client counts everyone, the handshake latency, and the server's CPU per connect.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import time
import urllib.parse
from multiprocessing.connection import Connection
from typing import cast

import orjson
from websockets.utils import accept_key as websocket_accept_key

from stellarcollab.realtime.presence_batch import PresencePolicy
from stellarcollab.realtime.protocol import text_frame

TOKEN_PREFIX = "floor-"
MAX_REQUEST = 8192
EPOCH = "floor"


def accept_key(key: bytes) -> bytes:
    """``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key`` as read from the
    request (RFC 6455 4.2.2; websockets' own computation)."""
    return websocket_accept_key(key.strip().decode("latin-1")).encode()


def parse_upgrade(request: bytes) -> tuple[int, int, bytes] | None:
    """(canvas id, user id, accept key) of a storm client's upgrade request, or None."""
    lines = request.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or parts[0] != b"GET":
        return None
    url = urllib.parse.urlsplit(parts[1].decode("latin-1"))
    token = urllib.parse.parse_qs(url.query).get("token", [""])[0]
    key = next((line.split(b":", 1)[1] for line in lines[1:]
                if line[:18].lower() == b"sec-websocket-key:"), None)
    try:
        canvas_id = int(url.path.rsplit("/", 1)[-1])
        user_id = int(token.removeprefix(TOKEN_PREFIX))
    except ValueError:
        return None
    if key is None or not token.startswith(TOKEN_PREFIX):
        return None
    return canvas_id, user_id, accept_key(key)


class FloorCanvas:
    """Who is on one canvas and when its next ``presence_count`` goes out."""

    def __init__(self, canvas_id: int, policy: PresencePolicy,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.canvas_id = canvas_id
        self.policy = policy
        self.loop = loop
        self.sockets: dict[int, asyncio.Transport] = {}  # by id(transport)
        self.users: dict[int, int] = {}  # user id -> sockets
        self.listed: bytes | None = None
        self.first_change: float | None = None
        self.last_change = 0.0
        self.last_count: float | None = None
        self.timer: asyncio.TimerHandle | None = None

    def listing(self) -> bytes:
        if self.listed is None:
            users = list(self.users)[:self.policy.detail_limit]
            self.listed = orjson.dumps([{"user_id": user, "username": f"u{user}",
                                         "display_name": f"User {user}"} for user in users])
        return self.listed

    def join(self, transport: asyncio.Transport, user_id: int) -> None:
        self.sockets[id(transport)] = transport
        self.users[user_id] = self.users.get(user_id, 0) + 1
        if len(self.users) <= self.policy.detail_limit:
            self.listed = None
        self.changed()

    def leave(self, transport: asyncio.Transport, user_id: int) -> None:
        if self.sockets.pop(id(transport), None) is None:
            return
        left = self.users[user_id] - 1
        if left:
            self.users[user_id] = left
        else:
            del self.users[user_id]
            self.listed = None
        self.changed()

    def changed(self) -> None:
        now = self.loop.time()
        if self.first_change is None:
            self.first_change = now
        self.last_change = now
        if self.timer is None:
            self.schedule()

    def schedule(self) -> None:
        assert self.first_change is not None
        due = self.policy.count_due(self.last_count, self.first_change, self.last_change,
                                    len(self.users))
        self.timer = self.loop.call_at(due, self.count)

    def count(self) -> None:
        self.timer = None
        if self.first_change is None:
            return
        due = self.policy.count_due(self.last_count, self.first_change, self.last_change,
                                    len(self.users))
        if due > self.loop.time() + 0.001:  # changes went on: later
            self.timer = self.loop.call_at(due, self.count)
            return
        frame = text_frame(orjson.dumps({"type": "presence_count", "canvas_id": self.canvas_id,
                                         "active_users": len(self.users)}))
        for transport in self.sockets.values():
            transport.write(frame)
        self.first_change, self.last_count = None, self.loop.time()


class Arrival(asyncio.Protocol):
    """One client: its upgrade, its first frame, then nothing but its departure."""

    __slots__ = ("buffer", "canvas", "canvases", "policy", "transport", "user_id")

    def __init__(self, canvases: dict[int, FloorCanvas], policy: PresencePolicy) -> None:
        self.canvases = canvases
        self.policy = policy
        self.buffer = b""
        self.canvas: FloorCanvas | None = None
        self.transport: asyncio.Transport | None = None
        self.user_id = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        transport = self.transport
        assert transport is not None
        if self.canvas is not None:
            if data[:1] == b"\x88":  # the client's close: the socket goes
                transport.close()
            return
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_REQUEST:
                transport.close()
            return
        upgrade = parse_upgrade(self.buffer[:end])
        self.buffer = b""
        if upgrade is None:
            transport.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            transport.close()
            return
        canvas_id, user_id, accept = upgrade
        loop = asyncio.get_running_loop()
        canvas = self.canvases.get(canvas_id)
        if canvas is None:
            canvas = self.canvases[canvas_id] = FloorCanvas(canvas_id, self.policy, loop)
        self.canvas, self.user_id = canvas, user_id
        canvas.join(transport, user_id)
        state = b"".join((
            b'{"type":"canvas_state","canvas_id":', str(canvas_id).encode(),
            b',"seq":0,"epoch":"', EPOCH.encode(), b'","you":{"user_id":',
            str(user_id).encode(), b'},"users":', canvas.listing(),
            b',"users_truncated":', b"true" if len(canvas.users) > canvas.policy.detail_limit
            else b"false", b',"active_users":', str(len(canvas.users)).encode(),
            b',"tiles":[],"locks":[]}'))
        transport.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                        b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept
                        + b"\r\n\r\n" + text_frame(state))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.canvas is not None and self.transport is not None:
            self.canvas.leave(self.transport, self.user_id)


def _floor_main(cpus: set[int] | None, pipe: Connection) -> None:
    if cpus:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, cpus)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        canvases: dict[int, FloorCanvas] = {}
        policy = PresencePolicy()
        server = await loop.create_server(lambda: Arrival(canvases, policy), "127.0.0.1", 0,
                                          backlog=4096)
        pipe.send(server.sockets[0].getsockname()[1])
        await loop.run_in_executor(None, pipe.recv)  # "stop"
        server.close()

    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())


class ArrivalFloor:
    """The bare arrival server in a process of its own (on the server's core with
    ``--pin``), started and stopped like the bench's real server."""

    def __init__(self, cpus: set[int] | None) -> None:
        self.cpus = cpus
        self.port = 0
        self.process: multiprocessing.process.BaseProcess | None = None
        self.pipe: Connection | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None and self.process.pid is not None
        return self.process.pid

    def start(self, timeout: float = 60.0) -> ArrivalFloor:
        context = multiprocessing.get_context("spawn")
        self.pipe, child = context.Pipe()
        self.process = context.Process(target=_floor_main, args=(self.cpus, child),
                                       daemon=True)
        self.process.start()
        deadline = time.monotonic() + timeout
        if not self.pipe.poll(max(0.0, deadline - time.monotonic())):
            self.stop()
            raise TimeoutError("the arrival floor did not start")
        self.port = int(self.pipe.recv())
        return self

    def stop(self) -> None:
        if self.pipe is not None:
            with contextlib.suppress(OSError):
                self.pipe.send("stop")
        if self.process is not None:
            self.process.join(timeout=10)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(timeout=5)

    @staticmethod
    def accounts(count: int) -> list[tuple[int, str]]:
        """(user id, token) of ``count`` made-up users."""
        return [(user, f"{TOKEN_PREFIX}{user}") for user in range(1, count + 1)]
