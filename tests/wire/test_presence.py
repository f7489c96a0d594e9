"""Constructors of the presence messages: exact shapes."""

from __future__ import annotations

import pytest

from stellarcollab.wire import presence
from stellarcollab.wire.registry import Builder

SARAH = {"user_id": 7, "username": "stellarsarah", "display_name": "Sarah Johnson"}
NOW = "2026-12-01T20:15:03.123Z"


@pytest.mark.parametrize("build", [presence.user_joined, presence.user_left])
def test_membership(build: Builder) -> None:
    assert build(**SARAH, active_users=2, timestamp=NOW) == {
        "type": build.__name__, **SARAH, "active_users": 2, "timestamp": NOW}


def test_presence_diff_names_joins_and_leaves() -> None:
    bob = {"user_id": 8, "username": "bob", "display_name": "Bob"}
    assert presence.presence_diff(canvas_id=1, joins=[SARAH], leaves=[bob],
                                  active_users=3, through_seq=41) == {
        "type": "presence_diff", "canvas_id": 1, "joins": [SARAH], "leaves": [bob],
        "active_users": 3, "through_seq": 41}
    reset = presence.presence_diff(canvas_id=1, joins=[SARAH], leaves=[], active_users=1,
                                   through_seq=42, reset=True)
    assert reset["reset"] is True


def test_presence_count() -> None:
    assert presence.presence_count(canvas_id=1, active_users=5000, through_seq=9) == {
        "type": "presence_count", "canvas_id": 1, "active_users": 5000, "through_seq": 9}


def test_user_typing() -> None:
    assert presence.user_typing(**SARAH, is_typing=False, timestamp=NOW) == {
        "type": "user_typing", **SARAH, "is_typing": False, "timestamp": NOW}


def test_status_changed() -> None:
    assert presence.status_changed(**SARAH, status="away", status_message=None,
                                   timestamp=NOW) == {
        "type": "user_presence_update", **SARAH, "status": "away", "status_message": None,
        "timestamp": NOW}


def test_lease_changed_names_the_cell_and_the_expiry_only_when_taken() -> None:
    taken = presence.lease_changed(**SARAH, canvas_id=3, tile_x=1, tile_y=2, is_editing=True,
                                   reason="lease_taken", timestamp=NOW, expires_at="later")
    assert taken == {"type": "user_presence_update", **SARAH, "canvas_id": 3, "tile_x": 1,
                     "tile_y": 2, "is_editing": True, "reason": "lease_taken",
                     "timestamp": NOW, "expires_at": "later"}
    released = presence.lease_changed(**SARAH, canvas_id=3, tile_x=1, tile_y=2,
                                      is_editing=False, reason="lease_released", timestamp=NOW)
    assert "expires_at" not in released and released["is_editing"] is False


def test_tile_highlight_names_the_requester() -> None:
    highlight = presence.tile_highlight(
        **SARAH, tile_x=20, tile_y=15, highlight_type="mention", message="look",
        duration=3000, timestamp=NOW)
    assert highlight == {
        "type": "tile_highlight", **SARAH, "requester_id": 7,
        "requester_username": "stellarsarah", "tile_x": 20, "tile_y": 15,
        "highlight_type": "mention", "message": "look", "duration": 3000, "timestamp": NOW}
