"""Socket defences from the outside: origins, per-address caps, message limits and
repeats, malformed frames answered without tracebacks in the log."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.security.server_log import recorded_log
from tests.support.clients import Account, Socket, join, open_socket, register
from tests.support.live_server import LiveServer, test_settings
from tests.support.timeouts import scaled


async def until(condition: Callable[[], bool], timeout: float = 5) -> None:
    """Wait for a state of the server that no message announces."""
    deadline = time.monotonic() + scaled(timeout)
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.02)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(test_settings(tmp_path_factory.mktemp("sockets"),
                                      rate_limit_strikes_before_close=5)).start()
    yield server
    server.stop()


async def test_cross_origin_handshake_is_refused_4003_same_origin_accepted(
    live_server: LiveServer, alice: Account
) -> None:
    canvas = await alice.create_canvas()
    url = f"{live_server.ws_base}/{canvas['id']}?token={alice.token}"
    with recorded_log() as log:
        async with connect(url, origin="https://evil.example",  # type: ignore[arg-type]
                           open_timeout=scaled(10)) as ws:
            foreign = Socket(ws)
            assert await foreign.closed() == 4003
    refusal = [r.getMessage() for r in log.records if "origin" in r.getMessage()]
    assert refusal and "evil.example" in refusal[0] and alice.token not in refusal[0]
    own = f"http://127.0.0.1:{live_server.port}"
    async with connect(url, origin=own, open_timeout=scaled(10)) as ws:  # type: ignore[arg-type]
        assert (await Socket(ws).expect("canvas_state"))["type"] == "canvas_state"
    no_origin = await join(live_server.ws_base, canvas["id"], alice)  # not a browser
    await no_origin.close()


async def test_a_300_deep_ping_id_gets_an_error_and_no_traceback(
    live_server: LiveServer, alice: Account
) -> None:
    canvas = await alice.create_canvas()
    socket = await join(live_server.ws_base, canvas["id"], alice)
    with recorded_log() as log:
        await socket.send('{"type": "ping", "id": ' + "[" * 300 + "]" * 300 + "}")
        error = await socket.expect("error")
        await socket.send({"type": "ping", "id": 1})
        await socket.expect("pong", id=1)
    assert error["code"] == "invalid_json" and "deeper" in error["message"]
    assert log.tracebacks() == [] and log.errors() == []
    async with httpx.AsyncClient(base_url=live_server.base_url) as api:
        assert (await api.get("/api/v1/health")).json()["client_errors"]["invalid_json"] >= 1
    await socket.close()


async def test_invalid_utf8_closes_1007_without_a_traceback(
    live_server: LiveServer, alice: Account
) -> None:
    canvas = await alice.create_canvas()
    with recorded_log() as log:
        for _ in range(30):
            socket = await join(live_server.ws_base, canvas["id"], alice)
            await socket.ws.send(b'{"type": "ping"}\xff', text=True)
            assert await socket.closed() == 1007
    assert log.tracebacks() == [] and log.errors() == []
    utf8_lines = [r for r in log.records if "UTF-8" in r.getMessage()]
    assert 1 <= len(utf8_lines) <= 10  # repeated lines are limited
    async with httpx.AsyncClient(base_url=live_server.base_url) as api:
        counted = (await api.get("/api/v1/health")).json()["client_errors"]
    assert counted["invalid_utf8"] >= 30  # every one counted


async def test_a_flood_gets_rate_limited_with_retry_after_then_4029(
    live_server: LiveServer, alice: Account
) -> None:
    canvas = await alice.create_canvas()
    socket = await join(live_server.ws_base, canvas["id"], alice)
    for number in range(200):
        await socket.send({"type": "user_presence", "presence_type": "typing",
                           "is_typing": number % 2 == 0})
    limited = await socket.expect("error", code="rate_limited")
    assert limited["request_type"] == "user_presence" and limited["retry_after"] >= 1
    assert await socket.closed() == 4029


async def test_a_repeated_chat_line_is_refused(live_server: LiveServer, alice: Account) -> None:
    canvas = await alice.create_canvas()
    socket = await join(live_server.ws_base, canvas["id"], alice)
    await socket.send({"type": "canvas_chat", "text": "buy cheap pixels"})
    await socket.expect("canvas_chat_message", message_text="buy cheap pixels")
    await socket.send({"type": "canvas_chat", "text": "buy cheap pixels"})
    refused = await socket.expect("error")
    assert refused["code"] == "duplicate" and refused["request_type"] == "canvas_chat"
    await socket.send({"type": "canvas_chat", "text": "something else"})
    await socket.expect("canvas_chat_message", message_text="something else")
    await socket.close()


async def test_a_repeated_direct_message_is_refused(
    live_server: LiveServer, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    socket = await join(live_server.ws_base, canvas["id"], alice)
    message = {"type": "direct_message", "to_user_id": bob.id, "text": "are you there?"}
    await socket.send(message)
    await socket.expect("direct_message", message_text="are you there?")
    await socket.send(message)
    refused = await socket.expect("error")
    assert (refused["code"], refused["request_type"]) == ("duplicate", "direct_message")
    await socket.close()


async def test_open_sockets_per_address_are_capped(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    server = LiveServer(test_settings(tmp_path_factory.mktemp("per-address"),
                                      websocket_connections_per_ip=3)).start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as api:
            users = [await register(api) for _ in range(4)]
            canvas = await users[0].create_canvas()
            sockets = [await join(server.ws_base, canvas["id"], u) for u in users[:3]]
            fourth = await open_socket(server.ws_base, canvas["id"], users[3].token)
            assert await fourth.closed() == 1013
            await sockets[0].close()
            await until(lambda: server.call(
                lambda: server.runtime.socket_guard.open_by_ip.get("127.0.0.1")) == 2)
            again = await join(server.ws_base, canvas["id"], users[3])
            for socket in [*sockets[1:], again]:
                await socket.close()
    finally:
        server.stop()


async def test_behind_a_trusted_proxy_the_forwarded_origin_counts(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    server = LiveServer(test_settings(tmp_path_factory.mktemp("proxied"),
                                      trust_proxy=True)).start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as api:
            account = await register(api)
            canvas = await account.create_canvas()
            url = f"{server.ws_base}/{canvas['id']}?token={account.token}"
            forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "canvas.example"}
            async with connect(url, origin="https://canvas.example",  # type: ignore[arg-type]
                               additional_headers=forwarded, open_timeout=scaled(10)) as ws:
                assert (await Socket(ws).next())["type"] == "canvas_state"
            async with connect(url, origin="https://canvas.example",  # type: ignore[arg-type]
                               open_timeout=scaled(10)) as ws:
                assert await Socket(ws).closed() == 4003  # not the origin it was reached on
    finally:
        server.stop()


async def test_the_user_socket_checks_the_origin_too(
    live_server: LiveServer, alice: Account
) -> None:
    url = f"ws://127.0.0.1:{live_server.port}/api/v1/ws/user?token={alice.token}"
    async with connect(url, origin="https://evil.example",  # type: ignore[arg-type]
                       open_timeout=scaled(10)) as ws:
        assert await Socket(ws).closed() == 4003
    own = f"http://127.0.0.1:{live_server.port}"
    async with connect(url, origin=own, open_timeout=scaled(10)) as ws:  # type: ignore[arg-type]
        socket = Socket(ws)
        await socket.send({"type": "ping", "id": "same-origin"})
        await socket.expect("pong", id="same-origin")
