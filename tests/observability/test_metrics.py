"""/metrics moves as a client connects, chats, is rate-limited and disconnects; it is
served to an admin's token or the metrics token only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.helpers import make_admin
from tests.observability.scrape import Samples, scrape
from tests.support.clients import join, register
from tests.support.live_server import LiveServer, test_settings
from tests.support.postgres import free_port
from tests.support.timeouts import scaled

METRICS_TOKEN = "metrics-scraper-token-long-enough-to-be-real"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir: Path = tmp_path_factory.mktemp("metrics")
    server = LiveServer(test_settings(
        data_dir, metrics_token=METRICS_TOKEN, rate_limit_messages_per_second=1,
        rate_limit_burst=3)).start()
    yield server
    server.stop()


@pytest.fixture
async def api(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as client:
        yield client


async def _until(api: httpx.AsyncClient, check: str, value: float, **labels: str) -> Samples:
    """Scrape until ``check`` reaches ``value`` (a close is counted when the server has
    seen it, a moment after the client's close returns)."""
    deadline = asyncio.get_running_loop().time() + scaled(5)
    while True:
        samples = await scrape(api, METRICS_TOKEN)
        if samples.get(check, **labels) == value or asyncio.get_running_loop().time() > deadline:
            return samples
        await asyncio.sleep(0.05)


async def test_counters_follow_a_client(live_server: LiveServer, api: httpx.AsyncClient) -> None:
    alice = await register(api)
    canvas = await alice.create_canvas()
    before = await scrape(api, METRICS_TOKEN)

    socket = await join(live_server.ws_base, canvas["id"], alice)
    await socket.send({"type": "canvas_chat", "text": "hello metrics"})
    chat = await socket.expect("canvas_chat_message")
    for n in range(6):  # burst 3, refilled at 1/s: the last ones are refused
        await socket.send({"type": "ping", "id": str(n)})
    answers = [(await socket.next())["type"] for _ in range(6)]
    assert "error" in answers and "pong" in answers, answers
    during = await scrape(api, METRICS_TOKEN)
    await socket.close()
    after = await _until(api, "stellar_socket_closes_total",
                         before.get("stellar_socket_closes_total", code="1000") + 1, code="1000")

    def moved(samples: Samples, name: str, **labels: str) -> float:
        return samples.get(name, **labels) - before.get(name, **labels)

    assert moved(during, "stellar_socket_connects_total") == 1
    assert during.get("stellar_connections_open") == 1
    assert moved(during, "stellar_canvases_by_connections", le="1") == 1
    assert moved(during, "stellar_messages_in_total", type="canvas_chat") == 1
    assert moved(during, "stellar_messages_out_total", type="canvas_chat_message") == 1
    assert moved(during, "stellar_messages_out_total", type="canvas_state") == 1
    assert moved(during, "stellar_fanout_deliveries_total") >= 1
    assert moved(during, "stellar_bytes_written_total") >= len(str(chat["message_text"]))
    assert moved(during, "stellar_rate_limited_total", kind="message") == answers.count("error")
    assert moved(during, "stellar_messages_in_total", type="ping") == 6  # refused ones too
    assert moved(during, "stellar_messages_out_total", type="pong") == answers.count("pong")
    assert moved(during, "stellar_broadcast_latency_seconds_count") >= 1
    assert moved(during, "stellar_db_statement_seconds_count") >= 1
    assert during.get("stellar_process_resident_memory_bytes") > 10_000_000
    assert during.get("stellar_process_cpu_seconds") > 0
    assert moved(after, "stellar_socket_closes_total", code="1000") == 1
    assert after.get("stellar_connections_open") == 0


async def test_recovery_replays_are_counted(live_server: LiveServer,
                                           api: httpx.AsyncClient) -> None:
    alice = await register(api)
    canvas = await alice.create_canvas()
    before = await scrape(api, METRICS_TOKEN)
    socket = await join(live_server.ws_base, canvas["id"], alice)
    state = socket.received[0]
    await socket.close()
    again = await join(live_server.ws_base, canvas["id"], alice,
                       query=f"since={state['seq']}&epoch={state['epoch']}")
    stale = await join(live_server.ws_base, canvas["id"], alice, query="since=1&epoch=other")
    after = await scrape(api, METRICS_TOKEN)
    assert after.get("stellar_recovery_replays_total") - before.get(
        "stellar_recovery_replays_total") == 1
    assert after.get("stellar_recovery_resyncs_total") - before.get(
        "stellar_recovery_resyncs_total") == 1
    await again.close()
    await stale.close()


async def test_metrics_need_an_admin_or_the_metrics_token(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    assert (await api.get("/metrics")).status_code == 401
    assert (await api.get("/metrics", headers={"Authorization": "Bearer nope"})).status_code == 401
    user = await register(api)
    response = await api.get("/metrics", headers=user.headers)
    assert response.status_code == 403
    assert response.json() == {"detail": "Metrics are for admins"}
    await make_admin(live_server, user)
    samples = await scrape(api, user.token)
    assert samples.get("stellar_socket_connects_total") >= 0
    assert ("stellar_socket_connects_total", frozenset()) in samples.values


async def test_a_separate_metrics_listener(tmp_path: Path) -> None:
    port = free_port()
    server = LiveServer(test_settings(tmp_path, metrics_bind=f"127.0.0.1:{port}")).start()
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            listener = await client.get(f"http://127.0.0.1:{port}/metrics")
            assert listener.status_code == 200
            assert "stellar_connections_open" in listener.text
            assert (await client.get(f"http://127.0.0.1:{port}/other")).status_code == 404
            main_port = await client.get(f"{server.base_url}/metrics",
                                         headers={"Authorization": "Bearer x"})
            assert main_port.status_code == 404
    finally:
        server.stop()


