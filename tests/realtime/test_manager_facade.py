"""The guide's ConnectionManager API, method by method, on a real manager and in-memory
brokers; only the sockets' writers are recorders."""

from __future__ import annotations

import time
from typing import Any, cast

import orjson
import pytest

from stellarcollab.realtime.broker import create_brokers
from stellarcollab.realtime.connection import Connection
from stellarcollab.realtime.manager import ConnectionManager
from stellarcollab.realtime.protocol import CanvasBounds
from tests.realtime.test_connection import RecordingWriter

CANVAS = 7


def socket(user_id: int) -> tuple[Connection, RecordingWriter]:
    writer = RecordingWriter()
    connection = Connection(
        cast(Any, None), writer,
        {"user_id": user_id, "username": f"u{user_id}", "display_name": f"User {user_id}"},
        CanvasBounds(CANVAS, 8, 8), f"jti{user_id}", time.time() + 60,
    )
    return connection, writer


def received(writer: RecordingWriter) -> list[dict[str, Any]]:
    return [orjson.loads(payload) for payload in writer.payloads]


def types(writer: RecordingWriter) -> list[str]:
    return [message["type"] for message in received(writer)]


@pytest.fixture
async def two_users() -> tuple[ConnectionManager, RecordingWriter, RecordingWriter]:
    brokers = create_brokers("memory://")
    manager = ConnectionManager(brokers.events, brokers.presence)
    first, first_writer = socket(1)
    second, second_writer = socket(2)
    await manager.connect(first)
    await manager.connect(second)
    return manager, first_writer, second_writer


async def test_connect_sends_the_snapshot_and_announces_the_user(
    two_users: tuple[ConnectionManager, RecordingWriter, RecordingWriter],
) -> None:
    manager, first, second = two_users
    assert types(first) == ["canvas_state", "user_joined"]
    assert types(second) == ["canvas_state"]  # a user is not told of their own arrival
    state = received(second)[0]
    assert [user["user_id"] for user in state["users"]] == [1, 2]
    assert manager.canvas_users == {CANVAS: {1, 2}}
    assert manager.user_info[2] == {"username": "u2", "display_name": "User 2"}
    assert len(manager.canvas_connections[CANVAS]) == 2


async def test_disconnect_forgets_the_socket_and_announces_the_departure(
    two_users: tuple[ConnectionManager, RecordingWriter, RecordingWriter],
) -> None:
    manager, first, _second = two_users
    [leaving] = manager.registry.of_user(2)
    await manager.disconnect(leaving)
    left = received(first)[-1]
    assert (left["type"], left["user_id"], left["active_users"]) == ("user_left", 2, 1)
    assert manager.canvas_users == {CANVAS: {1}} and 2 not in manager.user_info
    await manager.disconnect(leaving)  # twice is harmless
    assert manager.total_connections == 1


async def test_broadcast_to_canvas_numbers_and_excludes(
    two_users: tuple[ConnectionManager, RecordingWriter, RecordingWriter],
) -> None:
    manager, first, second = two_users
    seq = await manager.broadcast_to_canvas(CANVAS, {"type": "note"}, exclude_user=1)
    assert received(second)[-1] == {"type": "note", "seq": seq, "canvas_id": CANVAS}
    assert "note" not in types(first)


async def test_send_to_user_reaches_only_that_user(
    two_users: tuple[ConnectionManager, RecordingWriter, RecordingWriter],
) -> None:
    manager, first, second = two_users
    assert await manager.send_to_user(CANVAS, 2, {"type": "whisper"}) == 1
    assert types(second)[-1] == "whisper" and "whisper" not in types(first)
    assert await manager.send_to_user(CANVAS, 99, {"type": "whisper"}) == 0


@pytest.mark.parametrize("method, event_type", [
    ("broadcast_tile_created", "tile_created"),
    ("broadcast_tile_updated", "tile_updated"),
    ("broadcast_tile_liked", "tile_liked"),
])
async def test_tile_broadcasts_skip_the_user_who_acted(
    two_users: tuple[ConnectionManager, RecordingWriter, RecordingWriter],
    method: str, event_type: str,
) -> None:
    manager, first, second = two_users
    await getattr(manager, method)(CANVAS, {"tile_id": 5, "x": 1, "y": 2}, 1)
    event = received(second)[-1]
    assert (event["type"], event["tile_id"], event["x"], event["y"]) == (event_type, 5, 1, 2)
    assert event_type not in types(first)


async def test_user_activity_is_a_full_presence_update(
    two_users: tuple[ConnectionManager, RecordingWriter, RecordingWriter],
) -> None:
    manager, first, _second = two_users
    await manager.broadcast_user_activity(CANVAS, {"user_id": 2, "username": "u2",
                                                   "status": "away"})
    update = received(first)[-1]
    assert update["type"] == "user_presence_update" and update["status"] == "away"
    assert (update["tile_x"], update["tile_y"], update["is_editing"]) == (None, None, False)
    assert update["timestamp"].endswith("Z")


async def test_active_users_lists_who_is_here(
    two_users: tuple[ConnectionManager, RecordingWriter, RecordingWriter],
) -> None:
    manager, _first, _second = two_users
    users = await manager.get_canvas_active_users(CANVAS)
    assert [(u["user_id"], u["username"], u["display_name"], u["is_active"]) for u in users] == [
        (1, "u1", "User 1", True), (2, "u2", "User 2", True)]
