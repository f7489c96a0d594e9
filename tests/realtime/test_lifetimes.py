"""Keepalive and token lifetimes: idle sockets and expired tokens are closed. Token
lifetimes run on the server's ManualClock: the tests advance it instead of waiting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from websockets.client import ClientProtocol
from websockets.frames import Close, Frame, Opcode
from websockets.uri import parse_uri

from stellarcollab.clock import ManualClock
from tests.support.clients import join, open_socket, register
from tests.support.live_server import LiveServer, test_settings
from tests.support.timeouts import scaled

TOKEN_SECONDS = 600


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock(start=time.time())


@pytest.fixture(scope="module")
def short_lived_server(tmp_path_factory: pytest.TempPathFactory,
                       clock: ManualClock) -> Iterator[LiveServer]:
    server = LiveServer(test_settings(
        tmp_path_factory.mktemp("lifetimes"),
        access_token_expire_seconds=TOKEN_SECONDS,
        websocket_timeout=1.5,
        websocket_ping_interval=0.3,
    ), clock).start()
    yield server
    server.stop()


@pytest.fixture
async def short_api(short_lived_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=short_lived_server.base_url) as client:
        yield client


async def test_expired_token_closes_socket_4001(
    short_lived_server: LiveServer, short_api: httpx.AsyncClient, clock: ManualClock
) -> None:
    alice = await register(short_api)
    canvas = await alice.create_canvas()
    socket = await join(short_lived_server.ws_base, canvas["id"], alice)
    clock.advance(TOKEN_SECONDS)
    assert await socket.closed(timeout=3) == 4001  # by the next sweep (every 0.1 s)
    late = await open_socket(short_lived_server.ws_base, canvas["id"], alice.token)
    assert await late.closed() == 4001  # refused at the door too


async def test_token_refreshed_over_the_socket_keeps_it_open(
    short_lived_server: LiveServer, short_api: httpx.AsyncClient, clock: ManualClock
) -> None:
    alice = await register(short_api)
    canvas = await alice.create_canvas()
    socket = await join(short_lived_server.ws_base, canvas["id"], alice)
    # the same first token on a second socket: its close shows a sweep has run
    witness = await join(short_lived_server.ws_base, canvas["id"], alice)
    clock.advance(TOKEN_SECONDS / 2)
    fresh = (await alice.post("/api/v1/auth/refresh")).json()["access_token"]
    await socket.send({"type": "auth", "token": fresh})
    await socket.expect("auth_ok")
    clock.advance(TOKEN_SECONDS / 2)  # the first token ends; the fresh one has half to go
    assert await witness.closed(timeout=3) == 4001
    await socket.send({"type": "ping"})
    await socket.expect("pong")
    clock.advance(TOKEN_SECONDS / 2)
    assert await socket.closed(timeout=3) == 4001  # the fresh one ends too


async def test_silent_client_is_closed_after_the_timeout(
    short_lived_server: LiveServer, short_api: httpx.AsyncClient
) -> None:
    alice = await register(short_api)
    canvas = await alice.create_canvas()
    uri = parse_uri(f"{short_lived_server.ws_base}/{canvas['id']}?token={alice.token}")
    protocol = ClientProtocol(uri)
    reader, writer = await asyncio.open_connection("127.0.0.1", short_lived_server.port)
    protocol.send_request(protocol.connect())
    writer.write(b"".join(protocol.data_to_send()))
    frames: list[Frame] = []

    async def read_until_close() -> None:
        while data := await reader.read(65536):
            protocol.receive_data(data)
            frames.extend(e for e in protocol.events_received() if isinstance(e, Frame))
            # deliberately no writes: pings go unanswered, the client is silent
            if any(f.opcode is Opcode.CLOSE for f in frames):
                return

    await asyncio.wait_for(read_until_close(), scaled(10))
    writer.close()
    assert any(f.opcode is Opcode.PING for f in frames)
    [close] = [Close.parse(f.data) for f in frames if f.opcode is Opcode.CLOSE]
    assert close.code == 1011 and close.reason == "keepalive timeout"


async def test_client_answering_pings_stays_connected(
    short_lived_server: LiveServer, short_api: httpx.AsyncClient
) -> None:
    alice = await register(short_api)
    canvas = await alice.create_canvas()
    socket = await join(short_lived_server.ws_base, canvas["id"], alice)
    await asyncio.sleep(2.0)  # longer than the 1.5 s timeout; only pongs flow meanwhile
    await socket.send({"type": "ping"})
    await socket.expect("pong")
    await socket.close()
