"""The WebSocket endpoint's authentication flow and every rejection close code."""

from __future__ import annotations

import logging

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.support.clients import Account, join, open_socket, register
from tests.support.live_server import LiveServer, test_settings
from tests.support.timeouts import scaled


async def test_token_in_query_gets_canvas_state(
    live_server: LiveServer, alice: Account
) -> None:
    canvas = await alice.create_canvas()
    socket = await open_socket(live_server.ws_base, canvas["id"], alice.token)
    state = await socket.expect("canvas_state")
    assert state["canvas_id"] == canvas["id"]
    assert state["seq"] == 0
    assert isinstance(state["epoch"], str) and state["epoch"]
    assert isinstance(state["connection_id"], str)
    assert state["you"] == {"user_id": alice.id, "username": alice.username,
                            "display_name": alice.user["display_name"]}
    assert state["active_users"] == 1
    [me] = state["users"]
    assert me["user_id"] == alice.id and me["is_active"] is True and me["connections"] == 1
    assert state["locks"] == []
    await socket.close()


@pytest.mark.parametrize("token", [None, "garbage", "a.b.c"])
async def test_missing_or_bad_token_closes_4001(
    live_server: LiveServer, alice: Account, token: str | None
) -> None:
    canvas = await alice.create_canvas()
    socket = await open_socket(live_server.ws_base, canvas["id"], token)
    assert await socket.closed() == 4001


async def test_revoked_token_closes_4001(live_server: LiveServer, api: httpx.AsyncClient) -> None:
    owner = await register(api)
    canvas = await owner.create_canvas()
    other = await register(api)
    assert (await other.post("/api/v1/auth/logout")).status_code == 204
    socket = await open_socket(live_server.ws_base, canvas["id"], other.token)
    assert await socket.closed() == 4001


async def test_missing_canvas_closes_4004(live_server: LiveServer, alice: Account) -> None:
    socket = await open_socket(live_server.ws_base, 999_999, alice.token)
    assert await socket.closed() == 4004


async def test_canvas_id_beyond_the_database_integer_closes_4004(
    live_server: LiveServer, alice: Account
) -> None:
    socket = await open_socket(live_server.ws_base, 2**40, alice.token)
    assert await socket.closed() == 4004


async def test_deleted_canvas_closes_4004(live_server: LiveServer, alice: Account) -> None:
    canvas = await alice.create_canvas()
    assert (await alice.delete(f"/api/v1/canvases/{canvas['id']}")).status_code == 204
    socket = await open_socket(live_server.ws_base, canvas["id"], alice.token)
    assert await socket.closed() == 4004


async def test_private_canvas_closes_4003_for_non_members(
    live_server: LiveServer, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas(visibility="private")
    socket = await open_socket(live_server.ws_base, canvas["id"], bob.token)
    assert await socket.closed() == 4003
    invite = await alice.post(f"/api/v1/canvases/{canvas['id']}/members",
                              {"username": bob.username})
    assert invite.status_code == 201
    member = await join(live_server.ws_base, canvas["id"], bob)
    await member.close()


async def test_ticket_is_single_use(live_server: LiveServer, alice: Account) -> None:
    canvas = await alice.create_canvas()
    response = await alice.post("/api/v1/ws/ticket")
    assert response.status_code == 200
    ticket = response.json()["ticket"]
    assert response.json()["expires_in"] == 30
    first = await open_socket(live_server.ws_base, canvas["id"], query=f"ticket={ticket}")
    assert (await first.expect("canvas_state"))["you"]["user_id"] == alice.id
    second = await open_socket(live_server.ws_base, canvas["id"], query=f"ticket={ticket}")
    assert await second.closed() == 4001
    await first.close()


async def test_token_in_subprotocol_header(live_server: LiveServer, alice: Account) -> None:
    canvas = await alice.create_canvas()
    async with connect(f"{live_server.ws_base}/{canvas['id']}",
                       subprotocols=["bearer", f"bearer.{alice.token}"],  # type: ignore[list-item]
                       open_timeout=scaled(10)) as ws:
        assert ws.subprotocol == "bearer"
        assert b"canvas_state" in (await ws.recv()).encode()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def test_credentials_never_reach_a_log_line(
    live_server: LiveServer, alice: Account
) -> None:
    canvas = await alice.create_canvas()
    ticket = (await alice.post("/api/v1/ws/ticket")).json()["ticket"]
    collector = _Collect()
    loggers = [logging.getLogger(name) for name in ("uvicorn.access", "uvicorn.error")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(collector)
        logger.setLevel(logging.INFO)
    try:
        socket = await join(live_server.ws_base, canvas["id"], alice)
        await socket.close()
        by_ticket = await open_socket(live_server.ws_base, canvas["id"], query=f"ticket={ticket}")
        await by_ticket.expect("canvas_state")
        await by_ticket.close()
        await alice.api.get(f"/api/v1/health?token={alice.token}")
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(collector)
            logger.setLevel(level)
    text = "\n".join(collector.lines)
    assert "WebSocket" in text and "/api/v1/health" in text  # the lines were logged ...
    assert alice.token not in text  # ... without the credentials
    assert ticket not in text
    assert "token=[redacted]" in text and "ticket=[redacted]" in text


async def test_per_user_connection_limit_closes_4008(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    server = LiveServer(test_settings(tmp_path_factory.mktemp("limits"),
                                      websocket_max_connections=3,
                                      websocket_max_connections_per_user=2)).start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as api:
            alice, bob = await register(api), await register(api)
            canvas = await alice.create_canvas()
            tabs = [await join(server.ws_base, canvas["id"], alice) for _ in range(2)]
            third_tab = await open_socket(server.ws_base, canvas["id"], alice.token)
            assert await third_tab.closed() == 4008
            bob_socket = await join(server.ws_base, canvas["id"], bob)
            # three connections are open: the process is full
            full = await open_socket(server.ws_base, canvas["id"], bob.token)
            assert await full.closed() == 1013
            for socket in [*tabs, bob_socket]:
                await socket.close()
    finally:
        server.stop()


async def test_connection_attempts_are_rate_limited_4029(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    server = LiveServer(test_settings(tmp_path_factory.mktemp("connect-rate"),
                                      rate_limit_connects_per_minute=3)).start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as api:
            alice = await register(api)
            canvas = await alice.create_canvas()
            for _ in range(3):
                socket = await join(server.ws_base, canvas["id"], alice)
                await socket.close()
            limited = await open_socket(server.ws_base, canvas["id"], alice.token)
            assert await limited.closed() == 4029
    finally:
        server.stop()


async def test_oversized_message_closes_1009(live_server: LiveServer, alice: Account) -> None:
    canvas = await alice.create_canvas()
    socket = await join(live_server.ws_base, canvas["id"], alice)
    await socket.send({"type": "canvas_chat", "text": "x" * (70 * 1024)})
    assert await socket.closed() == 1009
