"""Two server processes on one PostgreSQL database and one Redis behave as one server:
shared presence, one numbering of each canvas's events, recovery on either process, and
per-user limits that count sockets on both."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stellarcollab.config import Settings
from stellarcollab.realtime.broker import create_brokers
from stellarcollab.realtime.topics import GLOBAL, user_topic
from tests.support.clients import Account, Socket, join, open_socket, open_user_socket, register
from tests.support.cluster import Pair, clients_of, two_processes
from tests.support.postgres import PostgresServer
from tests.support.redis import RedisServer
from tests.support.server_process import ServerProcess
from tests.support.timeouts import scaled

pytestmark = pytest.mark.postgres


PRESENCE_TTL = scaled(2.0)  # how long a crashed process's users stay present


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: PostgresServer,
    redis_server: RedisServer,
) -> Iterator[Pair]:
    with two_processes(tmp_path_factory, "process", postgres_server, redis_server,
                       presence_ttl_seconds=PRESENCE_TTL) as pair:
        yield pair


def third_process(data_dir: Path, like: ServerProcess) -> ServerProcess:
    """One more process of the cluster, on the same database and Redis as ``like``."""
    return ServerProcess(data_dir, **{key: like.settings[key] for key in (
        "database_url", "broker_url", "presence_ttl_seconds")}).start()


async def _alice_on_a_other_on_extra(
    a: ServerProcess, extra: ServerProcess, api: httpx.AsyncClient
) -> tuple[Account, Account, dict[str, Any], Socket, Socket]:
    """Alice on process A and another user on the extra process, on one canvas; A has
    seen the other user join."""
    alice, other = await register(api), await register(api)
    canvas = await alice.create_canvas()
    on_a = await join(a.ws_base, canvas["id"], alice)
    on_extra = await join(extra.ws_base, canvas["id"], other)
    await on_a.expect("user_joined", user_id=other.id)
    return alice, other, canvas, on_a, on_extra


@pytest.fixture
async def apis(cluster: Pair) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with clients_of(cluster) as clients:
        yield clients


async def received(socket: Socket, timeout: float = 10, **counts: int) -> None:
    """Read until the socket has got at least this many messages of each type."""
    async def read() -> None:
        while any(sum(m["type"] == kind for m in socket.received) < count
                  for kind, count in counts.items()):
            await socket.next(timeout)

    await asyncio.wait_for(read(), scaled(timeout))


def _numbered(socket: Socket, *types: str) -> list[tuple[int, str]]:
    return [(m["seq"], m["type"]) for m in socket.received
            if m["type"] in types and "seq" in m]


async def _alice_on_a_bob_on_b(
    cluster: tuple[ServerProcess, ServerProcess],
    apis: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> tuple[Account, Account, dict[str, Any], Socket, Socket]:
    """Alice (registered on A) and Bob (on B) join one canvas, each on their process."""
    a, b = cluster
    alice, bob = await register(apis[0]), await register(apis[1])
    canvas = await alice.create_canvas()
    on_a = await join(a.ws_base, canvas["id"], alice)
    on_b = await join(b.ws_base, canvas["id"], bob)
    return alice, bob, canvas, on_a, on_b


async def test_clients_on_two_processes_share_presence_and_numbering(
    cluster: tuple[ServerProcess, ServerProcess],
    apis: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    api_b = apis[1]
    alice, bob, canvas, on_a, on_b = await _alice_on_a_bob_on_b(cluster, apis)
    state_a, state_b = on_a.received[0], on_b.received[0]
    assert state_b["epoch"] == state_a["epoch"]
    assert [u["user_id"] for u in state_b["users"]] == [alice.id, bob.id]
    joined = await on_a.expect("user_joined", user_id=bob.id)
    assert joined["seq"] == state_b["seq"] + 1
    assert joined["active_users"] == 2  # counted across both processes
    users = await api_b.get(f"/api/v1/canvases/{canvas['id']}/users", headers=alice.headers)
    assert {u["user_id"] for u in users.json()} == {alice.id, bob.id}

    for n in range(3):  # chat from both sides, interleaved
        await on_a.send({"type": "canvas_chat", "text": f"from a {n}"})
        await on_b.send({"type": "canvas_chat", "text": f"from b {n}"})
    await bob.create_tile(canvas["id"], 2, 3)  # REST on process B
    await received(on_a, canvas_chat_message=6, tile_created=1)
    await received(on_b, canvas_chat_message=6)
    [created] = [m for m in on_a.received if m["type"] == "tile_created"]
    assert (created["creator_id"], created["x"], created["y"]) == (bob.id, 2, 3)

    chats_a = _numbered(on_a, "canvas_chat_message")
    assert chats_a == _numbered(on_b, "canvas_chat_message")  # one order for everyone
    texts_a = [m["message_text"] for m in on_a.received if m["type"] == "canvas_chat_message"]
    texts_b = [m["message_text"] for m in on_b.received if m["type"] == "canvas_chat_message"]
    assert texts_a == texts_b and sorted(texts_a) == sorted(
        [f"from a {n}" for n in range(3)] + [f"from b {n}" for n in range(3)])
    # The activity feed's entries (first visits, the tile) are numbered among them.
    seqs_a = [seq for seq, _ in _numbered(on_a, "user_joined", "canvas_chat_message",
                                          "tile_created", "activity") if seq >= joined["seq"]]
    assert seqs_a == list(range(joined["seq"], joined["seq"] + len(seqs_a)))  # no gaps
    assert len(seqs_a) >= 8
    await on_a.close()
    await on_b.close()


async def test_reconnecting_to_either_process_recovers_what_was_missed(
    cluster: tuple[ServerProcess, ServerProcess],
    apis: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    b = cluster[1]
    alice, bob, canvas, on_a, on_b = await _alice_on_a_bob_on_b(cluster, apis)
    await on_a.expect("user_joined", user_id=bob.id)
    await on_b.send({"type": "ping"})
    await on_b.expect("pong")
    last_seen, epoch = on_b.received[0]["seq"], on_b.received[0]["epoch"]
    await on_b.close()
    await on_a.expect("user_left", user_id=bob.id)
    for text in ("one", "two"):  # published on A while bob is away
        await on_a.send({"type": "canvas_chat", "text": text})
        await on_a.expect("canvas_chat_message", message_text=text)
    await alice.create_tile(canvas["id"], 1, 1)

    back = await join(b.ws_base, canvas["id"], bob, query=f"since={last_seen}&epoch={epoch}")
    await back.expect("tile_created")
    missed = [m for m in back.received[1:] if "seq" in m]
    # The activity feed's entries (first visits, the tile) come in between.
    shown = [m for m in missed if m["type"] != "activity"]
    assert [m["type"] for m in shown] == [
        "user_left", "canvas_chat_message", "canvas_chat_message", "tile_created"]
    seqs = [m["seq"] for m in missed]
    assert seqs[0] in (last_seen + 1, last_seen + 2)  # bob's own arrival is not replayed
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert [m.get("message_text") for m in shown[1:3]] == ["one", "two"]

    # and the other way: alice's socket on A drops, she comes back on B
    alice_seen = on_a.received[-1]["seq"]  # chat "two": nothing read on A after it
    await on_a.close()
    await back.expect("user_left", user_id=alice.id)
    await back.send({"type": "canvas_chat", "text": "while alice moves"})
    chat = await back.expect("canvas_chat_message", message_text="while alice moves")
    moved = await join(b.ws_base, canvas["id"], alice,
                       query=f"since={alice_seen}&epoch={epoch}")
    await moved.expect("canvas_chat_message", message_text="while alice moves")
    replayed = [(m["seq"], m["type"]) for m in moved.received[1:]]
    # her tile_created skipped; its activity entry is not hers to skip
    assert replayed == [(alice_seen + 2, "activity"), (alice_seen + 3, "user_joined"),
                        (alice_seen + 4, "user_left"), (chat["seq"], "canvas_chat_message")]
    await back.close()
    await moved.close()


async def test_a_process_that_stops_leaves_the_others_serving(
    tmp_path: Path,
    cluster: tuple[ServerProcess, ServerProcess],
    apis: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    """A third process joins the cluster, serves a client, and stops: its client's
    presence goes with it and the two others carry on numbering the canvas."""
    a, b = cluster
    extra = third_process(tmp_path, a)
    try:
        alice, carol, canvas, on_a, on_extra = await _alice_on_a_other_on_extra(
            a, extra, apis[0])
    finally:
        extra.stop()
    await on_extra.closed()
    on_b = await join(b.ws_base, canvas["id"], carol)  # carol reconnects elsewhere
    assert [u["user_id"] for u in on_b.received[0]["users"]] == [alice.id, carol.id]
    await on_b.send({"type": "canvas_chat", "text": "still here"})
    chat = await on_a.expect("canvas_chat_message", message_text="still here")
    assert chat["seq"] == (await on_b.expect("canvas_chat_message"))["seq"]
    await on_a.close()
    await on_b.close()


async def test_a_ticket_issued_by_one_process_opens_a_socket_on_another_once(
    cluster: tuple[ServerProcess, ServerProcess],
    apis: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = cluster
    api_a, _ = apis
    alice = await register(api_a)
    canvas = await alice.create_canvas()
    response = await api_a.post("/api/v1/ws/ticket", headers=alice.headers)
    assert response.status_code == 200
    ticket = response.json()["ticket"]
    on_b = await open_socket(b.ws_base, canvas["id"], query=f"ticket={ticket}")
    assert (await on_b.expect("canvas_state"))["you"]["user_id"] == alice.id
    again = await open_socket(a.ws_base, canvas["id"], query=f"ticket={ticket}")
    assert await again.closed() == 4001  # spent, on every process
    await on_b.close()


async def test_a_crashed_processs_users_are_announced_gone(
    tmp_path: Path,
    cluster: tuple[ServerProcess, ServerProcess],
    apis: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    """A process killed without a word: its users' presence expires and one of the live
    processes announces user_left for them, once."""
    a = cluster[0]
    api_b = apis[1]
    extra = third_process(tmp_path, a)
    try:
        alice, dave, canvas, on_a, on_extra = await _alice_on_a_other_on_extra(
            a, extra, apis[0])
    finally:
        extra.kill()  # SIGKILL: no close frames, no withdrawal
    await on_extra.closed()
    left = await on_a.expect("user_left", user_id=dave.id, timeout=10 * PRESENCE_TTL)
    assert left["active_users"] == 1
    users = await api_b.get(f"/api/v1/canvases/{canvas['id']}/users", headers=alice.headers)
    assert [u["user_id"] for u in users.json()] == [alice.id]
    await on_a.expect_nothing("user_left", within=PRESENCE_TTL)  # announced once
    await on_a.close()


async def test_user_and_global_topics_reach_sockets_on_both_processes(
    cluster: tuple[ServerProcess, ServerProcess],
    apis: tuple[httpx.AsyncClient, httpx.AsyncClient],
    redis_server: RedisServer,
) -> None:
    """A user's canvas socket on A and user socket on B both get a ``user:`` event; a
    ``global`` event reaches every socket of both; another user's events stay theirs."""
    a, b = cluster
    alice, bob = await register(apis[0]), await register(apis[1])
    canvas = await alice.create_canvas()
    alice_canvas_a = await join(a.ws_base, canvas["id"], alice)
    alice_own_b = await open_user_socket(b.user_ws_url, alice)
    bob_own_a = await open_user_socket(a.user_ws_url, bob)
    bob_canvas_b = await join(b.ws_base, canvas["id"], bob)
    publisher = create_brokers(redis_server.url)  # a third process, publishing only
    await publisher.start()
    try:
        await publisher.events.publish(user_topic(alice.id), {"type": "notification", "n": 1})
        await publisher.events.publish(GLOBAL, {"type": "announcement", "text": "all"})
    finally:
        await publisher.stop()
    for socket in (alice_canvas_a, alice_own_b):
        await socket.expect("notification", n=1)
    everyone = (alice_canvas_a, alice_own_b, bob_own_a, bob_canvas_b)
    for socket in everyone:
        await socket.expect("announcement", text="all")
    for socket in (bob_own_a, bob_canvas_b):
        await socket.send({"type": "ping", "id": "fence"})
        await socket.expect("pong", id="fence")
        assert not [m for m in socket.received if m["type"] == "notification"]
    for socket in everyone:
        await socket.close()


