"""Connection caps hold exactly under simultaneous handshakes: the process's slot is taken
synchronously at admission, the user's count atomically in the presence store."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.clients import Account, Socket, open_socket, register
from tests.support.live_server import LiveServer, test_settings
from tests.support.timeouts import scaled

PER_USER = 20
PER_PROCESS = 25


@pytest.fixture(scope="module")
def capped_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(test_settings(tmp_path_factory.mktemp("caps"),
                                      websocket_max_connections=PER_PROCESS,
                                      websocket_max_connections_per_user=PER_USER)).start()
    yield server
    server.stop()


async def outcome(socket: Socket) -> str | int | None:
    """"admitted" if the first message is the canvas state, else the close code."""
    try:
        first = await socket.next(timeout=30)
    except ConnectionClosed:
        return socket.ws.close_code
    return "admitted" if first["type"] == "canvas_state" else first["type"]


async def burst(server: LiveServer, canvas_id: int,
                accounts: list[Account]) -> tuple[list[str | int | None], list[Socket]]:
    """One socket per account, all at once, on a canvas nobody has open yet."""
    sockets = await asyncio.gather(*(open_socket(server.ws_base, canvas_id, account.token)
                                     for account in accounts))
    outcomes = await asyncio.wait_for(asyncio.gather(*(outcome(s) for s in sockets)),
                                      scaled(60))
    return list(outcomes), list(sockets)


async def close_all(server: LiveServer, sockets: list[Socket]) -> None:
    await asyncio.gather(*(socket.close() for socket in sockets))
    deadline = asyncio.get_running_loop().time() + scaled(10)
    while server.call(lambda: server.runtime.manager.total_connections):
        assert asyncio.get_running_loop().time() < deadline, "sockets left open"
        await asyncio.sleep(0.01)  # polling the server's state, bounded by the deadline


async def test_thirty_simultaneous_sockets_of_one_user_admit_exactly_the_cap(
    capped_server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=capped_server.base_url, timeout=30) as api:
        alice = await register(api)
        for _ in range(3):
            canvas = await alice.create_canvas()
            outcomes, sockets = await burst(capped_server, canvas["id"], [alice] * 30)
            assert outcomes.count("admitted") == PER_USER
            assert outcomes.count(4008) == 30 - PER_USER
            await close_all(capped_server, sockets)


async def test_simultaneous_sockets_of_two_users_fill_the_process_exactly(
    capped_server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=capped_server.base_url, timeout=30) as api:
        alice, bob = await register(api), await register(api)
        for _ in range(2):
            canvas = await alice.create_canvas(visibility="public")
            outcomes, sockets = await burst(capped_server, canvas["id"], [alice, bob] * 15)
            assert outcomes.count("admitted") == PER_PROCESS
            assert outcomes.count(1013) == 30 - PER_PROCESS
            await close_all(capped_server, sockets)
