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
   (``ping_if_quiet``), by the server's keepalive schedule instead of a timer each.
3. ``close`` sends a close frame without waiting for the write buffer to drain (a slow
   consumer's never does) and aborts the socket if the peer does not answer.
4. Text is checked as UTF-8 frame by frame (1007, no traceback), and a close between
   the fragments of a message is answered like any close (RFC 6455 conformance).
5. What uvicorn keeps per socket but is the same for a whole server (its config, app,
   loop, logger, connection sets...) is kept once per server (``SERVER_WIDE``), so a
   socket's own attributes fit the class's shared keys instead of a 1.6 KB dictionary;
   the upgraded socket takes its addresses from the HTTP protocol instead of asking the
   kernel again.
6. The handshake request is parsed once: ``StellarHttpProtocol`` (uvicorn's httptools
   protocol) hands the request it read to the WebSocket protocol, whose websockets parser
   then reads frames only; the protocol's constructor builds only what a socket keeps
   (uvicorn's builds a receive queue, a write gate and a parser that were replaced).
7. Neither protocol leaves a reference cycle behind (the HTTP protocol's parser and its
   callbacks, websockets' parser and its generator): a closed socket is freed at once
   instead of by the garbage collector, whose passes grow with the open sockets.
The behaviour relied on is pinned by tests/realtime/test_transport.py and the Autobahn
cases of tests/realtime/test_conformance.py; pyproject.toml pins the versions they ran on.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import codecs
import contextvars
import logging
import operator
import random
import socket
import struct
import uuid
import weakref
from asyncio import BaseTransport
from collections.abc import Awaitable, Callable, Generator
from typing import Any, Protocol
from urllib.parse import unquote

from starlette.websockets import WebSocket
from uvicorn.config import Config
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.datastructures import Headers, MultipleValuesError
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.http11 import MAX_NUM_HEADERS, Request, Response
from websockets.protocol import CONNECTING, OPEN
from websockets.protocol import Protocol as FrameProtocol
from websockets.server import ServerProtocol
from websockets.utils import accept_key

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
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def arrival(self) -> asyncio.Future[None]:
        """A future that is done once an item is put (await it while ``empty()``): a
        reader waits on it directly, without a coroutine frame of the queue's own."""
        waiter = self._waiter
        if waiter is None or waiter.done():
            waiter = self._waiter = self._loop.create_future()
        return waiter

    def pop(self) -> Any:
        return self._items.pop(0)

    async def get(self) -> Any:
        while not self._items:
            await self.arrival()
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


SHARED_CONNECTION_ID = uuid.UUID(int=0)


class ServerConnection(ServerProtocol):
    """websockets' server protocol, with two changes:

    - a close that interrupts a fragmented message is answered like any other close.
      websockets fails the connection there (1002, "incomplete fragmented message"), but
      RFC 6455 allows control frames between fragments (5.4) and asks for the close to be
      echoed (5.5.1): the unfinished message is simply dropped (Autobahn case 7.1.5);
    - built with ``request_parsed``, it reads frames from the start: the HTTP protocol
      that upgraded the socket parsed the request already, and hands it over as a
      ``Request`` instead of bytes for websockets to parse a second time."""

    #: websockets gives every connection a random UUID for its logs, which this sans-I/O
    #: use never writes: one shared id, instead of an object kept per open socket
    id = property(lambda self: SHARED_CONNECTION_ID, lambda self, value: None)

    def __init__(self, *, request_parsed: bool = False, **kwargs: Any) -> None:
        self.request_parsed = request_parsed  # read by parse(), which __init__ starts
        super().__init__(**kwargs)

    def parse(self) -> Generator[None]:
        if self.request_parsed and self.state is CONNECTING:
            return FrameProtocol.parse(self)
        return super().parse()

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
    """One server's values of ``SERVER_WIDE``, set once when its first socket opens.
    ``default_headers`` is read from the server's state on each use: uvicorn renews it
    every second (its ``date`` header)."""

    __slots__ = (*(name for name in SERVER_WIDE if name != "default_headers"),
                 "server_state", "extensions", "task_done")

    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any],
                 loop: asyncio.AbstractEventLoop) -> None:
        self.config, self.app, self.loop = config, config.loaded_app, loop
        self.logger = logging.getLogger("uvicorn.error")
        self.root_path, self.asgi_version = config.root_path, config.asgi_version
        self.app_state, self.server_state = app_state, server_state
        self.connections, self.tasks = server_state.connections, server_state.tasks
        #: what a socket's task does when it ends (uvicorn's ``on_task_complete``), one
        #: bound method for the server, not one per socket
        self.task_done = server_state.tasks.discard
        self.close_timeout = 10.0
        self.ping_interval, self.ping_timeout = config.ws_ping_interval, config.ws_ping_timeout
        self.extensions = [ServerPerMessageDeflateFactory(
            server_max_window_bits=12, client_max_window_bits=12,
            compress_settings={"memLevel": 5},
        )] if config.ws_per_message_deflate else []

    @property
    def default_headers(self) -> list[tuple[bytes, bytes]]:
        return self.server_state.default_headers

    @default_headers.setter
    def default_headers(self, headers: list[tuple[bytes, bytes]]) -> None:
        self.server_state.default_headers = headers


_SERVER_WIDE: weakref.WeakKeyDictionary[Any, ServerWide] = weakref.WeakKeyDictionary()
#: the context the sockets' task-done callbacks run in: one, empty, for all of them
CALLBACK_CONTEXT = contextvars.Context()


def _server_wide(name: str) -> property:
    """A property reading the server-wide value (uvicorn's code reads its loop, app and
    logger often: the getter is an ``attrgetter``, which runs in C)."""

    def put(self: StellarWebSocketProtocol, value: Any) -> None:
        setattr(self.server_wide, name, value)

    return property(operator.attrgetter(f"server_wide.{name}"), put)


class ShortAnswer(Response):
    """The 101 of a handshake with nothing to negotiate (``accepted``): written as bytes
    when the app accepts without headers or a subprotocol of its own."""


SWITCHING = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
             b"Connection: Upgrade\r\nSec-WebSocket-Accept: ")