async def _join_once_admitted(ws_base: str, canvas_id: int, account: Account,
                              timeout: float = 10) -> Socket:
    """Join, retrying while a just-closed socket still counts against the user's cap
    (its process releases it after the close handshake)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + scaled(timeout)
    while True:
        socket = await open_socket(ws_base, canvas_id, account.token)
        try:
            await socket.expect("canvas_state")
            return socket
        except Exception:
            if socket.ws.close_code != 4008 or loop.time() > deadline:
                raise


async def test_the_per_user_connection_cap_counts_sockets_on_every_process(
    cluster: tuple[ServerProcess, ServerProcess],
    apis: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = cluster
    cap = Settings.model_fields["websocket_max_connections_per_user"].default
    alice = await register(apis[0])
    canvas = await alice.create_canvas()
    sockets = [await join((a, b)[n % 2].ws_base, canvas["id"], alice) for n in range(cap)]
    for process in (a, b):  # half of the cap is open on each: both are full
        refused = await open_socket(process.ws_base, canvas["id"], alice.token)
        assert await refused.closed() == 4008
    await sockets.pop(1).close()  # one on b
    sockets.append(await _join_once_admitted(a.ws_base, canvas["id"], alice))
    refused = await open_socket(b.ws_base, canvas["id"], alice.token)
    assert await refused.closed() == 4008
    for socket in sockets:
        await socket.close()
