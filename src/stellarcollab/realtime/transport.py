"""The transport seam: the one module that knows uvicorn's and websockets' internals.

The rest of the server sees an open socket only as a ``WireSocket`` (write framed bytes,
buffered bytes, close with code and reason, last activity, ping if quiet), found with
``wire_socket``, read with ``receiver`` and stripped of its handshake with
``forget_handshake``. The class behind it is uvicorn's sans-I/O WebSocket protocol with
what the fast path needs:

1. It is exposed to the app as the ASGI scope extension ``stellarcollab.transport``, so
   pre-encoded frames go straight to the transport (server frames are unmasked: one
   encoding serves every subscriber), with one flag (``closed``) to check first.
2. ``last_seen`` is stamped on every read, so idle sockets can be found, and pinged
   (``ping_if_quiet``), by one sweep instead of a timer each.
3. ``close`` sends a close frame without waiting for the write buffer to drain (a slow
   consumer's never does) and aborts the socket if the peer does not answer.
4. Text is checked as UTF-8 frame by frame (1007, no traceback), and a close between
   the fragments of a message is answered like any close (RFC 6455 conformance).
5. What uvicorn keeps per socket but is the same for a whole server (its config, app,
   loop, logger, connection sets...) is kept once per server (``SERVER_WIDE``), so a
   socket's own attributes fit the class's shared keys instead of a 1.6 KB dictionary;
   the upgraded socket takes its addresses from the HTTP protocol instead of asking the
   kernel again.
The behaviour relied on is pinned by tests/realtime/test_transport.py and the Autobahn
cases of tests/realtime/test_conformance.py; pyproject.toml pins the versions they ran on.
"""

from __future__ import annotations

import asyncio
import codecs
import random
import socket
import struct
import weakref
from asyncio import BaseTransport
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from starlette.websockets import WebSocket
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.server import ServerProtocol

EXTENSION = "stellarcollab.transport"
FORCED_CLOSE_GRACE_SECONDS = 2.0


class WireSocket(Protocol):
    """An open WebSocket as the writers see it. Framed bytes go to ``transport`` through
    asyncio's public transport API (``write``, ``get_write_buffer_size``, ``is_closing``),
    so the fan-out calls the transport itself, once per frame, with nothing in between."""

    #: the event loop's time when bytes last arrived from the peer
    last_seen: float
    #: a close frame went out, or the connection is gone: write nothing more
    closed: bool

    @property
    def transport(self) -> asyncio.WriteTransport: ...

    def close(self, code: int, reason: str) -> None: ...

    def ping_if_quiet(self, now: float, interval: float) -> bool: ...


class ReceiveQueue:
    """What uvicorn's protocol needs of its ASGI receive queue, for a tenth of the memory
    of an ``asyncio.Queue``: one reader (the app) awaits, the protocol appends. A list,
    not a deque: it rarely holds more than one message, and an empty deque costs 600 bytes."""

    __slots__ = ("_items", "_loop", "_waiter")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._items: list[Any] = []
        self._loop = loop
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Any:
        while not self._items:
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)


class WriteGate:
    """What uvicorn's protocol needs of its ``writable`` ``asyncio.Event`` (set, clear,
    wait), without the Event's always-allocated waiter deque."""

    __slots__ = ("_loop", "_open", "_waiters")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._open = True
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._open

    def set(self) -> None:
        self._open = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._open = False

    async def wait(self) -> bool:
        if not self._open:
            waiter: asyncio.Future[None] = self._loop.create_future()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(waiter)
            await waiter
        return True


class ServerConnection(ServerProtocol):
    """websockets' server protocol, answering a close that interrupts a fragmented
    message like any other close. websockets fails the connection there (1002, "incomplete
    fragmented message"), but RFC 6455 allows control frames between fragments (5.4) and
    asks for the close to be echoed (5.5.1): the unfinished message is simply dropped
    (Autobahn case 7.1.5)."""

    def recv_frame(self, frame: Frame) -> None:
        if frame.opcode is Opcode.CLOSE:
            self.current_size = None
        super().recv_frame(frame)


#: What uvicorn's protocol keeps per socket that is the same for every socket of a server.
#: An object with more than 29 attributes gets a dictionary of its own (1.6 KB here);
#: with these kept once per server, a socket's attributes stay in the class's shared keys
#: (about 0.3 KB).
SERVER_WIDE = ("config", "app", "loop", "logger", "root_path", "asgi_version", "app_state",
               "connections", "tasks", "default_headers", "close_timeout", "ping_interval",
               "ping_timeout")


