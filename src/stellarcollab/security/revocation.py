"""When an account's tokens stop being valid (password changed, account deactivated),
every process closes that user's sockets: a control message through the broker, and a
listener on each process that closes them (4001) and forgets the cached account."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stellarcollab.realtime.closecodes import CloseCode
from stellarcollab.realtime.manager import ConnectionManager
from stellarcollab.services.admission import SocketAdmission

USER_REVOKED = "user_revoked"


def user_revoked(user_id: int, reason: str) -> dict[str, Any]:
    return {"type": USER_REVOKED, "user_id": user_id, "reason": reason}


def close_user_sockets(manager: ConnectionManager, user_id: int, reason: str) -> int:
    closed = 0
    for connections in list(manager.canvas_connections.values()):
        for connection in list(connections.values()):
            if connection.user_id == user_id and connection.is_live:
                connection.close(CloseCode.UNAUTHORIZED, reason)
                closed += 1
    return closed


def listener(manager: ConnectionManager,
             admission: SocketAdmission) -> Callable[[dict[str, Any]], None]:
    def on_control(message: dict[str, Any]) -> None:
        if message.get("type") != USER_REVOKED:
            return
        user_id = int(message["user_id"])
        admission.forget_user(user_id)
        close_user_sockets(manager, user_id, str(message.get("reason", "token revoked"))[:100])

    return on_control
