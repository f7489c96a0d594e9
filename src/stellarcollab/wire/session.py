"""Server messages to one socket about the socket itself: pong, auth_ok, resync_required.

None is broadcast or numbered: each answers this connection alone.
"""

from __future__ import annotations

from typing import Any

from stellarcollab.wire.registry import server_message


@server_message("pong", example={"timestamp": "2026-12-01T20:15:03.123Z", "request_id": "p1"})
def pong(*, timestamp: str, request_id: Any = None) -> dict[str, Any]:
    """The answer to ``ping``; its ``id`` (any JSON value) is echoed when it had one."""
    event: dict[str, Any] = {"type": "pong", "timestamp": timestamp}
    if request_id is not None:
        event["id"] = request_id
    return event


@server_message("auth_ok", example={"expires_at": "2026-12-01T21:15:03.000Z"})
def auth_ok(*, expires_at: str) -> dict[str, Any]:
    """The ``auth`` message's new token now stands for the socket until ``expires_at``."""
    return {"type": "auth_ok", "expires_at": expires_at}


@server_message("resync_required", example={
    "canvas_id": 1, "seq": 51, "epoch": "k3J9x2", "reason": "history_gone",
})
def resync_required(*, canvas_id: int, seq: int, epoch: str, reason: str) -> dict[str, Any]:
    """The missed events cannot be replayed: reload over REST, carry on from ``seq``."""
    return {"type": "resync_required", "canvas_id": canvas_id, "seq": seq, "epoch": epoch,
            "reason": reason}
