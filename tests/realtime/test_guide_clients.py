"""A client written against the guide, served unchanged: it takes an editing lease once
and never renews it, reads the full presence of every ``user_presence_update``, and is not
sent back the presence changes it made itself. The server's clock is a manual one, so the
lease TTL passes without sleeping."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stellarcollab.clock import ManualClock
from tests.support.clients import Account, Socket, join
from tests.support.live_server import LiveServer, test_settings

LEASE_TTL = 30.0


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock(time.time())


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory,
                clock: ManualClock) -> Iterator[LiveServer]:
    data_dir: Path = tmp_path_factory.mktemp("guide")
    # Lease upkeep runs when the test says so, not on a timer, so the order of "time
    # passes" and "the sweep runs" is the test's.
    settings = test_settings(data_dir, lock_ttl_seconds=LEASE_TTL, lock_sweep_interval=3600)
    server = LiveServer(settings, clock).start()
    yield server
    server.stop()


def edit(x: int, y: int, editing: bool = True) -> dict[str, Any]:
    return {"type": "user_presence", "presence_type": "editing_tile",
            "tile_x": x, "tile_y": y, "is_editing": editing}


async def held_cells(live_server: LiveServer, canvas_id: int) -> set[tuple[int, int, int]]:
    leases = live_server.run(live_server.runtime.locks.leases(canvas_id))
    return {(lease.x, lease.y, lease.user_id) for lease in leases}


async def test_a_socket_lease_lives_as_long_as_the_socket(
    live_server: LiveServer, clock: ManualClock, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    watcher = await join(live_server.ws_base, canvas["id"], alice)
    guide = await join(live_server.ws_base, canvas["id"], bob)
    await guide.send(edit(2, 3))
    taken = await watcher.expect("user_presence_update", user_id=bob.id, is_editing=True)
    assert (taken["tile_x"], taken["tile_y"]) == (2, 3)

    for _ in range(2):  # twice the TTL, the guide client only answering pings
        clock.advance(LEASE_TTL)
        live_server.run(live_server.runtime.lease_upkeep())
    assert await held_cells(live_server, canvas["id"]) == {(2, 3, bob.id)}
    write = await alice.create_tile(canvas["id"], 0, 0)  # another cell: not held
    assert write["x"] == 0
    refused = await alice.post("/api/v1/tiles", {"canvas_id": canvas["id"], "x": 2, "y": 3,
                                                 "pixels": write["pixels"]})
    assert refused.status_code == 409

    await guide.close()
    released = await watcher.expect("user_presence_update", user_id=bob.id, is_editing=False)
    assert (released["tile_x"], released["tile_y"]) == (2, 3)
    assert await held_cells(live_server, canvas["id"]) == set()
    await watcher.close()


async def test_a_socket_lease_goes_with_its_socket_while_another_tab_stays(
    live_server: LiveServer, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    watcher = await join(live_server.ws_base, canvas["id"], alice)
    first_tab = await join(live_server.ws_base, canvas["id"], bob)
    second_tab = await join(live_server.ws_base, canvas["id"], bob)
    await first_tab.send(edit(1, 1))
    await watcher.expect("user_presence_update", user_id=bob.id, is_editing=True)
    await first_tab.close()
    await watcher.expect("user_presence_update", user_id=bob.id, is_editing=False, tile_x=1)
    assert await held_cells(live_server, canvas["id"]) == set()
    await watcher.expect_nothing("user_left")  # bob is still here on his other tab
    await second_tab.close()
    await watcher.expect("user_left", user_id=bob.id)
    await watcher.close()


async def test_presence_updates_carry_status_and_editing_cell(
    live_server: LiveServer, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    watcher = await join(live_server.ws_base, canvas["id"], alice)
    guide = await join(live_server.ws_base, canvas["id"], bob)
    await guide.send(edit(4, 5))
    taken = await watcher.expect("user_presence_update", user_id=bob.id, is_editing=True)
    assert taken["status"] == "online" and taken["status_message"] is None

    await guide.send({"type": "user_presence", "presence_type": "status_change",
                      "status": "away", "status_message": "tea"})
    status = await watcher.expect("user_presence_update", user_id=bob.id, status="away")
    # a status change keeps the editing outline on other screens (the guide's example)
    assert (status["tile_x"], status["tile_y"], status["is_editing"]) == (4, 5, True)
    assert status["status_message"] == "tea"

    await guide.send(edit(4, 5, editing=False))
    released = await watcher.expect("user_presence_update", user_id=bob.id, is_editing=False)
    assert released["status"] == "away"  # a lease event states the current status
    await guide.close()
    await watcher.close()


async def own_updates(socket: Socket) -> list[dict[str, Any]]:
    """What a socket got back of presence, after a ping's pong fenced the stream."""
    await socket.send({"type": "ping", "id": "fence"})
    await socket.expect("pong", id="fence")
    return [m for m in socket.received
            if m["type"] in ("user_presence_update", "user_typing")]


async def test_a_socket_is_not_sent_its_own_presence_changes(
    live_server: LiveServer, alice: Account
) -> None:
    canvas = await alice.create_canvas()
    tab = await join(live_server.ws_base, canvas["id"], alice)
    other_tab = await join(live_server.ws_base, canvas["id"], alice)
    await tab.send({"type": "user_presence", "presence_type": "typing", "is_typing": True})
    await tab.send(edit(0, 1))
    await tab.send({"type": "user_presence", "presence_type": "status_change",
                    "status": "busy"})
    # the user's other tab follows every change...
    await other_tab.expect("user_typing", user_id=alice.id, is_typing=True)
    await other_tab.expect("user_presence_update", user_id=alice.id, is_editing=True)
    await other_tab.expect("user_presence_update", user_id=alice.id, status="busy")
    # ...and the tab that made them gets none of them back
    assert await own_updates(tab) == []
    await tab.close()
    await other_tab.close()