class ServerWide:
    """One server's values of ``SERVER_WIDE`` (uvicorn assigns them for every socket:
    the last assignment wins, and they are equal for all but ``default_headers``, whose
    newest value is the one to send)."""

    __slots__ = SERVER_WIDE


_SERVER_WIDE: weakref.WeakKeyDictionary[Any, ServerWide] = weakref.WeakKeyDictionary()


def _server_wide(name: str) -> property:
    def get(self: StellarWebSocketProtocol) -> Any:
        return getattr(self.server_wide, name)

    def put(self: StellarWebSocketProtocol, value: Any) -> None:
        setattr(self.server_wide, name, value)

    return property(get, put)


class StellarWebSocketProtocol(WebSocketsSansIOProtocol):
    #: Kernel send buffer per socket in bytes (None: the kernel's autotuning, up to
    #: net.ipv4.tcp_wmem's maximum). Smaller bounds kernel memory per connection and
    #: makes a stalled reader overflow its budget sooner.
    socket_send_buffer: int | None = None
    #: the UTF-8 state of a fragmented text message; an attribute of the socket only
    #: while it receives one (most never do: nothing to keep per socket)
    text_decoder: codecs.IncrementalDecoder | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        config = kwargs["config"] if "config" in kwargs else args[0]
        shared = _SERVER_WIDE.get(config)
        if shared is None:
            shared = _SERVER_WIDE[config] = ServerWide()
        self.server_wide = shared
        self._close_sent = False
        self.closed = False
        super().__init__(*args, **kwargs)
        built = self.conn  # uvicorn's, rebuilt as ours with the same settings (assigning
        # __class__ instead would give every socket's parser a dict of its own)
        self.conn = ServerConnection(
            extensions=built.available_extensions,
            max_size=(built.max_message_size, built.max_fragment_size),
            logger=built.logger,
        )
        self.queue = ReceiveQueue(self.loop)  # type: ignore[assignment]
        self.writable = WriteGate(self.loop)  # type: ignore[assignment]
        self.last_seen = self.loop.time()

    @property
    def close_sent(self) -> bool:
        return self._close_sent

    @close_sent.setter
    def close_sent(self, sent: bool) -> None:
        # uvicorn sets this wherever a close frame goes out: no data frame may follow it
        self._close_sent = sent
        if sent:
            self.closed = True

    def connection_made(self, transport: BaseTransport) -> None:
        upgraded = getattr(transport, "get_protocol", lambda: None)()
        if isinstance(upgraded, HttpToolsProtocol | H11Protocol):
            # Called by the HTTP protocol that is upgrading (still the transport's): its
            # addresses are this socket's, so uvicorn's second lookup of both (a socket
            # object and two system calls per connect) is skipped.
            self.connections.add(self)
            self.transport = transport  # type: ignore[assignment]
            self.server, self.client = upgraded.server, upgraded.client
            self.scheme = "wss" if upgraded.scheme == "https" else "ws"
        else:
            super().connection_made(transport)
        if self.socket_send_buffer:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.socket_send_buffer)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self.last_seen = self.loop.time()
        super().data_received(data)

    # Text is checked as UTF-8 frame by frame, so a bad fragment fails the connection at
    # once (1007), and a client's bad text is answered and noted in one line, never with a
    # traceback (uvicorn decodes whole messages and logs each failure as an exception).

    def handle_text(self, event: Frame) -> None:
        if self.close_sent:
            return  # frames parsed in the same read as a failure, or past a close
        self.curr_msg_data_type = "text"
        if event.fin:  # the usual case: one frame, one decode
            try:
                text = str(event.data, "utf-8")
            except UnicodeDecodeError:
                self.fail_invalid_text()
                return
            self.frames = []
            self.deliver({"type": "websocket.receive", "text": text})
            return
        self.text_decoder = codecs.getincrementaldecoder("utf-8")()
        self.frames = []
        self.take_text(event)

    def handle_cont(self, event: Frame) -> None:
        if self.curr_msg_data_type != "text":
            super().handle_cont(event)
        elif not self.close_sent:
            self.take_text(event)

    def take_text(self, event: Frame) -> None:
        decoder = self.text_decoder
        if decoder is None:
            return
        try:
            self.frames.append(decoder.decode(event.data, final=event.fin))  # type: ignore[arg-type]
        except UnicodeDecodeError:
            self.fail_invalid_text()
            return
        if event.fin:
            text = "".join(self.frames)  # type: ignore[arg-type]
            self.frames, self.text_decoder = [], None
            self.deliver({"type": "websocket.receive", "text": text})

    def fail_invalid_text(self) -> None:
        # uvicorn's own words, so the log guard counts it and limits repeats; no traceback
        self.logger.warning("Invalid UTF-8 sequence received from client.")
        self.frames, self.text_decoder = [], None
        self.conn.fail(1007, "invalid UTF-8")
        self.handle_parser_exception()

    def deliver(self, message: dict[str, Any]) -> None:
        """uvicorn's hand-over of a message to the app, reads paused until it is taken."""
        if self.close_sent:
            return  # past the app's close: dropped, reading goes on for the close reply
        self.queue.put_nowait(message)  # type: ignore[arg-type]
        if not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][EXTENSION] = self

    def start_keepalive(self) -> None:
        # Called once the handshake response is written: the parsed request and response,
        # with their header maps, are never read again, and a socket may live for hours.
        # The websockets parser's generator frame keeps its own reference to the request,
        # so its headers and path (with any token in the query) are emptied in place.
        request = self.request
        if request is not None:
            request.headers.clear()
            request.path = ""
        self.request = None  # type: ignore[assignment]
        self.response = None  # type: ignore[assignment]
        # No ping timer of its own (uvicorn arms one per socket): the server's expiry
        # sweep pings the sockets that went quiet, through ping_if_quiet.

    def ping_if_quiet(self, now: float, interval: float) -> bool:
        """Ping if nothing arrived for ``interval`` seconds and no ping sent within that
        time is still waiting for its pong; the pong (any data) counts as a sign of life."""
        if not self.can_write or now - self.last_seen < interval:
            return False
        if self.pending_ping_payload is not None and now - self.ping_sent_at < interval:
            return False
        self.pending_ping_payload = struct.pack("!I", random.getrandbits(32))
        self.ping_sent_at = now
        self.conn.send_ping(self.pending_ping_payload)
        self.transport.write(b"".join(self.conn.data_to_send()))
        return True

    @property
    def can_write(self) -> bool:
        return (
            self.handshake_complete
            and not self.close_sent
            and not self.disconnected
            and not self.transport.is_closing()
        )

    def close(self, code: int, reason: str) -> None:
        if self.close_sent or self.disconnected or self.transport.is_closing():
            return
        self.conn.send_close(code, reason)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        self.close_timer = self.loop.call_later(FORCED_CLOSE_GRACE_SECONDS, self.transport.abort)


