"""The transport seam, pinned on real sockets: the class uvicorn serves with, writes that
coalesce, buffered-bytes accounting, close frames, handshake state dropped, pings from the
sweep; and the light stand-ins for uvicorn's receive queue and write gate. A new uvicorn or
websockets release that changes what the server relies on fails here."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import types
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.datastructures import Headers, MultipleValuesError

from stellarcollab.realtime.connection import Connection
from stellarcollab.realtime.protocol import text_frame
from stellarcollab.realtime.transport import (
    FORCED_CLOSE_GRACE_SECONDS,
    SERVER_WIDE,
    SHARED_CONNECTION_ID,
    ReceiveQueue,
    ServerConnection,
    StellarWebSocketProtocol,
    WriteGate,
    _headers,
)
from stellarcollab.realtime.writers import TransportWriter
from stellarcollab.server import uvicorn_config
from tests.support.clients import Account, Socket, open_socket, register
from tests.support.live_server import LiveServer, test_settings
from tests.support.stalled import StalledClient, open_stalled
from tests.support.timeouts import scaled

_OPAQUE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
           asyncio.AbstractEventLoop)


def strings_reachable_from(roots: list[Any], depth: int = 8) -> set[str]:
    """Every str reachable from ``roots`` through at most ``depth`` references, not
    following classes, modules, functions or the event loop (they reach everything)."""
    seen: set[int] = set()
    found: set[str] = set()
    layer = list(roots)
    for _ in range(depth):
        following: list[Any] = []
        for item in layer:
            if id(item) in seen or isinstance(item, _OPAQUE):
                continue
            seen.add(id(item))
            if isinstance(item, str):
                found.add(item)
                continue
            following.extend(gc.get_referents(item))
        layer = following
    return found


async def only_socket(live_server: LiveServer, alice: Account
                      ) -> tuple[Socket, Connection, StellarWebSocketProtocol]:
    """Alice's one socket on a new canvas, quiet (her first visit there announced), and
    the server's side of it."""
    canvas = await alice.create_canvas()
    socket = await open_socket(live_server.ws_base, canvas["id"], alice.token)
    await socket.expect("canvas_state")
    await socket.expect("activity")  # written after the socket opened: when, it varies
    [connection] = live_server.runtime.manager.registry.on_canvas(canvas["id"]).values()
    assert isinstance(connection.writer, TransportWriter)
    protocol = connection.writer.link
    assert isinstance(protocol, StellarWebSocketProtocol)
    return socket, connection, protocol


async def answers_then_close(socket: Socket) -> None:
    """The socket still works (a ping is answered); then it is closed."""
    await socket.send({"type": "ping"})
    await socket.expect("pong")
    await socket.close()


async def test_an_open_socket_keeps_no_handshake_state(
    live_server: LiveServer, alice: Account
) -> None:
    socket, connection, protocol = await only_socket(live_server, alice)
    assert protocol.request is None and protocol.response is None
    # The parser generator, the scope and the endpoint's WebSocket hold no header and
    # no credential: the token travelled in the query string.
    kept = strings_reachable_from([protocol.conn, protocol.scope, connection.websocket])
    assert not [text for text in kept if alice.token in text]
    assert "sec-websocket-key" not in {text.lower() for text in kept}
    # and the socket still works after all that was dropped
    await answers_then_close(socket)


async def test_an_open_socket_keeps_each_bound_method_once(
    live_server: LiveServer, alice: Account
) -> None:
    """A bound method is an object the garbage collector walks for as long as the socket
    is open: the endpoint's loop reuses the ``receive`` the server handed it and calls
    the message handler without keeping its bound ``handle``."""
    tasks = live_server.server.server_state.tasks
    before = live_server.call(lambda: set(tasks))
    socket, _, protocol = await only_socket(live_server, alice)
    bound = [ref.__func__.__name__ for ref in gc.get_referrers(protocol)
             if isinstance(ref, types.MethodType)]
    assert "receive" in bound and len(bound) == len(set(bound)), bound
    assert "on_task_complete" not in bound  # the server's one callback does its work
    handler = live_server.runtime.handler
    assert not [ref for ref in gc.get_referrers(handler)
                if isinstance(ref, types.MethodType) and ref.__func__.__name__ == "handle"]
    [task] = live_server.call(lambda: set(tasks)) - before
    # nor a random UUID of websockets' for logs it never writes
    assert "id" not in vars(protocol.conn) and protocol.conn.id == SHARED_CONNECTION_ID
    await answers_then_close(socket)

    async def forgotten() -> bool:
        await asyncio.wait([task], timeout=scaled(5))
        await asyncio.sleep(0)  # the done callbacks run in the loop's next pass
        return task.done() and task not in tasks

    assert live_server.run(forgotten())  # uvicorn's shutdown waits for what is left


