"""Constructors of the canvas messages: exact shapes."""

from __future__ import annotations

from stellarcollab.wire import canvas

SARAH = {"user_id": 7, "username": "stellarsarah", "display_name": "Sarah Johnson"}


def test_canvas_state_counts_users() -> None:
    users = [{**SARAH, "status": "online"}]
    locks = [{"tile_x": 1, "tile_y": 2, **SARAH, "expires_at": "2026-12-01T20:15:33.000Z"}]
    state = canvas.canvas_state(canvas_id=3, seq=41, epoch="e1", connection_id="c1",
                                you=SARAH, users=users, locks=locks)
    assert state == {"type": "canvas_state", "canvas_id": 3, "seq": 41, "epoch": "e1",
                     "connection_id": "c1", "you": SARAH, "active_users": 1,
                     "users": users, "locks": locks}


def test_canvas_updated_and_deleted() -> None:
    view = {"id": 3, "name": "Nebula"}
    assert canvas.canvas_updated(canvas=view) == {"type": "canvas_updated", "canvas": view}
    assert canvas.canvas_deleted() == {"type": "canvas_deleted"}


def test_chat_message_keeps_the_guide_field_names() -> None:
    assert canvas.canvas_chat_message(
        message_id="m1", canvas_id=3, sender_id=7, sender_username="stellarsarah",
        sender_display_name="Sarah Johnson", message_text="Hello everyone!",
        created_at="2026-12-01T20:15:03.123Z",
    ) == {"type": "canvas_chat_message", "message_id": "m1", "canvas_id": 3, "sender_id": 7,
          "sender_username": "stellarsarah", "sender_display_name": "Sarah Johnson",
          "message_text": "Hello everyone!", "created_at": "2026-12-01T20:15:03.123Z"}
