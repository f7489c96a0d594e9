"""Batched presence on a live server: a socket that asks for ``?presence=diff`` gets
arrivals and departures gathered into ``presence_diff``; a guide socket keeps its
``user_joined``/``user_left`` until the canvas passes the detail limit, then everyone gets
``presence_count``; a large canvas's ``canvas_state`` lists only the first users."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.clients import Account, Socket, join, open_socket, register
from tests.support.live_server import LiveServer, test_settings

LIMIT = 3


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir: Path = tmp_path_factory.mktemp("presence-batch")
    settings = test_settings(data_dir, presence_detail_limit=LIMIT, presence_diff_window=0.05,
                             presence_count_interval=0.05)
    server = LiveServer(settings).start()
    yield server
    server.stop()


def apply(view: set[int], diff: dict[str, Any]) -> set[int]:
    if diff.get("reset"):
        view = set()
    return (view | {u["user_id"] for u in diff["joins"]}) - {u["user_id"] for u in diff["leaves"]}


async def diff_until(socket: Socket, view: set[int], wanted: set[int]) -> set[int]:
    while view != wanted:
        view = apply(view, await socket.expect("presence_diff"))
    return view


async def test_a_diff_socket_gets_joins_and_leaves_batched_and_a_guide_socket_each_one(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account
) -> None:
    canvas = await alice.create_canvas()
    watcher = await join(live_server.ws_base, canvas["id"], alice, "presence=diff")
    guide_user = await register(api)
    guide = await join(live_server.ws_base, canvas["id"], guide_user)
    view = await diff_until(watcher, {alice.id}, {alice.id, guide_user.id})

    carol = await register(api)
    carol_socket = await join(live_server.ws_base, canvas["id"], carol)
    joined = await guide.expect("user_joined", user_id=carol.id)
    assert joined["active_users"] == 3
    view = await diff_until(watcher, view, {alice.id, guide_user.id, carol.id})

    await carol_socket.close()
    left = await guide.expect("user_left", user_id=carol.id)
    assert left["active_users"] == 2
    await diff_until(watcher, view, {alice.id, guide_user.id})
    await watcher.expect_nothing("user_joined", within=0.2)
    for socket in (watcher, guide):
        await socket.close()


async def test_a_large_canvas_sends_counts_and_a_truncated_snapshot(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account
) -> None:
    canvas = await alice.create_canvas()
    guide = await join(live_server.ws_base, canvas["id"], alice)
    others = [await register(api) for _ in range(LIMIT + 1)]
    sockets = [await join(live_server.ws_base, canvas["id"], other, "presence=diff")
               for other in others]
    count = await guide.expect("presence_count", active_users=LIMIT + 2)
    assert count["canvas_id"] == canvas["id"]

    late = await register(api)
    late_socket = await join(live_server.ws_base, canvas["id"], late)
    second = await join(live_server.ws_base, canvas["id"], late)
    await guide.expect("presence_count", active_users=LIMIT + 3)
    await guide.expect_nothing("user_joined", within=0.2)
    users = await late.get(f"/api/v1/canvases/{canvas['id']}/users?offset=1&limit=2")
    assert users.status_code == 200
    assert [u["user_id"] for u in users.json()] == [others[0].id, others[1].id]

    # back under the limit: diff sockets get the whole list once, with reset
    for socket in (late_socket, second, *sockets[:2]):
        await socket.close()
    reset = await sockets[2].expect("presence_diff", reset=True)
    assert {u["user_id"] for u in reset["joins"]} == {alice.id, others[2].id, others[3].id}
    for socket in (guide, *sockets[2:]):
        await socket.close()


async def test_canvas_state_of_a_large_canvas_lists_the_first_users(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account
) -> None:
    canvas = await alice.create_canvas()
    accounts = [alice, *[await register(api) for _ in range(LIMIT)]]
    sockets = [await join(live_server.ws_base, canvas["id"], a) for a in accounts]
    late = await register(api)
    newcomer = await open_socket(live_server.ws_base, canvas["id"], late.token)
    state = await newcomer.expect("canvas_state")
    assert state["active_users"] == LIMIT + 2
    assert state["users_truncated"] is True
    assert [u["user_id"] for u in state["users"]] == [a.id for a in accounts[:LIMIT]]
    for each in (*sockets, newcomer):
        await each.close()
