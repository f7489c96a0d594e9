"""Moderation on two server processes sharing PostgreSQL and Redis: a kick, a ban or a
deactivation decided on one process closes the user's sockets on both within a second,
and only those; a banned or deactivated user cannot come back through either process."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.support.clients import Account, Socket, join, open_socket, register
from tests.support.cluster import Pair, grant_admin, two_processes
from tests.support.postgres import PostgresServer
from tests.support.redis import RedisServer
from tests.support.server_process import ServerProcess
from tests.support.timeouts import scaled

pytestmark = pytest.mark.postgres

CLOSE_WITHIN = scaled(1.0)


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: PostgresServer,
    redis_server: RedisServer,
) -> Iterator[Pair]:
    with two_processes(tmp_path_factory, "mod", postgres_server, redis_server) as pair:
        yield pair


@pytest.fixture
async def api(cluster: Pair) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=cluster[0].base_url, timeout=30) as client:
        yield client


async def closed_within(socket: Socket, seconds: float) -> int | None:
    started = time.monotonic()
    code = await socket.closed(timeout=seconds * 5)
    assert time.monotonic() - started <= seconds, time.monotonic() - started
    return code


async def still_open(socket: Socket) -> None:
    await socket.send({"type": "ping", "id": "alive"})
    await socket.expect("pong", id="alive")


async def rejected(process: ServerProcess, canvas_id: int, account: Account) -> int | None:
    return await (await open_socket(process.ws_base, canvas_id, account.token)).closed()


async def moderate(actor: Account, canvas_id: int, action: str, target: Account) -> None:
    response = await actor.post(f"/api/v1/canvases/{canvas_id}/moderation",
                                {"action": action, "user_id": target.id, "reason": "test"})
    assert response.status_code == 200, response.text


async def scene(cluster: tuple[ServerProcess, ServerProcess], api: httpx.AsyncClient
                ) -> tuple[Account, Account, dict[str, Any], list[Socket], list[Socket]]:
    """The owner, Bob and a bystander; Bob on the canvas through both processes and on a
    second canvas; the owner and the bystander on the canvas through each process."""
    a, b = cluster
    owner, bob, carol = await register(api), await register(api), await register(api)
    canvas, elsewhere = await owner.create_canvas(), await owner.create_canvas()
    bobs = [await join(a.ws_base, canvas["id"], bob), await join(b.ws_base, canvas["id"], bob)]
    others = [await join(a.ws_base, canvas["id"], owner),
              await join(b.ws_base, canvas["id"], carol),
              await join(b.ws_base, elsewhere["id"], bob)]
    return owner, bob, canvas, bobs, others


async def test_kick_on_one_process_closes_the_users_sockets_on_both(
    cluster: tuple[ServerProcess, ServerProcess], api: httpx.AsyncClient
) -> None:
    owner, bob, canvas, bobs, others = await scene(cluster, api)
    await moderate(owner, canvas["id"], "kick", bob)
    for socket in bobs:
        assert await closed_within(socket, CLOSE_WITHIN) == 4010
    for socket in others:
        await still_open(socket)
    back = await join(cluster[1].ws_base, canvas["id"], bob)
    for socket in (back, *others):
        await socket.close()


async def test_ban_on_one_process_closes_both_and_refuses_rejoining_either(
    cluster: tuple[ServerProcess, ServerProcess]
) -> None:
    a, b = cluster
    async with httpx.AsyncClient(base_url=b.base_url, timeout=30) as api_b:
        owner, bob, canvas, bobs, others = await scene(cluster, api_b)
        await moderate(owner, canvas["id"], "ban", bob)
    for socket in bobs:
        assert await closed_within(socket, CLOSE_WITHIN) == 4003
    for socket in others:
        await still_open(socket)
    # Process A admitted Bob a moment ago: its cached admission is gone too.
    assert await rejected(a, canvas["id"], bob) == 4003
    assert await rejected(b, canvas["id"], bob) == 4003
    for socket in others:
        await socket.close()


async def test_deactivation_closes_every_socket_of_the_user_on_both(
    cluster: tuple[ServerProcess, ServerProcess], api: httpx.AsyncClient
) -> None:
    a, b = cluster
    _owner, bob, canvas, bobs, others = await scene(cluster, api)
    admin = await register(api)
    grant_admin(a, admin.username)
    elsewhere = others.pop()  # Bob's socket on the second canvas closes too
    response = await admin.patch(f"/api/v1/admin/users/{bob.id}", {"is_active": False})
    assert response.status_code == 200, response.text
    for socket in (*bobs, elsewhere):
        assert await closed_within(socket, CLOSE_WITHIN) == 4001
    for socket in others:
        await still_open(socket)
    assert await rejected(a, canvas["id"], bob) == 4001
    assert await rejected(b, canvas["id"], bob) == 4001
    for socket in others:
        await socket.close()


async def test_a_report_reaches_an_admin_connected_to_the_other_process(
    cluster: tuple[ServerProcess, ServerProcess], api: httpx.AsyncClient
) -> None:
    a, b = cluster
    owner, bob, admin = await register(api), await register(api), await register(api)
    grant_admin(a, admin.username)
    canvas = await owner.create_canvas()
    tile = await owner.create_tile(canvas["id"], 1, 1)
    admins_socket = await join(b.ws_base, canvas["id"], admin)
    bobs = await join(b.ws_base, canvas["id"], bob)
    filed = await bob.post("/api/v1/reports", {"target_type": "tile", "target_id": tile["id"],
                                               "reason": "offensive"})  # through process A
    assert filed.status_code == 201, filed.text
    told = await admins_socket.expect("report_created", report_id=filed.json()["id"])
    assert told["reporter"]["user_id"] == bob.id and told["canvas_id"] == canvas["id"]
    # Resolved through process A, the reporter on process B is told.
    resolved = await admin.post(f"/api/v1/admin/reports/{filed.json()['id']}/resolve",
                                {"resolution": "dismissed"})
    assert resolved.status_code == 200, resolved.text
    notice = await bobs.expect("notification", kind="report_resolved")
    assert notice["actor"]["user_id"] == admin.id and notice["canvas_id"] == canvas["id"]
    broadcast = await admin.post("/api/v1/admin/broadcast", {"text": "Hello everyone"})
    assert broadcast.status_code == 200, broadcast.text
    for socket in (admins_socket, bobs):
        assert (await socket.expect("admin_message"))["text"] == "Hello everyone"
        await socket.close()
