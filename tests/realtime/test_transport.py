"""The WebSocket protocol class: what an open socket keeps, and the light stand-ins for
uvicorn's receive queue and write gate."""

from __future__ import annotations

import asyncio
import gc
import types
from typing import Any

from stellarcollab.realtime.connection import Connection
from stellarcollab.realtime.transport import ReceiveQueue, StellarWebSocketProtocol, WriteGate
from stellarcollab.realtime.writers import TransportWriter
from tests.support.clients import Account, Socket, open_socket
from tests.support.live_server import LiveServer
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
    """Alice's one socket on a new canvas, and the server's side of it."""
    canvas = await alice.create_canvas()
    socket = await open_socket(live_server.ws_base, canvas["id"], alice.token)
    await socket.expect("canvas_state")
    [connection] = live_server.runtime.manager.canvas_connections[canvas["id"]].values()
    assert isinstance(connection.writer, TransportWriter)
    protocol = connection.writer.link
    assert isinstance(protocol, StellarWebSocketProtocol)
    return socket, connection, protocol


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
    await socket.send({"type": "ping"})
    await socket.expect("pong")
    await socket.close()


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
    await socket.send({"type": "ping"})  # the client's library answered the pings itself
    await socket.expect("pong")
    await socket.close()