class StellarWebSocketProtocol(WebSocketsSansIOProtocol):
    #: Kernel send buffer per socket in bytes (None: the kernel's autotuning, up to
    #: net.ipv4.tcp_wmem's maximum). Smaller bounds kernel memory per connection and
    #: makes a stalled reader overflow its budget sooner.
    socket_send_buffer: int | None = None
    #: the UTF-8 state of a fragmented text message; an attribute of the socket only
    #: while it receives one (most never do: nothing to keep per socket)
    text_decoder: codecs.IncrementalDecoder | None = None

    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None, *,
                 request_parsed: bool = False) -> None:
        # uvicorn's constructor, without what this class replaces (its receive queue,
        # write gate and parser, each built and dropped again) and with the values that
        # are the same for the whole server set once per server.
        if not config.loaded:
            config.load()
        shared = _SERVER_WIDE.get(config)
        if shared is None or shared.server_state is not server_state:
            shared = _SERVER_WIDE[config] = ServerWide(
                config, server_state, app_state, _loop or asyncio.get_event_loop())
        self.server_wide = shared
        self._close_sent = False
        self.closed = False
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.server: tuple[str, int | None] | None = None
        self.client: tuple[str, int] | None = None
        self.scheme = None  # type: ignore[assignment]
        self.queue = ReceiveQueue(shared.loop)  # type: ignore[assignment]
        self.handshake_initiated = False
        self.handshake_complete = False
        self.disconnected = False
        self.close_timer: asyncio.TimerHandle | None = None
        self.initial_response: tuple[int, list[tuple[str, str]], bytes] | None = None
        self.conn = ServerConnection(
            request_parsed=request_parsed, extensions=shared.extensions,
            max_size=config.ws_max_size, logger=shared.logger)
        self.read_paused = False
        self.writable = WriteGate(shared.loop)  # type: ignore[assignment]
        self.ping_timer: asyncio.TimerHandle | None = None
        self.pong_timer: asyncio.TimerHandle | None = None
        self.pending_ping_payload: bytes | None = None
        self.ping_sent_at = 0.0
        self.last_ping_rtt = 0.0
        self.frames: list[bytes] = []
        self.curr_msg_data_type = "bytes"
        self.last_seen = shared.loop.time()

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

    async def receive(self) -> Any:
        """uvicorn's, waiting on the queue's future itself: an idle socket's call chain
        ends here instead of in a coroutine of the queue's (about 200 bytes each)."""
        queue: ReceiveQueue = self.queue  # type: ignore[assignment]
        while queue.empty():
            await queue.arrival()
        message = queue.pop()
        if self.read_paused and queue.empty():
            self.read_paused = False
            self.transport.resume_reading()
        return message

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        super().connection_lost(exc)
        # Nothing more will be read: the parser generator, whose frame holds the parser
        # that holds it (a cycle only the garbage collector would free), is closed now.
        self.conn.parser.close()

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

    def accepted(self, request: Request) -> Response:
        """websockets' ``accept``, without its work where there is nothing to negotiate:
        a ``GET`` over HTTP/1.1 with one each of the handshake headers, right, and no
        subprotocol, when no extension is enabled, gets its 101 here (a sixth of the time
        websockets takes). Anything else goes to websockets, which answers it as before."""
        conn = self.conn
        headers = request.headers
        if (conn.available_extensions or "Sec-WebSocket-Protocol" in headers
                or request.method != "GET" or request.protocol != "HTTP/1.1"):
            return conn.accept(request)
        try:
            key = headers["Sec-WebSocket-Key"]
            fits = (headers["Sec-WebSocket-Version"] == "13"
                    and headers["Upgrade"].strip().lower() == "websocket"
                    and "upgrade" in {option.strip().lower()
                                      for option in headers["Connection"].split(",")}
                    and len(headers.get_all("Origin")) <= 1
                    and len(base64.b64decode(key.encode(), validate=True)) == 16)
        except (KeyError, MultipleValuesError, binascii.Error, UnicodeError):
            fits = False
        if not fits:
            return conn.accept(request)
        conn.accept_called = True
        conn.origin = headers.get("Origin")  # type: ignore[assignment]
        # uvicorn replaces the Date when the app accepts: the server's current one is
        # there to be replaced (websockets formats a new one for every socket)
        date = next((value for name, value in self.default_headers if name == b"date"), b"")
        return ShortAnswer(101, "Switching Protocols", _headers([
            ("Date", date.decode("latin-1")), ("Upgrade", "websocket"),
            ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", accept_key(key))]))

    async def send(self, message: Any) -> None:
        """uvicorn's, but a short answer's 101 is written at once: the accept key and the
        server's default headers (its ``Date``) joined as bytes, where uvicorn edits the
        response's header map (removing ``Date`` rebuilds it) and websockets serialises it
        again. Anything else is uvicorn's: other messages, an app's own headers or
        subprotocol, a socket already gone or not writable."""
        response = self.response
        if (message["type"] != "websocket.accept" or type(response) is not ShortAnswer
                or message.get("headers") or message.get("subprotocol")
                or self.handshake_complete or self.disconnected or not self.writable.is_set()):
            await super().send(message)
            return
        if self.logger.isEnabledFor(logging.INFO):
            self.logger.info('%s - "WebSocket %s" [accepted]', get_client_addr(self.scope),
                             get_path_with_query_string(self.scope))
        if self.transport.is_closing():
            return
        head = [SWITCHING, response.headers["Sec-WebSocket-Accept"].encode(), b"\r\n"]
        for name, value in self.default_headers:
            head += (name, b": ", value, b"\r\n")
        head.append(b"\r\n")
        self.handshake_complete = True
        self.conn.state = OPEN  # what websockets' send_response does for a 101
        self.transport.write(b"".join(head))
        self.start_keepalive()

    def open_upgraded(self, request: Request, raw_headers: list[tuple[bytes, bytes]]) -> None:
        """Take the handshake request the upgrading HTTP protocol parsed (built with
        ``request_parsed``), with its headers as that protocol read them."""
        self.handle_connect(request, raw_headers)

    def handle_connect(self, event: Request,
                       raw_headers: list[tuple[bytes, bytes]] | None = None) -> None:
        """uvicorn's: check the handshake and start the app's task with the socket's
        scope (which exposes this protocol as ``EXTENSION``). The headers are the HTTP
        protocol's bytes when it parsed the request, else encoded again from ``event``."""
        self.request = event
        self.response = self.accepted(event)
        self.handshake_initiated = True
        if self.response.status_code != 101:
            self.handshake_complete = True
            self.close_sent = True
            self.conn.send_response(self.response)
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.transport.close()
            return
        headers = raw_headers if raw_headers is not None else [
            (key.encode("ascii"), value.encode("latin-1"))
            for key, value in event.headers.raw_items()]
        raw_path, _, query_string = event.path.partition("?")
        subprotocols: list[str] = []
        for header in event.headers.get_all("Sec-WebSocket-Protocol"):
            subprotocols.extend([token.strip() for token in header.split(",")])
        root_path = self.root_path
        extensions: dict[str, Any] = {"websocket.http.response": {}, EXTENSION: self}
        self.scope = {
            "type": "websocket",
            "asgi": {"version": self.asgi_version, "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": self.scheme,
            "server": self.server,
            "client": self.client,
            "root_path": root_path,
            "path": root_path + unquote(raw_path),
            "raw_path": root_path.encode("ascii") + raw_path.encode("ascii"),
            "query_string": query_string.encode("ascii"),
            "headers": headers,
            "subprotocols": subprotocols,
            "state": self.app_state.copy(),
            "extensions": extensions,
        }
        self.queue.put_nowait({"type": "websocket.connect"})
        task = self.loop.create_task(self.run_asgi())
        # uvicorn's on_task_complete, without a bound method and a copy of the context
        # kept per socket until its task ends (the callback reads no context variable)
        task.add_done_callback(self.server_wide.task_done, context=CALLBACK_CONTEXT)
        self.tasks.add(task)

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
        # No ping timer of its own (uvicorn arms one per socket): the server's keepalive
        # schedule pings the sockets that went quiet, through ping_if_quiet.

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
        # the bound method the server handed the app (Starlette keeps it), when it is
        # this one: an open socket then keeps one such object, not two
        handed: Callable[[], Awaitable[Any]] | None = getattr(websocket, "_receive", None)
        if handed is not None and handed == protocol.receive:
            return handed
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


class StellarHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, handing a WebSocket upgrade to this module's protocol
    as the request it parsed. uvicorn writes the request out as bytes again for websockets
    to parse a second time (a generator, a regular expression per header line, a header
    map); here the parsed request is built from what httptools read, when it is one that
    websockets' parser would have taken (``GET``, HTTP/1.1, no transfer coding, an ASCII
    target, at most ``MAX_NUM_HEADERS`` headers). Anything else takes uvicorn's way and
    gets websockets' own answer."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """uvicorn's, with the addresses asked of the transport directly (uvicorn asks
        for its socket object first, which the transport then builds and keeps)."""
        self.connections.add(self)
        self.transport = transport
        self.flow = FlowControl(transport)
        self.server = _address(transport.get_extra_info("sockname"))
        self.client = _address(transport.get_extra_info("peername"))  # type: ignore[assignment]
        self.scheme = "https" if transport.get_extra_info("sslcontext") else "http"

    def handle_websocket_upgrade(self) -> None:
        request = self.parsed_upgrade()
        ws_class = self.ws_protocol_class
        if request is None or not (isinstance(ws_class, type)
                                   and issubclass(ws_class, StellarWebSocketProtocol)):
            super().handle_websocket_upgrade()
            return
        self.connections.discard(self)
        protocol = ws_class(config=self.config, server_state=self.server_state,
                            app_state=self.app_state, request_parsed=True)
        protocol.connection_made(self.transport)
        self.transport.set_protocol(protocol)
        protocol.open_upgraded(request, self.headers)
        # The parser holds this protocol's callbacks, a cycle only the garbage collector
        # would free: dropped, this protocol goes when the upgrade returns.
        del self.parser

    def parsed_upgrade(self) -> Request | None:
        scope = self.scope
        headers = self.headers  # the list in the scope, as httptools read it
        if (scope.get("method") != "GET" or scope.get("http_version") != "1.1"
                or len(headers) > MAX_NUM_HEADERS):
            return None
        if any(name == b"transfer-encoding" for name, _ in headers):
            return None
        try:
            path = self.url.decode("ascii")
            parsed = [(name.decode("ascii"), value.decode("latin-1")) for name, value in headers]
        except UnicodeDecodeError:
            return None
        return Request(path, _headers(parsed))


def _headers(items: list[tuple[str, str]]) -> Headers:
    """websockets' ``Headers`` of these items, filled in one pass (its constructor adds
    them one by one through ``MutableMapping.update``, checking each value for line
    breaks: ours are constants, and httptools refuses a request with them)."""
    headers = Headers.__new__(Headers)
    by_name: dict[str, list[str]] = {}
    for name, value in items:
        by_name.setdefault(name.lower(), []).append(value)
    headers._dict, headers._list = by_name, items
    return headers


def _address(info: Any) -> tuple[str, int | None] | None:
    """An address as uvicorn's scope has it: (host, port) for IP (of IPv6's four fields
    the first two), (path, None) for a Unix socket."""
    if isinstance(info, tuple | list) and len(info) >= 2:
        return (str(info[0]), int(info[1]))
    if isinstance(info, str) and info:
        return (info, None)
    return None


def protocol_class(socket_send_buffer: int | None) -> type[StellarWebSocketProtocol]:
    """The protocol class for uvicorn's ``ws=`` option, carrying per-server settings."""
    if not socket_send_buffer:
        return StellarWebSocketProtocol
    return type("ConfiguredWebSocketProtocol", (StellarWebSocketProtocol,),
                {"socket_send_buffer": socket_send_buffer})