async def test_an_open_socket_keeps_server_wide_values_once_per_server(
    live_server: LiveServer, alice: Account
) -> None:
    first, _, protocol = await only_socket(live_server, alice)
    second, _, other = await only_socket(live_server, alice)
    # Past 29 attributes an object gets a dictionary of its own (about 1.6 KB); below,
    # its values live in the class's shared keys.
    assert len(vars(protocol)) <= 29
    assert not set(SERVER_WIDE) & set(vars(protocol))
    assert protocol.server_wide is other.server_wide
    assert protocol.config is live_server.server.config
    assert protocol.connections is other.connections and protocol in protocol.connections
    for socket in (first, second):
        await answers_then_close(socket)


async def test_receive_queue_hands_items_over_in_order() -> None:
    queue = ReceiveQueue(asyncio.get_running_loop())
    waiting = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    assert not waiting.done() and queue.empty()
    queue.put_nowait("first")
    queue.put_nowait("second")
    assert await asyncio.wait_for(waiting, scaled(1)) == "first"
    assert queue.qsize() == 1
    assert await queue.get() == "second"


async def test_receive_queue_arrival_is_a_future_done_by_the_next_item() -> None:
    queue = ReceiveQueue(asyncio.get_running_loop())
    first = queue.arrival()
    assert queue.arrival() is first and not first.done()  # one waiter at a time
    first.cancel()  # a reader that gave up loses nothing that comes later
    queue.put_nowait("item")
    assert not queue.empty() and queue.pop() == "item"
    second = queue.arrival()
    queue.put_nowait("next")
    assert await asyncio.wait_for(second, scaled(1)) is None
    assert queue.pop() == "next" and queue.empty()


