"""Presence merging: connections aggregate per user."""

from __future__ import annotations

from typing import Any

from stellarcollab.realtime import presence
from stellarcollab.realtime.presence import CanvasPresence


def users_view(state: CanvasPresence) -> list[dict[str, Any]]:
    return [entry.view() for entry in sorted(state.values(), key=lambda e: e.connected_at)]


ALICE = {"user_id": 1, "username": "alice", "display_name": "Alice"}


def test_two_tabs_are_one_user_until_the_last_leaves() -> None:
    state: CanvasPresence = {}
    assert presence.join(state, ALICE, "tab1", "t0") is True
    assert presence.join(state, ALICE, "tab2", "t1") is False
    [entry] = users_view(state)
    assert entry["connections"] == 2 and entry["connected_at"] == "t0"
    assert presence.leave(state, 1, "tab1") is False
    assert presence.leave(state, 1, "tab1") is False  # twice is harmless
    assert presence.leave(state, 1, "tab2") is True
    assert state == {}


def test_events_fold_into_the_user_entry() -> None:
    state: CanvasPresence = {}
    presence.join(state, ALICE, "tab", "t0")
    presence.apply_event(state, {"type": "user_typing", "user_id": 1, "is_typing": True})
    presence.apply_event(state, {"type": "user_presence_update", "user_id": 1,
                                 "status": "busy", "status_message": "drawing"})
    presence.apply_event(state, {"type": "user_presence_update", "user_id": 1,
                                 "tile_x": 3, "tile_y": 4, "is_editing": True})
    view = users_view(state)[0]
    assert view["is_typing"] is True
    assert (view["status"], view["status_message"]) == ("busy", "drawing")
    assert view["editing_tile"] == {"tile_x": 3, "tile_y": 4}
    # releasing another cell does not clear this one
    presence.apply_event(state, {"type": "user_presence_update", "user_id": 1,
                                 "tile_x": 9, "tile_y": 9, "is_editing": False})
    assert users_view(state)[0]["editing_tile"] == {"tile_x": 3, "tile_y": 4}
    presence.apply_event(state, {"type": "user_presence_update", "user_id": 1,
                                 "tile_x": 3, "tile_y": 4, "is_editing": False})
    assert users_view(state)[0]["editing_tile"] is None


def test_events_for_absent_users_are_ignored() -> None:
    state: CanvasPresence = {}
    presence.apply_event(state, {"type": "user_typing", "user_id": 5, "is_typing": True})
    assert state == {}
