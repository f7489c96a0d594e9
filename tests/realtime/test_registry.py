"""The connection registry: synchronous bookkeeping of this process's sockets, and the
topics and canvas arrivals each add or remove reports."""

from __future__ import annotations

import time
from typing import Any, cast

from stellarcollab.realtime.connection import Connection
from stellarcollab.realtime.protocol import CanvasBounds
from stellarcollab.realtime.registry import ConnectionRegistry
from tests.realtime.test_connection import RecordingWriter


def socket(user_id: int, canvas_id: int | None, *, admin: bool = False,
           jti: str = "t") -> Connection:
    bounds = CanvasBounds(canvas_id, 8, 8) if canvas_id is not None else None
    return Connection(
        cast(Any, None), RecordingWriter(),
        {"user_id": user_id, "username": f"u{user_id}", "display_name": f"U{user_id}"},
        bounds, jti, time.time() + 60, is_admin=admin,
    )


def test_first_socket_gains_global_user_and_canvas_topics() -> None:
    registry = ConnectionRegistry()
    change = registry.add(socket(1, 7))
    assert change.topics == ("global", "user:1", "canvas:7")
    assert change.user_on_canvas


def test_second_socket_of_the_user_gains_nothing_and_is_no_arrival() -> None:
    registry = ConnectionRegistry()
    registry.add(socket(1, 7))
    change = registry.add(socket(1, 7))
    assert change.topics == ()
    assert not change.user_on_canvas
    assert registry.count_of_user(1) == 2
    assert len(registry.on_canvas(7)) == 2


def test_admins_topic_follows_admin_sockets() -> None:
    registry = ConnectionRegistry()
    plain = socket(1, 7)
    registry.add(plain)
    admin = socket(2, None, admin=True)
    assert registry.add(admin).topics == ("admins", "user:2")
    change = registry.remove(admin)
    assert change is not None
    assert change.topics == ("admins", "user:2")
    assert not change.user_on_canvas  # a user socket is on no canvas


def test_removing_the_last_socket_loses_every_topic_once() -> None:
    registry = ConnectionRegistry()
    first, second = socket(1, 7), socket(1, 7)
    registry.add(first)
    registry.add(second)
    change = registry.remove(first)
    assert change is not None and change.topics == () and not change.user_on_canvas
    change = registry.remove(second)
    assert change is not None
    assert change.topics == ("global", "user:1", "canvas:7")
    assert change.user_on_canvas
    assert registry.remove(second) is None  # twice is a no-op
    assert len(registry) == 0
    assert registry.canvas_users == {} and registry.by_jti == {} and registry.users == {}


def test_sockets_of_a_user_by_canvas_and_token() -> None:
    registry = ConnectionRegistry()
    on_seven, on_eight, own = socket(1, 7, jti="a"), socket(1, 8, jti="b"), socket(1, None)
    for connection in (on_seven, on_eight, own, socket(2, 7)):
        registry.add(connection)
    assert set(registry.of_user(1)) == {on_seven, on_eight, own}
    assert registry.of_user(1, 8) == [on_eight]
    assert registry.of_token("a") == [on_seven]
    assert sorted(registry.canvas_users[7]) == [1, 2]


def test_rebinding_a_token_moves_the_socket() -> None:
    registry = ConnectionRegistry()
    connection = socket(1, 7, jti="old")
    registry.add(connection)
    registry.rebind_token(connection, "new", time.time() + 120)
    assert registry.of_token("old") == []
    assert registry.of_token("new") == [connection]
    assert connection.jti == "new"


def test_sockets_sharing_a_token_are_found_and_dropped_one_by_one() -> None:
    registry = ConnectionRegistry()
    first, second, third = socket(1, 7, jti="s"), socket(1, 8, jti="s"), socket(1, 9, jti="s")
    for connection in (first, second, third):
        registry.add(connection)
    assert registry.of_token("s") == [first, second, third]
    registry.remove(second)
    assert registry.of_token("s") == [first, third]
    registry.rebind_token(first, "fresh", time.time() + 120)
    assert registry.of_token("s") == [third] and registry.of_token("fresh") == [first]
    registry.remove(third)
    registry.remove(first)
    assert registry.by_jti == {}
