"""Redis stopped for 3 s under two server processes on PostgreSQL: every chat
acknowledged to its sender is in the history once and reaches the other clients after
recovery, retries with the same client id store nothing twice, and the servers log the
outage without a traceback per message. The Redis here is this module's own; it is
stopped and restarted on the same port by its PID."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.clients import Account, Socket, join, register
from tests.support.postgres import PostgresServer
from tests.support.redis import RedisServer, running_redis
from tests.support.server_process import ServerProcess
from tests.support.timeouts import scaled

pytestmark = pytest.mark.postgres

OUTAGE_SECONDS = 3.0


@pytest.fixture(scope="module")
def own_redis() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer,
         own_redis: RedisServer) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    settings: dict[str, Any] = {"database_url": postgres_server.create_database(),
                                "broker_url": own_redis.url, "presence_ttl_seconds": 5,
                                # retries come fast here; the limits are not under test
                                "chat_per_second": 1000, "chat_burst": 1000}
    first = ServerProcess(tmp_path_factory.mktemp("outage-a"), **settings).start()
    second = ServerProcess(tmp_path_factory.mktemp("outage-b"), **settings).start()
    yield first, second
    second.stop()
    first.stop()


async def _send(socket: Socket, client_id: str) -> dict[str, Any]:
    """Send one chat; its answer: the ack (canvas_chat_message with this client id) or
    an error."""
    await socket.send({"type": "canvas_chat", "text": f"chat {client_id}",
                       "client_id": client_id})
    while True:
        message = await socket.next(timeout=15)
        if message["type"] == "error" or (message["type"] == "canvas_chat_message"
                                          and message.get("client_id") == client_id):
            return message


async def _history(account: Account, canvas_id: int) -> list[dict[str, Any]]:
    response = await account.get(f"/api/v1/canvases/{canvas_id}/chat/messages",
                                 params={"limit": 200})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_chat_through_a_redis_outage(pair: tuple[ServerProcess, ServerProcess],
                                           own_redis: RedisServer) -> None:
    a, b = pair
    async with httpx.AsyncClient(base_url=a.base_url, timeout=scaled(30)) as api_a, \
            httpx.AsyncClient(base_url=b.base_url, timeout=scaled(30)) as api_b:
        alice, bob = await register(api_a), await register(api_b)
        canvas = await alice.create_canvas()
        on_a = await join(a.ws_base, canvas["id"], alice)
        on_b = await join(b.ws_base, canvas["id"], bob)
        assert (await _send(on_a, "before"))["type"] == "canvas_chat_message"
        log_from = (len(a.output), len(b.output))

        own_redis.stop()
        answers: dict[str, dict[str, Any]] = {}
        started = time.monotonic()
        n = 0
        while time.monotonic() - started < OUTAGE_SECONDS:
            client_id = f"during-{n}"
            answers[client_id] = await _send(on_a, client_id)
            n += 1
            await asyncio.sleep(0.1)
        typing = {"type": "user_presence", "presence_type": "typing", "is_typing": True}
        await on_a.send(typing)
        assert (await on_a.expect("error"))["code"] == "broker_unavailable"
        own_redis.start()  # empty, on the same port

        acked = {cid: m["message_id"] for cid, m in answers.items()
                 if m["type"] == "canvas_chat_message"}
        assert len(acked) == n >= 5, answers  # stored in PostgreSQL: each acknowledged
        # Redis came back empty: the servers renumber and close their sockets with 1012.
        assert await on_a.closed(timeout=30) == 1012
        assert await on_b.closed(timeout=30) == 1012
        state = on_b.received[0]
        back_b = await join(b.ws_base, canvas["id"], bob,
                            query=f"since={state['seq']}&epoch={state['epoch']}")
        await back_b.expect("resync_required")
        back_a = await join(a.ws_base, canvas["id"], alice)

        # Alice retries everything (she cannot know which acks Bob saw): nothing doubles.
        for client_id in ["before", *answers]:
            retry = await _send(back_a, client_id)
            assert retry["type"] == "canvas_chat_message", retry
            assert retry["message_id"] == acked.get(client_id, retry["message_id"])
        history = await _history(bob, canvas["id"])  # what Bob reloads after resync
        stored = [m["client_id"] for m in history]
        assert sorted(stored) == sorted(["before", *answers]), "each stored exactly once"
        assert set(acked.values()) <= {m["id"] for m in history}
        for socket in (back_a, back_b):
            await socket.close()

    outage_logs = [a.output[log_from[0]:], b.output[log_from[1]:]]
    for lines in outage_logs:
        text = "".join(lines)
        assert "Traceback" not in text, text[-3000:]
        assert text.count("subscription connection lost") <= 1
