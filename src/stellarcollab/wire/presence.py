"""Server messages about who is on a canvas and what they do: arrivals, departures,
typing, status and editing leases, and tile highlights."""

from __future__ import annotations

from typing import Any

from stellarcollab.wire.registry import server_message

_SARAH = {"user_id": 123, "username": "stellarsarah", "display_name": "Sarah Johnson"}
_NOW = "2026-12-01T20:15:03.123Z"


def _who(user_id: int, username: str, display_name: str) -> dict[str, Any]:
    return {"user_id": user_id, "username": username, "display_name": display_name}


@server_message("user_joined", numbered=True,
                example={**_SARAH, "active_users": 5, "timestamp": _NOW})
def user_joined(
    *, user_id: int, username: str, display_name: str, active_users: int, timestamp: str
) -> dict[str, Any]:
    """A user's first connection to the canvas opened; ``active_users`` counts users on
    every process."""
    return {"type": "user_joined", **_who(user_id, username, display_name),
            "active_users": active_users, "timestamp": timestamp}


@server_message("user_left", numbered=True,
                example={**_SARAH, "active_users": 4, "timestamp": _NOW})
def user_left(
    *, user_id: int, username: str, display_name: str, active_users: int, timestamp: str
) -> dict[str, Any]:
    """A user's last connection to the canvas closed."""
    return {"type": "user_left", **_who(user_id, username, display_name),
            "active_users": active_users, "timestamp": timestamp}


@server_message("user_typing", numbered=True,
                example={**_SARAH, "is_typing": True, "timestamp": _NOW})
def user_typing(
    *, user_id: int, username: str, display_name: str, is_typing: bool, timestamp: str
) -> dict[str, Any]:
    return {"type": "user_typing", **_who(user_id, username, display_name),
            "is_typing": is_typing, "timestamp": timestamp}


@server_message(
    "user_presence_update", numbered=True,
    # Every presence update states the user's whole presence (the guide's example): the
    # publisher adds the editing cell the user holds, so a status change keeps it on screen.
    filled_on_publish=frozenset({"tile_x", "tile_y", "is_editing"}),
    example={**_SARAH, "status": "away", "status_message": "back soon", "timestamp": _NOW},
)
def status_changed(
    *, user_id: int, username: str, display_name: str, status: str,
    status_message: str | None, timestamp: str,
) -> dict[str, Any]:
    """A user set their status (``user_presence`` with ``status_change``)."""
    return {"type": "user_presence_update", **_who(user_id, username, display_name),
            "status": status, "status_message": status_message, "timestamp": timestamp}


@server_message(
    "user_presence_update", numbered=True,
    # The lease service knows nothing of statuses: the publisher adds the user's current one.
    filled_on_publish=frozenset({"status", "status_message"}),
    example={**_SARAH, "canvas_id": 1, "tile_x": 15, "tile_y": 10, "is_editing": True,
             "reason": "lease_taken", "timestamp": _NOW, "expires_at": _NOW},
)
def lease_changed(
    *, user_id: int, username: str, display_name: str, canvas_id: int, tile_x: int,
    tile_y: int, is_editing: bool, reason: str, timestamp: str, expires_at: str | None = None,
) -> dict[str, Any]:
    """A user's editing lease on a cell was taken (``expires_at`` given), released or
    expired; ``reason`` says which: ``lease_taken``, ``lease_released``, ``lease_expired``."""
    event: dict[str, Any] = {
        "type": "user_presence_update", **_who(user_id, username, display_name),
        "canvas_id": canvas_id, "tile_x": tile_x, "tile_y": tile_y,
        "is_editing": is_editing, "reason": reason, "timestamp": timestamp,
    }
    if expires_at is not None:
        event["expires_at"] = expires_at
    return event


@server_message("tile_highlight", numbered=True, example={
    **_SARAH, "tile_x": 20, "tile_y": 15, "highlight_type": "mention",
    "message": "Check out this tile!", "duration": 3000, "timestamp": _NOW,
})
def tile_highlight(
    *, user_id: int, username: str, display_name: str, tile_x: int, tile_y: int,
    highlight_type: str, message: str, duration: int, timestamp: str,
) -> dict[str, Any]:
    """A user pointed at a cell (``tile_mention``). The sender is named twice: as the
    user fields and as ``requester_id``/``requester_username``, which guide clients read."""
    return {
        "type": "tile_highlight", **_who(user_id, username, display_name),
        "requester_id": user_id, "requester_username": username,
        "tile_x": tile_x, "tile_y": tile_y, "highlight_type": highlight_type,
        "message": message, "duration": duration, "timestamp": timestamp,
    }


@server_message("presence_diff", example={
    "canvas_id": 1, "joins": [_SARAH], "leaves": [], "active_users": 5, "through_seq": 52,
    "reset": True,
})
def presence_diff(
    *, canvas_id: int, joins: list[dict[str, Any]], leaves: list[dict[str, Any]],
    active_users: int, through_seq: int, reset: bool = False,
) -> dict[str, Any]:
    """Joins and leaves of a short window in one message, for sockets that asked for
    ``?presence=diff``; with ``reset`` the joins are the whole list of who is here.
    ``through_seq`` is the canvas ``seq`` of the last arrival or departure it stands for:
    everything numbered up to it has reached the socket, so its resume point moves there."""
    event: dict[str, Any] = {"type": "presence_diff", "canvas_id": canvas_id,
                             "joins": joins, "leaves": leaves, "active_users": active_users,
                             "through_seq": through_seq}
    if reset:
        event["reset"] = True
    return event


@server_message("presence_count", example={"canvas_id": 1, "active_users": 5000,
                                           "through_seq": 9120})
def presence_count(*, canvas_id: int, active_users: int, through_seq: int) -> dict[str, Any]:
    """How many users are on a canvas above the detail limit, sent at most every
    ``PRESENCE_COUNT_INTERVAL`` while it changes, instead of per-user notices;
    ``through_seq`` as in ``presence_diff``."""
    return {"type": "presence_count", "canvas_id": canvas_id, "active_users": active_users,
            "through_seq": through_seq}
