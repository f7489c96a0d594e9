"""SIGTERM drains: sockets close with 1012 spread over STELLAR_DRAIN_SECONDS, what was
acknowledged stays stored, the process exits 0; a second signal exits at once."""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stellarcollab.drain import BATCHES_PER_SECOND, batch_schedule
from tests.support.clients import Socket, join, open_socket, register
from tests.support.server_process import ServerProcess
from tests.support.timeouts import scaled

DRAIN_SECONDS = 3.0
CLIENTS = 200
CANVASES = 4


def test_batches_split_the_sockets_over_the_period() -> None:
    rand = random.Random(7).random
    schedule = batch_schedule(200, 3.0, rand)
    assert len(schedule) == 3 * BATCHES_PER_SECOND
    assert sum(size for _, size in schedule) == 200
    assert max(size for _, size in schedule) - min(size for _, size in schedule) <= 1
    offsets = [offset for offset, _ in schedule]
    assert offsets == sorted(offsets)  # each batch in its own slice of the period
    assert 0 <= offsets[0] < 0.1 and 2.9 <= offsets[-1] < 3.0
    assert [size for _, size in batch_schedule(3, 3.0, rand)] == [1, 1, 1]
    assert batch_schedule(0, 3.0) == []
    assert batch_schedule(5, 0.0) == [(0.0, 5)]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path, drain_seconds=DRAIN_SECONDS,
                            websocket_max_connections_per_user=1000,
                            rate_limit_messages_per_second=1000,
                            rate_limit_burst=1000).start()
    yield process
    process.stop(signal.SIGKILL)


async def _chat_acknowledged(socket: Socket, text: str) -> str:
    await socket.send({"type": "canvas_chat", "text": text})
    ack = await socket.expect("canvas_chat_message", timeout=10, message_text=text)
    return str(ack["message_id"])


async def test_sigterm_drains_200_clients(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=scaled(30)) as api:
        people = [await register(api) for _ in range(10)]
        canvases = [await people[0].create_canvas() for _ in range(CANVASES)]
        sockets: list[Socket] = []
        for start in range(0, CLIENTS, 50):  # in waves, not 200 handshakes at once
            sockets += await asyncio.gather(*(
                join(server.ws_base, canvases[i % CANVASES]["id"], people[i % len(people)])
                for i in range(start, start + 50)))
        acknowledged = {canvas["id"]: [] for canvas in canvases}
        for n in range(20):
            socket = sockets[n * 7]
            acknowledged[canvases[(n * 7) % CANVASES]["id"]].append(
                await _chat_acknowledged(socket, f"before the signal {n}"))

        loop = asyncio.get_running_loop()

        async def closed_at(socket: Socket) -> tuple[int | None, float]:
            code = await socket.closed(timeout=DRAIN_SECONDS + 15)
            return code, loop.time()

        waits = [asyncio.ensure_future(closed_at(socket)) for socket in sockets]
        assert server.process is not None
        signalled = loop.time()
        server.process.send_signal(signal.SIGTERM)
        results = await asyncio.gather(*waits)
        exit_code = await asyncio.to_thread(server.process.wait, scaled(30))

    assert [code for code, _ in results] == [1012] * CLIENTS
    offsets = sorted(at - signalled for _, at in results)
    assert offsets[-1] <= DRAIN_SECONDS + scaled(2)
    assert offsets[-1] - offsets[0] >= DRAIN_SECONDS / 2, "not spread over the period"
    tenths = [sum(1 for o in offsets if i * DRAIN_SECONDS / 10 <= o < (i + 1) * DRAIN_SECONDS / 10)
              for i in range(10)]
    assert max(tenths) <= CLIENTS * 0.3, tenths  # no stampede
    assert exit_code == 0

    server.process = None
    server.restart()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=scaled(30)) as api:
        reader = await register(api)
        for canvas_id, ids in acknowledged.items():
            page = await api.get(f"/api/v1/canvases/{canvas_id}/chat/messages?limit=200",
                                 headers=reader.headers)
            assert set(ids) <= {m["id"] for m in page.json()["items"]}


async def test_new_sockets_are_refused_while_draining_and_a_second_signal_exits_at_once(
    tmp_path: Path,
) -> None:
    server = ServerProcess(tmp_path, drain_seconds=60).start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=scaled(30)) as api:
            alice = await register(api)
            canvas = await alice.create_canvas()
            await join(server.ws_base, canvas["id"], alice)
            assert server.process is not None
            server.process.send_signal(signal.SIGTERM)
            while (await api.get("/readyz")).status_code != 503:
                await asyncio.sleep(0.05)
            late = await open_socket(server.ws_base, canvas["id"], alice.token)
            assert await late.closed() == 1012
            loop = asyncio.get_running_loop()
            second = loop.time()
            server.process.send_signal(signal.SIGTERM)
            exit_code = await asyncio.to_thread(server.process.wait, scaled(10))
            assert loop.time() - second < scaled(3)
            assert exit_code == 128 + signal.SIGTERM
            assert any("second signal" in line for line in server.output)
    finally:
        server.stop(signal.SIGKILL)