async def test_write_gate_blocks_writers_only_while_closed() -> None:
    gate = WriteGate(asyncio.get_running_loop())
    assert gate.is_set() and await asyncio.wait_for(gate.wait(), scaled(1))
    gate.clear()
    waiters = [asyncio.ensure_future(gate.wait()) for _ in range(2)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    gate.set()
    assert await asyncio.wait_for(asyncio.gather(*waiters), scaled(1)) == [True, True]


async def test_quiet_sockets_are_pinged_by_the_sweep_not_by_a_timer_each(
    live_server: LiveServer, alice: Account
) -> None:
    socket, _connection, protocol = await only_socket(live_server, alice)
    assert protocol.ping_timer is None  # no timer per socket
    seen = protocol.last_seen
    pings = live_server.call(lambda: [
        protocol.ping_if_quiet(seen + 1, interval=5),   # not quiet long enough
        protocol.ping_if_quiet(seen + 6, interval=5),   # quiet: ping
        protocol.ping_if_quiet(seen + 7, interval=5),   # its pong may still come
        protocol.ping_if_quiet(seen + 12, interval=5),  # no pong for 5 s: ping again
    ])
    assert pings == [False, True, False, True]
    await answers_then_close(socket)  # the client's library answered the pings itself


# What the server relies on from uvicorn and websockets, pinned on the class it serves with.

def test_the_server_serves_sockets_with_the_seam_class(tmp_path: Path) -> None:
    config = uvicorn_config(test_settings(tmp_path), "127.0.0.1", 0)
    config.load()
    assert issubclass(config.ws_protocol_class, StellarWebSocketProtocol)  # type: ignore[arg-type]
    # built on uvicorn's sans-I/O protocol, whose internals only transport.py touches
    assert issubclass(StellarWebSocketProtocol, WebSocketsSansIOProtocol)


async def test_a_live_socket_is_the_seam_class_on_an_asyncio_transport(
    live_server: LiveServer, alice: Account
) -> None:
    socket, _connection, protocol = await only_socket(live_server, alice)
    assert type(protocol) is live_server.server.config.ws_protocol_class
    # the writers use asyncio's public transport API on it, and the one flag
    assert isinstance(protocol.transport, asyncio.WriteTransport)
    assert not protocol.closed and not protocol.transport.is_closing()
    await socket.close()


async def test_a_socket_takes_its_addresses_from_the_upgrading_http_protocol(
    live_server: LiveServer, alice: Account
) -> None:
    socket, _connection, protocol = await only_socket(live_server, alice)
    local = protocol.transport.get_extra_info("sockname")
    peer = protocol.transport.get_extra_info("peername")
    assert protocol.server == (local[0], local[1]) == ("127.0.0.1", live_server.port)
    assert protocol.client == (peer[0], peer[1])
    assert protocol.scheme == "ws" and protocol in protocol.connections
    await socket.close()


async def test_the_upgrade_hands_over_the_request_httptools_parsed(
    live_server: LiveServer, alice: Account
) -> None:
    socket, _connection, protocol = await only_socket(live_server, alice)
    # websockets read frames from the start: it never parsed the request a second time
    assert isinstance(protocol.conn, ServerConnection) and protocol.conn.request_parsed
    await answers_then_close(socket)


def test_headers_filled_in_one_pass_read_as_websockets_own() -> None:
    items = [("Host", "example.com"), ("origin", "https://a.example"),
             ("Sec-WebSocket-Protocol", "bearer"), ("sec-websocket-protocol", "chat")]
    ours, theirs = _headers(list(items)), Headers(items)
    assert dict(ours._dict) == dict(theirs._dict) and list(ours.raw_items()) == items
    assert ours["ORIGIN"] == theirs["origin"] == "https://a.example"
    assert ours.get_all("sec-websocket-protocol") == ["bearer", "chat"]
    assert "host" in ours and "cookie" not in ours and len(ours) == len(theirs) == 3
    with pytest.raises(MultipleValuesError):
        ours["Sec-WebSocket-Protocol"]
    assert ours.serialize() == theirs.serialize()


async def test_a_closed_socket_is_freed_without_the_garbage_collector(
    live_server: LiveServer, alice: Account
) -> None:
    # Per-socket reference cycles (the parser and its generator, the connection and its
    # writer's callback, the HTTP protocol and its parser's callbacks) would leave every
    # closed socket to the collector, whose passes grow with the number of open sockets.
    socket, _connection, protocol = await only_socket(live_server, alice)
    protocol_gone = weakref.ref(protocol)
    del protocol, _connection
    gc.disable()
    try:
        await socket.close()
        deadline = time.monotonic() + scaled(5)
        while protocol_gone() is not None and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert protocol_gone() is None
    finally:
        gc.enable()


async def _raw_upgrade(port: int, request: bytes) -> bytes:
    """Send ``request`` on a plain TCP connection; what the server answers until it closes
    (or its status line and headers, for a 101)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), scaled(5))
    finally:
        writer.close()


def _upgrade_request(method: bytes = b"GET", version: bytes = b"HTTP/1.1",
                     key: bool = True, extra: bytes = b"") -> bytes:
    return (method + b" /api/v1/ws/canvas/1 " + version + b"\r\nHost: 127.0.0.1\r\n"
            b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            + (b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" if key else b"")
            + extra + b"\r\n")


@pytest.mark.parametrize("request_bytes", [
    _upgrade_request(method=b"POST", extra=b"Content-Length: 0\r\n"),  # websockets' parser
    _upgrade_request(key=False),                      # the fast path, refused by accept()
    _upgrade_request(extra=b"Transfer-Encoding: chunked\r\n"),  # websockets' parser
], ids=["post", "no key", "transfer coding"])
async def test_a_request_websockets_would_refuse_is_refused_either_way(
    live_server: LiveServer, request_bytes: bytes
) -> None:
    answer = await _raw_upgrade(live_server.port, request_bytes)
    assert answer.startswith(b"HTTP/1.1 4"), answer


async def test_a_valid_raw_upgrade_is_switched_with_the_right_accept_key(
    live_server: LiveServer
) -> None:
    answer = await _raw_upgrade(live_server.port, _upgrade_request())
    assert answer.startswith(b"HTTP/1.1 101")
    # RFC 6455's example key and its answer, and one date (uvicorn's)
    assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in answer
    assert answer.lower().count(b"\r\ndate: ") == 1
    head = answer.split(b"\r\n\r\n", 1)[0].lower().split(b"\r\n")[1:]
    assert sorted(line.split(b": ")[0] for line in head) == [
        b"connection", b"date", b"sec-websocket-accept", b"server", b"upgrade"]


@pytest.mark.parametrize("extra", [
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",  # a second key
    b"Origin: http://a.example\r\nOrigin: http://b.example\r\n",  # two origins
    b"Sec-WebSocket-Version: 8\r\n",  # a second version
], ids=["two keys", "two origins", "two versions"])
async def test_a_handshake_websockets_refuses_is_refused_past_the_short_way(
    live_server: LiveServer, extra: bytes
) -> None:
    # what the short accept does not take goes to websockets, which answers 400
    answer = await _raw_upgrade(live_server.port, _upgrade_request(extra=extra))
    assert answer.startswith(b"HTTP/1.1 400"), answer


class RecordingTransport:
    """The socket's transport, with each write recorded."""

    def __init__(self, transport: asyncio.WriteTransport) -> None:
        self.inner = transport
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        self.inner.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _record_writes(connection: Connection) -> list[bytes]:
    """Put a recording transport under the connection's writer (on the server's loop)."""
    assert isinstance(connection.writer, TransportWriter)
    recording = RecordingTransport(connection.writer.transport)
    connection.writer.transport = recording  # type: ignore[assignment]
    return recording.writes


async def test_messages_of_one_iteration_leave_in_one_write(
    live_server: LiveServer, alice: Account
) -> None:
    socket, connection, _protocol = await only_socket(live_server, alice)
    writes = live_server.call(lambda: _record_writes(connection))
    live_server.call(lambda: [connection.send_event({"type": "pong", "id": n}) for n in range(3)])
    assert [(await socket.expect("pong"))["id"] for _ in range(3)] == [0, 1, 2]
    assert len(writes) == 1 and writes[0].count(b'"pong"') == 3
    # quiet: a broadcast frame is written at once, inside the call itself
    frame = text_frame(b'{"type":"pong","id":"now"}')
    assert live_server.call(lambda: (connection.writer.send_now(b"", frame), len(writes))[1]) == 2
    assert writes[1] == frame
    assert (await socket.expect("pong"))["id"] == "now"
    await socket.close()


@pytest.fixture(scope="module")
def tight_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Small kernel send buffers, so a stalled reader backs up into the transport."""
    server = LiveServer(test_settings(tmp_path_factory.mktemp("tight"),
                                      websocket_socket_send_buffer=8192,
                                      websocket_send_buffer_bytes=1 << 30)).start()
    yield server
    server.stop()


async def wait_for_connections(server: LiveServer, canvas_id: int,
                               count: int) -> list[Connection]:
    deadline = time.monotonic() + scaled(10)
    while True:
        connections = server.call(lambda: list(
            server.runtime.manager.registry.on_canvas(canvas_id).values()))
        if len(connections) >= count:
            return connections
        assert time.monotonic() < deadline, f"{len(connections)} of {count} connections"
        await asyncio.sleep(0.01)  # polling the server's state, bounded by the deadline


def wire_socket_of(connection: Connection) -> StellarWebSocketProtocol:
    assert isinstance(connection.writer, TransportWriter)
    link = connection.writer.link
    assert isinstance(link, StellarWebSocketProtocol)
    return link


async def _stalled_link(server: LiveServer) -> tuple[StalledClient, StellarWebSocketProtocol]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as api:
        account = await register(api)
        canvas = await account.create_canvas()
    stalled = await open_stalled(server.port, f"/api/v1/ws/canvas/{canvas['id']}"
                                              f"?token={account.token}")
    connections = await wait_for_connections(server, canvas["id"], 1)
    link = wire_socket_of(connections[0])
    return stalled, link


async def test_buffered_bytes_count_what_the_kernel_did_not_take(
    tight_server: LiveServer,
) -> None:
    stalled, link = await _stalled_link(tight_server)
    frame = text_frame(b'{"type":"pong","id":"' + b"x" * 4000 + b'"}')

    def fill() -> tuple[int, int]:
        # until the kernel's buffers are full and the transport starts holding bytes
        transport = link.transport
        for _ in range(1000):
            transport.write(frame)
            if transport.get_write_buffer_size() > 0:
                break
        before = transport.get_write_buffer_size()
        transport.write(frame)
        return before, transport.get_write_buffer_size()

    before, after = tight_server.call(fill)
    assert before > 0 and after == before + len(frame)
    assert link.socket_send_buffer == 8192  # type: ignore[attr-defined]
    stalled.close()


async def test_close_sends_code_and_reason_and_nothing_after_it(
    live_server: LiveServer, alice: Account
) -> None:
    socket, connection, protocol = await only_socket(live_server, alice)

    def close_then_write() -> bool:
        protocol.close(4008, "slow consumer")
        closing = protocol.closed
        connection.writer.send_now(b"", text_frame(b'{"type":"pong","id":"late"}'))
        return closing

    assert live_server.call(close_then_write)
    assert await socket.closed() == 4008
    assert socket.ws.close_reason == "slow consumer"
    assert not [m for m in socket.received if m.get("id") == "late"]


async def test_a_stalled_reader_is_aborted_after_the_close_grace(
    tight_server: LiveServer,
) -> None:
    stalled, link = await _stalled_link(tight_server)
    frame = text_frame(b'{"type":"pong","id":"' + b"x" * 4000 + b'"}')

    def fill_and_close() -> None:
        while link.transport.get_write_buffer_size() < 256 * 1024:
            link.transport.write(frame)
        link.close(4008, "slow consumer")

    tight_server.call(fill_and_close)
    started = time.monotonic()
    deadline = started + scaled(FORCED_CLOSE_GRACE_SECONDS + 5)
    while not tight_server.call(lambda: link.transport.is_closing()):
        assert time.monotonic() < deadline, "the stalled socket was not aborted"
        await asyncio.sleep(0.05)  # polling the server's state, bounded by the deadline
    assert time.monotonic() - started >= FORCED_CLOSE_GRACE_SECONDS * 0.9
    # the close frame sat behind the unread data and went with it: the client, reading
    # at last, finds what the kernels held, then EOF
    received = await stalled.eof_or_close(10)
    assert b"slow consumer" not in received
    stalled.close()


async def test_a_ping_is_answered_and_the_pong_counts_as_activity(
    live_server: LiveServer, alice: Account
) -> None:
    socket, _connection, protocol = await only_socket(live_server, alice)
    seen = protocol.last_seen
    assert live_server.call(lambda: protocol.ping_if_quiet(seen + 60, interval=30))
    deadline = time.monotonic() + scaled(5)
    while live_server.call(lambda: protocol.last_seen) == seen:
        assert time.monotonic() < deadline, "no pong arrived"
        await asyncio.sleep(0.01)  # polling the server's state, bounded by the deadline
    await socket.close()


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_invalid_utf8_is_answered_1007_and_leaves_no_traceback(
    live_server: LiveServer, alice: Account
) -> None:
    socket, _connection, _protocol = await only_socket(live_server, alice)
    records = _Records()
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(records)
    try:
        for _ in range(3):  # a client repeating its mistake fills nothing
            await socket.ws.send(b"{\"type\": \"ping\", \"id\": \"\xed\xa0\x80\"}", text=True)
            assert await socket.closed() == 1007
            socket, _connection, _protocol = await only_socket(live_server, alice)
    finally:
        logger.removeHandler(records)
    assert not [r for r in records.records if r.exc_info or r.levelno >= logging.ERROR]
    await socket.send({"type": "ping", "id": "ok"})
    assert (await socket.expect("pong"))["id"] == "ok"
    await socket.close()