for _name in SERVER_WIDE:
    setattr(StellarWebSocketProtocol, _name, _server_wide(_name))


def wire_socket(websocket: WebSocket) -> WireSocket | None:
    """The socket under an accepted WebSocket, when it is served by this module's class
    (None under other servers, e.g. a test client); read before ``forget_handshake``."""
    protocol = websocket.scope.get("extensions", {}).get(EXTENSION)
    return protocol if isinstance(protocol, StellarWebSocketProtocol) else None


def receiver(websocket: WebSocket) -> Callable[[], Awaitable[Any]]:
    """The socket's ASGI ``receive`` for its message loop: this module's protocol's own
    when it serves the socket (Starlette's checks in between cost a coroutine frame per
    open socket and a call per message), else Starlette's. Read before
    ``forget_handshake``."""
    protocol = websocket.scope.get("extensions", {}).get(EXTENSION)
    if isinstance(protocol, StellarWebSocketProtocol):
        return protocol.receive
    return websocket.receive


#: what an open socket's ASGI scope keeps once its handshake is done
KEPT_SCOPE_KEYS = ("type", "path", "client", "server", "app")


def forget_handshake(websocket: WebSocket) -> None:
    """Drop what only the handshake needed (headers, query string, their parsed forms):
    a socket lives for hours, and thousands of them hold only what they use. The
    protocol's own copies went when the handshake response was written."""
    scope = websocket.scope
    # Emptied and refilled in place (the server, the app and Starlette all hold this
    # dict): a cleared dict gives its table back, so the few keys kept take a small one.
    kept = {key: scope[key] for key in KEPT_SCOPE_KEYS if key in scope}
    scope.clear()
    scope.update(kept)
    for cached in ("_headers", "_query_params", "_url", "_cookies"):
        websocket.__dict__.pop(cached, None)


def protocol_class(socket_send_buffer: int | None) -> type[StellarWebSocketProtocol]:
    """The protocol class for uvicorn's ``ws=`` option, carrying per-server settings."""
    if not socket_send_buffer:
        return StellarWebSocketProtocol
    return type("ConfiguredWebSocketProtocol", (StellarWebSocketProtocol,),
                {"socket_send_buffer": socket_send_buffer})
