"""Server messages about a canvas itself: its snapshot, its changes, its chat."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stellarcollab.wire.registry import server_message

_SARAH = {"user_id": 123, "username": "stellarsarah", "display_name": "Sarah Johnson"}


@server_message("canvas_state", example={
    "canvas_id": 1, "seq": 41, "epoch": "k3J9x2", "connection_id": "c7f1a2b3c4d5e6f7",
    "you": _SARAH, "users": [], "locks": [],
})
def canvas_state(
    *, canvas_id: int, seq: int, epoch: str, connection_id: str, you: Mapping[str, Any],
    users: Sequence[dict[str, Any]], locks: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """The snapshot a socket gets first: who is here, the leases, and the ``seq`` it
    covers (live events after it follow). The entries are taken as they are (no copy:
    a canvas may have thousands)."""
    return {
        "type": "canvas_state",
        "canvas_id": canvas_id,
        "seq": seq,
        "epoch": epoch,
        "connection_id": connection_id,
        "you": dict(you),
        "active_users": len(users),
        "users": list(users),
        "locks": list(locks),
    }


@server_message("canvas_updated", numbered=True, example={"canvas": {"id": 1, "name": "Nebula"}})
def canvas_updated(*, canvas: Mapping[str, Any]) -> dict[str, Any]:
    """``canvas`` is the REST canvas object after the change."""
    return {"type": "canvas_updated", "canvas": dict(canvas)}


@server_message("canvas_deleted", numbered=True, example={})
def canvas_deleted() -> dict[str, Any]:
    """The canvas is gone; its sockets are closed with 4004 after this message."""
    return {"type": "canvas_deleted"}


@server_message("canvas_chat_message", numbered=True, example={
    "message_id": "0b7d3c0e-4c1e-4b43-9d55-3f1f0c2a9e11", "canvas_id": 1, "sender_id": 123,
    "sender_username": "stellarsarah", "sender_display_name": "Sarah Johnson",
    "message_text": "Hello everyone!", "created_at": "2026-12-01T20:15:03.123Z",
    "client_id": "c-7f3a-1",
})
def canvas_chat_message(
    *, message_id: str, canvas_id: int, sender_id: int, sender_username: str,
    sender_display_name: str, message_text: str, created_at: str,
    client_id: str | None = None,
) -> dict[str, Any]:
    """``client_id`` (the sender's own id for the message) only when the sender gave one."""
    event: dict[str, Any] = {
        "type": "canvas_chat_message",
        "message_id": message_id,
        "canvas_id": canvas_id,
        "sender_id": sender_id,
        "sender_username": sender_username,
        "sender_display_name": sender_display_name,
        "message_text": message_text,
        "created_at": created_at,
    }
    if client_id is not None:
        event["client_id"] = client_id
    return event
