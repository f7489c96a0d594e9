"""The social layer across two server processes on one PostgreSQL and one Redis: a direct
message and a notification reach a user whose only socket is on the other process, a
stored status reaches canvases served by the other process, an announcement reaches every
canvas on both processes and sockets that connect during its window."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.clients import Account, Socket, join, open_user_socket, register
from tests.support.cluster import Pair, clients_of, grant_admin, two_processes
from tests.support.postgres import PostgresServer
from tests.support.redis import RedisServer
from tests.support.server_process import ServerProcess
from tests.support.timeouts import scaled

pytestmark = pytest.mark.postgres
QUIET = 0.5


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: PostgresServer,
    redis_server: RedisServer,
) -> Iterator[Pair]:
    # a second's check, so scheduled announcements go out soon
    with two_processes(tmp_path_factory, "social", postgres_server, redis_server,
                       announcement_check_interval=0.5) as pair:
        yield pair


@pytest.fixture
async def apis(cluster: Pair) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with clients_of(cluster) as clients:
        yield clients


async def _drain(socket: Socket, within: float = QUIET) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    try:
        while True:
            received.append(await socket.next(within))
    except TimeoutError:
        return received


async def test_dm_and_notification_reach_a_user_only_on_the_other_process(
    cluster: tuple[ServerProcess, ServerProcess],
    apis: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = cluster
    alice, bob = await register(apis[0]), await register(apis[1])
    canvas = await alice.create_canvas()
    bob_on_b = await join(b.ws_base, canvas["id"], bob)  # bob's only socket: on B
    alice_on_a = await join(a.ws_base, canvas["id"], alice)

    sent = await alice.post(f"/api/v1/dm/{bob.id}/messages", {"text": "across"})  # REST on A
    assert sent.status_code == 201
    assert await bob_on_b.expect("direct_message") == {"type": "direct_message", **sent.json()}
    assert (await alice_on_a.expect("direct_message"))["message_id"] == sent.json()["message_id"]
    # Bob had a socket open (on the other process): no DM notification for him.
    await alice_on_a.send({"type": "direct_message", "to_user_id": bob.id, "text": "again"})
    assert (await bob_on_b.expect("direct_message"))["message_text"] == "again"
    notes = (await Account(apis[1], {"access_token": bob.token, "user": bob.user})
             .get("/api/v1/notifications")).json()
    assert [n for n in notes["items"] if n["kind"] == "direct_message"] == []

    tile = await bob.create_tile(canvas["id"], 0, 0)
    await alice.post(f"/api/v1/tiles/{tile['id']}/like")  # REST on A
    note = await bob_on_b.expect("notification")
    assert (note["kind"], note["actor"]["user_id"], note["tile_id"]) == (
        "tile_liked", alice.id, tile["id"])

    # Off any canvas: carol's only socket is her user socket, on B.
    carol = await register(apis[1])
    carol_on_b = await open_user_socket(b.user_ws_url, carol)
    await alice_on_a.send({"type": "direct_message", "to_user_id": carol.id, "text": "psst"})
    assert (await carol_on_b.expect("direct_message"))["message_text"] == "psst"
    await bob_on_b.expect_nothing("direct_message", QUIET)  # and nobody else gets it
    for socket in (bob_on_b, alice_on_a, carol_on_b):
        await socket.close()


async def test_status_reaches_canvases_on_the_other_process(
    cluster: tuple[ServerProcess, ServerProcess],
    apis: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    _a, b = cluster
    alice, bob = await register(apis[0]), await register(apis[1])
    canvas = await alice.create_canvas()
    alice_on_b = await join(b.ws_base, canvas["id"], alice)
    bob_on_b = await join(b.ws_base, canvas["id"], bob)
    # The status is set over REST on A, where alice has no socket at all.
    response = await alice.put("/api/v1/users/me/status",
                               {"status": "away", "status_message": "lunch"})
    assert response.status_code == 200
    update = await bob_on_b.expect("user_presence_update", user_id=alice.id, timeout=10)
    assert (update["status"], update["status_message"]) == ("away", "lunch")
    await alice_on_b.close()
    await bob_on_b.close()


async def test_announcement_reaches_every_canvas_on_both_processes(
    cluster: tuple[ServerProcess, ServerProcess],
    apis: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = cluster
    admin, alice, bob = (await register(apis[0]), await register(apis[0]),
                         await register(apis[1]))
    await asyncio.to_thread(grant_admin, a, admin.username)
    one, two = await alice.create_canvas(), await bob.create_canvas()
    sockets = [await join(a.ws_base, one["id"], alice), await join(b.ws_base, two["id"], bob),
               await join(b.ws_base, one["id"], bob)]
    ends = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    created = await admin.post("/api/v1/admin/announcements",
                               {"text": "to everyone, everywhere", "ends_at": ends})
    assert created.status_code == 201, created.text
    announcement_id = created.json()["announcement_id"]
    for socket in sockets:
        live = await socket.expect("announcement")
        assert live["announcement_id"] == announcement_id
    for socket in sockets:  # once each, however many processes there are
        assert [m for m in await _drain(socket) if m["type"] == "announcement"] == []

    # Scheduled to start in a moment: broadcast by one process when its window opens.
    starts = (datetime.now(UTC) + timedelta(seconds=scaled(1.5))).isoformat()
    later = (await admin.post("/api/v1/admin/announcements", {
        "text": "starting soon", "starts_at": starts, "ends_at": ends})).json()
    for socket in sockets:
        live = await socket.expect("announcement", timeout=10)
        assert live["announcement_id"] == later["announcement_id"]

    newcomer = await join(b.ws_base, two["id"], alice)  # connects during both windows
    got = [m["announcement_id"] for m in await _drain(newcomer) if m["type"] == "announcement"]
    assert {announcement_id, later["announcement_id"]} <= set(got)
    for socket in [*sockets, newcomer]:
        await socket.close()


async def test_invisible_across_processes(
    cluster: tuple[ServerProcess, ServerProcess],
    apis: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = cluster
    alice, bob = await register(apis[0]), await register(apis[1])
    canvas = await bob.create_canvas()
    bob_on_a = await join(a.ws_base, canvas["id"], bob)
    alice_on_b = await join(b.ws_base, canvas["id"], alice)
    await bob_on_a.expect("user_joined", user_id=alice.id)
    await alice.put("/api/v1/users/me/status", {"status": "invisible"})  # REST on A
    assert (await bob_on_a.expect("user_left", user_id=alice.id))["active_users"] == 1
    late = await _drain(bob_on_a)
    assert not [m for m in late if m["type"] == "user_left"], late  # announced once

    carol = await register(apis[0])
    carol_on_a = await join(a.ws_base, canvas["id"], carol)
    assert {u["user_id"] for u in carol_on_a.received[0]["users"]} == {bob.id, carol.id}
    await alice_on_b.expect("user_joined", user_id=carol.id)  # she still hears everything
    await alice_on_b.close()
    assert not [m for m in await _drain(bob_on_a) if m["type"] == "user_left"]
    for socket in (bob_on_a, carol_on_a):
        await socket.close()
